using System.Buffers;
using System.Buffers.Binary;

namespace CacheCluster.Persistence.Events;

/// <summary>
/// A growable byte buffer of length-prefixed records ([u32 length][record]), backed by a pooled
/// array. Shards fill one with events; the journal writer stores each record as a row and returns
/// the array to the pool.
/// </summary>
public sealed class RecordBuffer
{
    byte[] _bytes;
    int _length;
    int _recordStart = -1;

    public RecordBuffer(int initialCapacity = 4096) => _bytes = ArrayPool<byte>.Shared.Rent(initialCapacity);

    public int Length => _length;
    public int Capacity => _bytes.Length;
    public int Count { get; private set; }
    public ReadOnlySpan<byte> Written => _bytes.AsSpan(0, _length);

    /// <summary>Starts a record of at most <paramref name="maxSize"/> bytes and returns where to write it.</summary>
    public Span<byte> Begin(int maxSize)
    {
        if (_length + 4 + maxSize > _bytes.Length) Grow(4 + maxSize);
        _recordStart = _length;
        return _bytes.AsSpan(_length + 4, maxSize);
    }

    /// <summary>Closes the record begun last with its actual size.</summary>
    public void End(int size)
    {
        BinaryPrimitives.WriteInt32LittleEndian(_bytes.AsSpan(_recordStart), size);
        _length = _recordStart + 4 + size;
        _recordStart = -1;
        Count++;
    }

    /// <summary>Appends every record of another buffer.</summary>
    public void AppendRecords(RecordBuffer other)
    {
        Ensure(other._length);
        other._bytes.AsSpan(0, other._length).CopyTo(_bytes.AsSpan(_length));
        _length += other._length;
        Count += other.Count;
    }

    /// <summary>Ends the buffer with the CRC-32C of its records (what is stored); no record may follow.</summary>
    public void SealWithChecksum()
    {
        uint crc = Crc32C.Compute(Written);
        Ensure(4);
        BinaryPrimitives.WriteUInt32LittleEndian(_bytes.AsSpan(_length), crc);
        _length += 4;
    }

    /// <summary>Empties the buffer, keeping its array (shrinking it back if a huge value grew it).</summary>
    public void Reset()
    {
        _length = 0;
        Count = 0;
        if (_bytes.Length > 1 << 20)
        {
            ArrayPool<byte>.Shared.Return(_bytes);
            _bytes = ArrayPool<byte>.Shared.Rent(4096);
        }
    }

    /// <summary>Returns the array to the pool; the buffer must not be used afterwards.</summary>
    public void Release()
    {
        var b = _bytes;
        _bytes = [];
        _length = 0;
        Count = 0;
        if (b.Length > 0) ArrayPool<byte>.Shared.Return(b);
    }

    void Ensure(int more)
    {
        if (_length + more > _bytes.Length) Grow(more);
    }

    void Grow(int more)
    {
        var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(_bytes.Length * 2, _length + more));
        _bytes.AsSpan(0, _length).CopyTo(bigger);
        ArrayPool<byte>.Shared.Return(_bytes);
        _bytes = bigger;
    }

    /// <summary>Walks the records of a span written by a <see cref="RecordBuffer"/>.</summary>
    public static bool TryNext(ref ReadOnlySpan<byte> rest, out ReadOnlySpan<byte> record)
    {
        record = default;
        if (rest.Length == 0) return false;
        if (rest.Length < 4) throw new CorruptDataException("record length cut short");
        int n = BinaryPrimitives.ReadInt32LittleEndian(rest);
        if (n < 0 || n > rest.Length - 4) throw new CorruptDataException($"record length {n} exceeds the {rest.Length - 4} bytes left");
        record = rest.Slice(4, n);
        rest = rest[(4 + n)..];
        return true;
    }
}
