using System.Buffers;
using System.Buffers.Binary;

namespace CacheCluster.Protocols.Memcached.Binary;

/// <summary>
/// The 24-byte header of a binary request or response; multi-byte fields are big-endian on the wire.
/// In a response the <see cref="Status"/> field takes the place of a request's vbucket id.
/// </summary>
public readonly struct McBinaryHeader
{
    public const int Size = 24;
    public const byte RequestMagic = 0x80;
    public const byte ResponseMagic = 0x81;

    public readonly byte Magic;
    public readonly byte Opcode;
    public readonly ushort KeyLength;
    public readonly byte ExtrasLength;
    public readonly byte DataType;
    public readonly ushort Status;      // vbucket id (ignored) in a request
    public readonly uint BodyLength;    // extras + key + value
    public readonly uint Opaque;
    public readonly ulong Cas;

    public McBinaryHeader(byte magic, byte opcode, ushort keyLength, byte extrasLength, byte dataType, ushort status,
        uint bodyLength, uint opaque, ulong cas)
    {
        Magic = magic;
        Opcode = opcode;
        KeyLength = keyLength;
        ExtrasLength = extrasLength;
        DataType = dataType;
        Status = status;
        BodyLength = bodyLength;
        Opaque = opaque;
        Cas = cas;
    }

    /// <summary>Header, extras and key: what memcached reads before it dispatches a request.</summary>
    public int PrefixLength => Size + ExtrasLength + KeyLength;

    /// <summary>Header and body: the whole frame.</summary>
    public long FrameLength => Size + (long)BodyLength;

    /// <summary>Body bytes after the extras and key (negative when the lengths do not add up).</summary>
    public long ValueLength => (long)BodyLength - ExtrasLength - KeyLength;

    public static McBinaryHeader Parse(ReadOnlySpan<byte> b)
    {
        if (b.Length < Size) throw new ArgumentException("A binary header is 24 bytes.", nameof(b));
        return new McBinaryHeader(
            magic: b[0],
            opcode: b[1],
            keyLength: BinaryPrimitives.ReadUInt16BigEndian(b[2..]),
            extrasLength: b[4],
            dataType: b[5],
            status: BinaryPrimitives.ReadUInt16BigEndian(b[6..]),
            bodyLength: BinaryPrimitives.ReadUInt32BigEndian(b[8..]),
            opaque: BinaryPrimitives.ReadUInt32BigEndian(b[12..]),
            cas: BinaryPrimitives.ReadUInt64BigEndian(b[16..]));
    }

    /// <summary>Reads the header at the reader's position without advancing; false if fewer than 24 bytes are there.</summary>
    public static bool TryPeek(ref SequenceReader<byte> reader, out McBinaryHeader header)
    {
        ReadOnlySpan<byte> unread = reader.UnreadSpan;
        if (unread.Length >= Size)
        {
            header = Parse(unread);
            return true;
        }
        Span<byte> copy = stackalloc byte[Size];
        if (!reader.TryCopyTo(copy))
        {
            header = default;
            return false;
        }
        header = Parse(copy);
        return true;
    }

    /// <summary>Writes this header's 24 bytes into <paramref name="dest"/>.</summary>
    public void WriteTo(Span<byte> dest)
    {
        if (dest.Length < Size) throw new ArgumentException("A binary header is 24 bytes.", nameof(dest));
        dest[0] = Magic;
        dest[1] = Opcode;
        BinaryPrimitives.WriteUInt16BigEndian(dest[2..], KeyLength);
        dest[4] = ExtrasLength;
        dest[5] = DataType;
        BinaryPrimitives.WriteUInt16BigEndian(dest[6..], Status);
        BinaryPrimitives.WriteUInt32BigEndian(dest[8..], BodyLength);
        BinaryPrimitives.WriteUInt32BigEndian(dest[12..], Opaque);
        BinaryPrimitives.WriteUInt64BigEndian(dest[16..], Cas);
    }
}
