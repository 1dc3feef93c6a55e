using System.Buffers.Binary;
using System.Text;

namespace CacheCluster.Integration.Tests.Memcached.Harness;

/// <summary>memcached binary protocol opcodes (protocol_binary.h).</summary>
public static class Op
{
    public const byte Get = 0x00, Set = 0x01, Add = 0x02, Replace = 0x03, Delete = 0x04, Increment = 0x05, Decrement = 0x06,
        Quit = 0x07, Flush = 0x08, GetQ = 0x09, Noop = 0x0a, Version = 0x0b, GetK = 0x0c, GetKQ = 0x0d, Append = 0x0e,
        Prepend = 0x0f, Stat = 0x10, SetQ = 0x11, AddQ = 0x12, ReplaceQ = 0x13, DeleteQ = 0x14, IncrementQ = 0x15,
        DecrementQ = 0x16, QuitQ = 0x17, FlushQ = 0x18, AppendQ = 0x19, PrependQ = 0x1a, Verbosity = 0x1b, Touch = 0x1c,
        Gat = 0x1d, GatQ = 0x1e, SaslListMechs = 0x20, SaslAuth = 0x21, SaslStep = 0x22, GatK = 0x23, GatKQ = 0x24;

    public static string Name(byte op) => op switch
    {
        Get => "GET", Set => "SET", Add => "ADD", Replace => "REPLACE", Delete => "DELETE", Increment => "INCR", Decrement => "DECR",
        Quit => "QUIT", Flush => "FLUSH", GetQ => "GETQ", Noop => "NOOP", Version => "VERSION", GetK => "GETK", GetKQ => "GETKQ",
        Append => "APPEND", Prepend => "PREPEND", Stat => "STAT", SetQ => "SETQ", AddQ => "ADDQ", ReplaceQ => "REPLACEQ",
        DeleteQ => "DELETEQ", IncrementQ => "INCRQ", DecrementQ => "DECRQ", QuitQ => "QUITQ", FlushQ => "FLUSHQ",
        AppendQ => "APPENDQ", PrependQ => "PREPENDQ", Verbosity => "VERBOSITY", Touch => "TOUCH", Gat => "GAT", GatQ => "GATQ",
        SaslListMechs => "SASL_LIST", SaslAuth => "SASL_AUTH", SaslStep => "SASL_STEP", GatK => "GATK", GatKQ => "GATKQ",
        _ => $"op_0x{op:x2}",
    };
}

/// <summary>Binary response status codes.</summary>
public static class St
{
    public const ushort Ok = 0x00, KeyNotFound = 0x01, KeyExists = 0x02, TooLarge = 0x03, Invalid = 0x04, NotStored = 0x05,
        NonNumeric = 0x06, UnknownCommand = 0x81, OutOfMemory = 0x82;
}

/// <summary>One binary-protocol frame as received (response) or built (request).</summary>
public sealed record McFrame(byte Magic, byte Opcode, byte DataType, ushort StatusOrVBucket, uint Opaque, ulong Cas, byte[] Extras, byte[] Key, byte[] Value)
{
    public ushort Status => StatusOrVBucket;
    public string KeyText => Encoding.UTF8.GetString(Key);
    public string ValueText => Encoding.UTF8.GetString(Value);
    public uint Flags => Extras.Length >= 4 ? BinaryPrimitives.ReadUInt32BigEndian(Extras) : 0;
    public ulong Counter => Value.Length == 8 ? BinaryPrimitives.ReadUInt64BigEndian(Value) : throw new InvalidDataException($"not a counter value: {this}");

    public static McFrame Parse(byte[] header, byte[] body)
    {
        var keyLen = BinaryPrimitives.ReadUInt16BigEndian(header.AsSpan(2));
        var extLen = header[4];
        if (extLen + keyLen > body.Length) throw new InvalidDataException($"frame header {Convert.ToHexString(header)} claims extras {extLen} + key {keyLen} > body {body.Length}");
        return new McFrame(
            header[0], header[1], header[5], BinaryPrimitives.ReadUInt16BigEndian(header.AsSpan(6)),
            BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(12)), BinaryPrimitives.ReadUInt64BigEndian(header.AsSpan(16)),
            body[..extLen], body[extLen..(extLen + keyLen)], body[(extLen + keyLen)..]);
    }

    public override string ToString() =>
        $"[{(Magic == 0x81 ? "res" : Magic == 0x80 ? "req" : $"magic 0x{Magic:x2}")} {Op.Name(Opcode)} status=0x{Status:x4} opaque={Opaque} cas={Cas}" +
        (Extras.Length > 0 ? $" extras={Convert.ToHexString(Extras)}" : "") +
        (Key.Length > 0 ? $" key='{Esc.Bytes(Key, 80)}'" : "") +
        (Value.Length > 0 ? $" value='{Esc.Bytes(Value, 80)}'" : "") + "]";
}

/// <summary>Builds binary-protocol request frames, optionally with deliberately wrong header fields.</summary>
public static class McBin
{
    public static byte[] Frame(byte opcode, ReadOnlySpan<byte> key = default, ReadOnlySpan<byte> extras = default, ReadOnlySpan<byte> value = default,
        uint opaque = 0, ulong cas = 0, byte magic = 0x80, byte dataType = 0, ushort vbucket = 0,
        ushort? keyLenOverride = null, byte? extLenOverride = null)
    {
        var body = extras.Length + key.Length + value.Length;
        var f = new byte[24 + body];
        f[0] = magic;
        f[1] = opcode;
        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(2), keyLenOverride ?? (ushort)key.Length);
        f[4] = extLenOverride ?? (byte)extras.Length;
        f[5] = dataType;
        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(6), vbucket);
        BinaryPrimitives.WriteUInt32BigEndian(f.AsSpan(8), (uint)body);
        BinaryPrimitives.WriteUInt32BigEndian(f.AsSpan(12), opaque);
        BinaryPrimitives.WriteUInt64BigEndian(f.AsSpan(16), cas);
        extras.CopyTo(f.AsSpan(24));
        key.CopyTo(f.AsSpan(24 + extras.Length));
        value.CopyTo(f.AsSpan(24 + extras.Length + key.Length));
        return f;
    }

    public static byte[] Key(string k) => Encoding.UTF8.GetBytes(k);

    /// <summary>Extras of SET/ADD/REPLACE: flags + expiration.</summary>
    public static byte[] StoreExtras(uint flags, uint exptime)
    {
        var e = new byte[8];
        BinaryPrimitives.WriteUInt32BigEndian(e, flags);
        BinaryPrimitives.WriteUInt32BigEndian(e.AsSpan(4), exptime);
        return e;
    }

    /// <summary>Extras of INCR/DECR: delta, initial, expiration.</summary>
    public static byte[] DeltaExtras(ulong delta, ulong initial, uint exptime)
    {
        var e = new byte[20];
        BinaryPrimitives.WriteUInt64BigEndian(e, delta);
        BinaryPrimitives.WriteUInt64BigEndian(e.AsSpan(8), initial);
        BinaryPrimitives.WriteUInt32BigEndian(e.AsSpan(16), exptime);
        return e;
    }

    /// <summary>4-byte extras (expiration of TOUCH/GAT/FLUSH, level of VERBOSITY).</summary>
    public static byte[] U32(uint v)
    {
        var e = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(e, v);
        return e;
    }

    public static byte[] Concat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();

    public const uint MarkerOpaque = 0xF00DF00D;

    /// <summary>NOOP with the marker opaque: its response ends one request's replies.</summary>
    public static readonly byte[] Marker = Frame(Op.Noop, opaque: MarkerOpaque);

    /// <summary>Sends <paramref name="request"/> followed by the marker NOOP and reads every frame up to the marker's response.</summary>
    public static async Task<(List<McFrame> Frames, bool Closed)> ExchangeAsync(McConnection c, byte[] request)
    {
        await c.SendAsync(Concat(request, Marker));
        return await ReadUntilMarkerAsync(c);
    }

    public static async Task<(List<McFrame> Frames, bool Closed)> ReadUntilMarkerAsync(McConnection c)
    {
        var frames = new List<McFrame>();
        try
        {
            while (true)
            {
                var f = await c.ReadFrameAsync();
                if (f.Opcode == Op.Noop && f.Opaque == MarkerOpaque) return (frames, false);
                frames.Add(f);
                if (frames.Count > 100_000) throw new InvalidDataException("more than 100000 frames before the marker");
            }
        }
        catch (McClosedException)
        {
            return (frames, true);
        }
    }

    /// <summary>Sends one request and returns its single response frame (fails on anything else).</summary>
    public static async Task<McFrame> CallAsync(McConnection c, byte[] request)
    {
        var (frames, closed) = await ExchangeAsync(c, request);
        if (closed || frames.Count != 1)
            throw new InvalidDataException($"expected exactly one response frame, got {frames.Count}{(closed ? " and the connection closed" : "")}: {string.Join(", ", frames)}");
        return frames[0];
    }
}
