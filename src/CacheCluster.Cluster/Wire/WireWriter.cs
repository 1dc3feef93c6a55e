using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace CacheCluster.Cluster.Wire;

/// <summary>
/// Growable byte buffer (ArrayPool-backed) to build a frame payload; little endian.
/// Not thread-safe. <see cref="Reset"/> keeps the buffer for the next payload.
/// </summary>
public sealed class WireWriter
{
    byte[] _buffer;
    int _length;

    public WireWriter(int initialCapacity = 256)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(initialCapacity);
        _buffer = ArrayPool<byte>.Shared.Rent(Math.Max(16, initialCapacity));
    }

    public int Length => _length;

    public ReadOnlySpan<byte> Written => _buffer.AsSpan(0, _length);

    /// <summary>The written bytes as memory (valid until the next write or <see cref="Reset"/>).</summary>
    public ReadOnlyMemory<byte> WrittenMemory => _buffer.AsMemory(0, _length);

    /// <summary>A copy of the written bytes.</summary>
    public byte[] ToArray() => Written.ToArray();

    public void Reset() => _length = 0;

    public void WriteByte(byte v) => Reserve(1)[0] = v;

    public void WriteUInt16(ushort v) => BinaryPrimitives.WriteUInt16LittleEndian(Reserve(2), v);

    public void WriteInt32(int v) => BinaryPrimitives.WriteInt32LittleEndian(Reserve(4), v);

    public void WriteUInt32(uint v) => BinaryPrimitives.WriteUInt32LittleEndian(Reserve(4), v);

    public void WriteInt64(long v) => BinaryPrimitives.WriteInt64LittleEndian(Reserve(8), v);

    public void WriteUInt64(ulong v) => BinaryPrimitives.WriteUInt64LittleEndian(Reserve(8), v);

    /// <summary>u32 length + bytes.</summary>
    public void WriteBytes(ReadOnlySpan<byte> v)
    {
        WriteUInt32((uint)v.Length);
        WriteRaw(v);
    }

    /// <summary>u16 length (0xFFFF = null) + UTF-8; at most 65534 bytes.</summary>
    public void WriteString(string? v)
    {
        if (v is null)
        {
            WriteUInt16(0xFFFF);
            return;
        }
        int count = Encoding.UTF8.GetByteCount(v);
        if (count >= 0xFFFF)
            throw new ArgumentException($"string of {count} UTF-8 bytes is too long for the wire (max 65534)", nameof(v));
        WriteUInt16((ushort)count);
        Encoding.UTF8.GetBytes(v, Reserve(count));
    }

    /// <summary>Bytes without a length.</summary>
    public void WriteRaw(ReadOnlySpan<byte> v) => v.CopyTo(Reserve(v.Length));

    /// <summary>Advances by <paramref name="n"/> and returns the span to fill (valid until the next write).</summary>
    public Span<byte> Reserve(int n)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        int end = _length + n;
        if ((uint)end > (uint)_buffer.Length)
            Grow(n);
        var span = _buffer.AsSpan(_length, n);
        _length += n;
        return span;
    }

    /// <summary>Overwrites 4 bytes already written at <paramref name="offset"/> (e.g. a count known later).</summary>
    public void PatchUInt32(int offset, uint v)
    {
        if (offset < 0 || offset > _length - 4)
            throw new ArgumentOutOfRangeException(nameof(offset));
        BinaryPrimitives.WriteUInt32LittleEndian(_buffer.AsSpan(offset, 4), v);
    }

    /// <summary>Overwrites 4 bytes already written at <paramref name="offset"/>.</summary>
    public void PatchInt32(int offset, int v) => PatchUInt32(offset, unchecked((uint)v));

    void Grow(int n)
    {
        long needed = (long)_length + n;
        if (needed > Array.MaxLength)
            throw new InvalidOperationException($"payload of {needed} bytes is too large");
        long size = Math.Max(needed, (long)_buffer.Length * 2);
        if (size > Array.MaxLength)
            size = Array.MaxLength;
        var bigger = ArrayPool<byte>.Shared.Rent((int)size);
        _buffer.AsSpan(0, _length).CopyTo(bigger);
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = bigger;
    }
}
