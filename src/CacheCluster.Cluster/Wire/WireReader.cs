using System.Buffers.Binary;
using System.Text;

namespace CacheCluster.Cluster.Wire;

/// <summary>
/// Reads a payload written by <see cref="WireWriter"/>. Slices returned by <see cref="ReadBytes"/> and
/// <see cref="ReadRaw"/> point into the payload (no copy). Throws <see cref="WireFormatException"/> on
/// truncation, absurd lengths and invalid UTF-8.
/// </summary>
public struct WireReader
{
    static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    readonly ReadOnlyMemory<byte> _payload;
    int _position;

    public WireReader(ReadOnlyMemory<byte> payload)
    {
        _payload = payload;
        _position = 0;
    }

    public readonly int Remaining => _payload.Length - _position;

    /// <summary>Bytes consumed so far.</summary>
    public readonly int Position => _position;

    public byte ReadByte() => Take(1)[0];

    public ushort ReadUInt16() => BinaryPrimitives.ReadUInt16LittleEndian(Take(2));

    public int ReadInt32() => BinaryPrimitives.ReadInt32LittleEndian(Take(4));

    public uint ReadUInt32() => BinaryPrimitives.ReadUInt32LittleEndian(Take(4));

    public long ReadInt64() => BinaryPrimitives.ReadInt64LittleEndian(Take(8));

    public ulong ReadUInt64() => BinaryPrimitives.ReadUInt64LittleEndian(Take(8));

    /// <summary>u32 length + bytes; a slice of the payload.</summary>
    public ReadOnlyMemory<byte> ReadBytes()
    {
        uint length = ReadUInt32();
        if (length > (uint)Remaining)
            throw new WireFormatException($"length {length} exceeds the {Remaining} bytes left");
        return ReadRaw((int)length);
    }

    /// <summary>u16 length (0xFFFF = null) + UTF-8.</summary>
    public string? ReadString()
    {
        ushort length = ReadUInt16();
        if (length == 0xFFFF)
            return null;
        if (length > Remaining)
            throw new WireFormatException($"string length {length} exceeds the {Remaining} bytes left");
        return DecodeUtf8(Take(length));
    }

    /// <summary><paramref name="n"/> bytes without a length; a slice of the payload.</summary>
    public ReadOnlyMemory<byte> ReadRaw(int n)
    {
        if (n < 0 || n > Remaining)
            throw new WireFormatException($"truncated payload: {n} bytes wanted, {Remaining} left");
        var slice = _payload.Slice(_position, n);
        _position += n;
        return slice;
    }

    /// <summary>Throws when bytes remain.</summary>
    public readonly void ExpectEnd()
    {
        if (Remaining != 0)
            throw new WireFormatException($"{Remaining} unexpected bytes at the end of the payload");
    }

    internal static string DecodeUtf8(ReadOnlySpan<byte> bytes)
    {
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw new WireFormatException("invalid UTF-8 in a string");
        }
    }

    ReadOnlySpan<byte> Take(int n)
    {
        if (n > Remaining)
            throw new WireFormatException($"truncated payload: {n} bytes wanted, {Remaining} left");
        var span = _payload.Span.Slice(_position, n);
        _position += n;
        return span;
    }
}
