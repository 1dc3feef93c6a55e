using System.Text;
using CacheCluster.Core;

namespace CacheCluster.Cluster.Wire;

/// <summary>
/// Binary codecs of <see cref="Command"/> and <see cref="Reply"/> for node links.
/// <para>Command: <c>u8 Op, u16 presence mask</c>, then each present field in mask-bit order.
/// Reply: <c>u8 Kind, u16 presence mask</c>, then each present field. Absent fields are zero / empty /
/// null, so a GET is 4 bytes + its key.</para>
/// <para>Extra payloads carry a tag byte: 1 = <c>List&lt;byte[]&gt;</c>, 2 = <see cref="EntrySnapshot"/>,
/// 3 = <see cref="ShardStats"/>.</para>
/// </summary>
public static class CommandWire
{
    // ---- Command presence bits
    const ushort CmdOptions = 1 << 0;
    const ushort CmdKey = 1 << 1;
    const ushort CmdKey2 = 1 << 2;
    const ushort CmdPattern = 1 << 3;
    const ushort CmdValue = 1 << 4;      // present even when empty: null vs empty is kept
    const ushort CmdInt1 = 1 << 5;
    const ushort CmdInt2 = 1 << 6;
    const ushort CmdInt3 = 1 << 7;
    const ushort CmdInt4 = 1 << 8;
    const ushort CmdFlags = 1 << 9;
    const ushort CmdCas = 1 << 10;
    const ushort CmdExtra = 1 << 11;
    const ushort CmdKnown = (1 << 12) - 1;

    // ---- Reply presence bits
    const ushort RepError = 1 << 0;
    const ushort RepInteger = 1 << 1;
    const ushort RepBulk = 1 << 2;
    const ushort RepText = 1 << 3;       // present even when "": null vs "" is kept
    const ushort RepExtra = 1 << 4;
    const ushort RepFlags = 1 << 5;
    const ushort RepCas = 1 << 6;
    const ushort RepAux = 1 << 7;
    const ushort RepMeta = 1 << 8;
    const ushort RepKnown = (1 << 9) - 1;

    // ---- Extra tags
    const byte ExtraKeyList = 1;
    const byte ExtraEntry = 2;
    const byte ExtraStats = 3;

    const uint NullLength = 0xFFFF_FFFF;

    static readonly bool[] ValidOp = Table<Op>();
    static readonly bool[] ValidKind = Table<ReplyKind>();
    static readonly bool[] ValidError = Table<ErrorCode>();
    static readonly byte MetaMask = MaskOf<McMeta>();

    // =====================================================================================
    // Command
    // =====================================================================================

    public static void Write(WireWriter w, in Command c)
    {
        ArgumentNullException.ThrowIfNull(w);
        EntrySnapshot? entry = null;
        if (c.Extra is not null)
        {
            entry = c.Extra as EntrySnapshot
                ?? throw new NotSupportedException($"Command.Extra of type {c.Extra.GetType().Name} cannot be sent to another node");
        }

        ushort mask = 0;
        if (c.Options != CommandOptions.None) mask |= CmdOptions;
        if (!c.Key.IsEmpty) mask |= CmdKey;
        if (!c.Key2.IsEmpty) mask |= CmdKey2;
        if (!c.Pattern.IsEmpty) mask |= CmdPattern;
        if (c.Value is not null) mask |= CmdValue;
        if (c.Int1 != 0) mask |= CmdInt1;
        if (c.Int2 != 0) mask |= CmdInt2;
        if (c.Int3 != 0) mask |= CmdInt3;
        if (c.Int4 != 0) mask |= CmdInt4;
        if (c.Flags != 0) mask |= CmdFlags;
        if (c.Cas != 0) mask |= CmdCas;
        if (entry is not null) mask |= CmdExtra;

        w.WriteByte((byte)c.Op);
        w.WriteUInt16(mask);
        if ((mask & CmdOptions) != 0) w.WriteUInt32((uint)c.Options);
        if ((mask & CmdKey) != 0) w.WriteBytes(c.Key.Span);
        if ((mask & CmdKey2) != 0) w.WriteBytes(c.Key2.Span);
        if ((mask & CmdPattern) != 0) w.WriteBytes(c.Pattern.Span);
        if ((mask & CmdValue) != 0) w.WriteBytes(c.Value);
        if ((mask & CmdInt1) != 0) w.WriteInt64(c.Int1);
        if ((mask & CmdInt2) != 0) w.WriteInt64(c.Int2);
        if ((mask & CmdInt3) != 0) w.WriteInt64(c.Int3);
        if ((mask & CmdInt4) != 0) w.WriteInt64(c.Int4);
        if ((mask & CmdFlags) != 0) w.WriteUInt32(c.Flags);
        if ((mask & CmdCas) != 0) w.WriteUInt64(c.Cas);
        if (entry is not null)
        {
            w.WriteByte(ExtraEntry);
            WriteEntry(w, entry);
        }
    }

    /// <summary>
    /// Reads one command. <c>Key</c>, <c>Key2</c> and <c>Pattern</c> are slices of the payload (no copy);
    /// <c>Value</c> (and an <see cref="EntrySnapshot"/>'s value) is a new array. Every field of
    /// <paramref name="c"/> is overwritten.
    /// </summary>
    public static void Read(ref WireReader r, ref Command c)
    {
        c = default;
        byte op = r.ReadByte();
        if (!ValidOp[op])
            throw new WireFormatException($"unknown Op {op}");
        c.Op = (Op)op;
        ushort mask = r.ReadUInt16();
        if ((mask & ~CmdKnown) != 0)
            throw new WireFormatException($"unknown command fields 0x{mask & ~CmdKnown:X4}");
        if ((mask & CmdOptions) != 0) c.Options = (CommandOptions)r.ReadUInt32();
        if ((mask & CmdKey) != 0) c.Key = r.ReadBytes();
        if ((mask & CmdKey2) != 0) c.Key2 = r.ReadBytes();
        if ((mask & CmdPattern) != 0) c.Pattern = r.ReadBytes();
        if ((mask & CmdValue) != 0) c.Value = r.ReadBytes().ToArray();
        if ((mask & CmdInt1) != 0) c.Int1 = r.ReadInt64();
        if ((mask & CmdInt2) != 0) c.Int2 = r.ReadInt64();
        if ((mask & CmdInt3) != 0) c.Int3 = r.ReadInt64();
        if ((mask & CmdInt4) != 0) c.Int4 = r.ReadInt64();
        if ((mask & CmdFlags) != 0) c.Flags = r.ReadUInt32();
        if ((mask & CmdCas) != 0) c.Cas = r.ReadUInt64();
        if ((mask & CmdExtra) != 0)
        {
            byte tag = r.ReadByte();
            if (tag != ExtraEntry)
                throw new WireFormatException($"unsupported command extra tag {tag}");
            c.Extra = ReadEntry(ref r);
        }
    }

    // =====================================================================================
    // Reply
    // =====================================================================================

    public static void Write(WireWriter w, in Reply r)
    {
        ArgumentNullException.ThrowIfNull(w);
        byte extraTag = r.Extra switch
        {
            null => 0,
            List<byte[]> => ExtraKeyList,
            EntrySnapshot => ExtraEntry,
            ShardStats => ExtraStats,
            _ => throw new NotSupportedException($"Reply.Extra of type {r.Extra.GetType().Name} cannot be sent to another node"),
        };

        ushort mask = 0;
        if (r.Error != ErrorCode.None) mask |= RepError;
        if (r.Integer != 0) mask |= RepInteger;
        if (!r.Bulk.IsEmpty) mask |= RepBulk;
        if (r.Text is not null) mask |= RepText;
        if (extraTag != 0) mask |= RepExtra;
        if (r.Flags != 0) mask |= RepFlags;
        if (r.Cas != 0) mask |= RepCas;
        if (r.Aux != 0) mask |= RepAux;
        if (r.Meta != McMeta.None) mask |= RepMeta;

        w.WriteByte((byte)r.Kind);
        w.WriteUInt16(mask);
        if ((mask & RepError) != 0) w.WriteByte((byte)r.Error);
        if ((mask & RepInteger) != 0) w.WriteInt64(r.Integer);
        if ((mask & RepBulk) != 0) w.WriteBytes(r.Bulk.Span);
        if ((mask & RepText) != 0) WriteText(w, r.Text!);
        if (extraTag != 0)
        {
            w.WriteByte(extraTag);
            switch (r.Extra)
            {
                case List<byte[]> list:
                    w.WriteUInt32((uint)list.Count);
                    foreach (var item in list)
                        WriteNullableBytes(w, item);
                    break;
                case EntrySnapshot entry:
                    WriteEntry(w, entry);
                    break;
                case ShardStats s:
                    w.WriteInt64(s.Keys);
                    w.WriteInt64(s.VolatileKeys);
                    w.WriteInt64(s.UsedBytes);
                    w.WriteInt64(s.MaxBytes);
                    w.WriteInt64(s.Hits);
                    w.WriteInt64(s.Misses);
                    w.WriteInt64(s.Expired);
                    w.WriteInt64(s.Evicted);
                    w.WriteInt64(s.TotalItems);
                    break;
            }
        }
        if ((mask & RepFlags) != 0) w.WriteUInt32(r.Flags);
        if ((mask & RepCas) != 0) w.WriteUInt64(r.Cas);
        if ((mask & RepAux) != 0) w.WriteInt64(r.Aux);
        if ((mask & RepMeta) != 0) w.WriteByte((byte)r.Meta);
    }

    /// <summary>
    /// Reads one reply. <c>Bulk</c> is a slice of the payload; a key list's items and an entry's value
    /// are new arrays. Every field of <paramref name="reply"/> is overwritten.
    /// </summary>
    public static void Read(ref WireReader r, ref Reply reply)
    {
        reply = default;
        byte kind = r.ReadByte();
        if (!ValidKind[kind])
            throw new WireFormatException($"unknown ReplyKind {kind}");
        reply.Kind = (ReplyKind)kind;
        ushort mask = r.ReadUInt16();
        if ((mask & ~RepKnown) != 0)
            throw new WireFormatException($"unknown reply fields 0x{mask & ~RepKnown:X4}");
        if ((mask & RepError) != 0)
        {
            byte error = r.ReadByte();
            if (!ValidError[error])
                throw new WireFormatException($"unknown ErrorCode {error}");
            reply.Error = (ErrorCode)error;
        }
        if ((mask & RepInteger) != 0) reply.Integer = r.ReadInt64();
        if ((mask & RepBulk) != 0) reply.Bulk = r.ReadBytes();
        if ((mask & RepText) != 0) reply.Text = ReadText(ref r);
        if ((mask & RepExtra) != 0)
        {
            byte tag = r.ReadByte();
            switch (tag)
            {
                case ExtraKeyList:
                {
                    uint count = r.ReadUInt32();
                    if (count > (uint)(r.Remaining / 4))
                        throw new WireFormatException($"list of {count} items cannot fit in {r.Remaining} bytes");
                    var list = new List<byte[]>((int)count);
                    for (int i = 0; i < count; i++)
                        list.Add(ReadNullableBytes(ref r)!);
                    reply.Extra = list;
                    break;
                }
                case ExtraEntry:
                    reply.Extra = ReadEntry(ref r);
                    break;
                case ExtraStats:
                    reply.Extra = new ShardStats
                    {
                        Keys = r.ReadInt64(),
                        VolatileKeys = r.ReadInt64(),
                        UsedBytes = r.ReadInt64(),
                        MaxBytes = r.ReadInt64(),
                        Hits = r.ReadInt64(),
                        Misses = r.ReadInt64(),
                        Expired = r.ReadInt64(),
                        Evicted = r.ReadInt64(),
                        TotalItems = r.ReadInt64(),
                    };
                    break;
                default:
                    throw new WireFormatException($"unknown reply extra tag {tag}");
            }
        }
        if ((mask & RepFlags) != 0) reply.Flags = r.ReadUInt32();
        if ((mask & RepCas) != 0) reply.Cas = r.ReadUInt64();
        if ((mask & RepAux) != 0) reply.Aux = r.ReadInt64();
        if ((mask & RepMeta) != 0)
        {
            byte meta = r.ReadByte();
            if ((meta & ~MetaMask) != 0)
                throw new WireFormatException($"unknown McMeta bits 0x{meta:X2}");
            reply.Meta = (McMeta)meta;
        }
    }

    // =====================================================================================
    // helpers
    // =====================================================================================

    static void WriteEntry(WireWriter w, EntrySnapshot e)
    {
        w.WriteBytes(e.Value);   // a null Value (it is `required`, never expected) travels as empty
        w.WriteUInt32(e.Flags);
        w.WriteInt64(e.ExpiresAtMs);
    }

    static EntrySnapshot ReadEntry(ref WireReader r) => new()
    {
        Value = r.ReadBytes().ToArray(),
        Flags = r.ReadUInt32(),
        ExpiresAtMs = r.ReadInt64(),
    };

    static void WriteNullableBytes(WireWriter w, byte[]? v)
    {
        if (v is null)
        {
            w.WriteUInt32(NullLength);
            return;
        }
        w.WriteBytes(v);
    }

    static byte[]? ReadNullableBytes(ref WireReader r)
    {
        uint length = r.ReadUInt32();
        if (length == NullLength)
            return null;
        if (length > (uint)r.Remaining)
            throw new WireFormatException($"length {length} exceeds the {r.Remaining} bytes left");
        return r.ReadRaw((int)length).ToArray();
    }

    // Reply text: u32 length (0xFFFFFFFF = null) + UTF-8, so long error details are not limited to 64 KiB.
    static void WriteText(WireWriter w, string text)
    {
        int count = Encoding.UTF8.GetByteCount(text);
        w.WriteUInt32((uint)count);
        Encoding.UTF8.GetBytes(text, w.Reserve(count));
    }

    static string ReadText(ref WireReader r)
    {
        uint length = r.ReadUInt32();
        if (length > (uint)r.Remaining)
            throw new WireFormatException($"text length {length} exceeds the {r.Remaining} bytes left");
        return WireReader.DecodeUtf8(r.ReadRaw((int)length).Span);
    }

    static bool[] Table<T>() where T : struct, Enum
    {
        var table = new bool[256];
        foreach (var v in Enum.GetValues<T>())
            table[Convert.ToByte(v, System.Globalization.CultureInfo.InvariantCulture)] = true;
        return table;
    }

    static byte MaskOf<T>() where T : struct, Enum
    {
        byte mask = 0;
        foreach (var v in Enum.GetValues<T>())
            mask |= Convert.ToByte(v, System.Globalization.CultureInfo.InvariantCulture);
        return mask;
    }
}
