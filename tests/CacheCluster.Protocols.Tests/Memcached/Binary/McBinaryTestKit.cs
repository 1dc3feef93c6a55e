using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using CacheCluster.Core;
using CacheCluster.Protocols.Memcached;
using CacheCluster.Protocols.Memcached.Binary;
using CacheCluster.Protocols.Resp;

namespace CacheCluster.Protocols.Tests.Memcached.Binary;

/// <summary>Builds binary request frames byte by byte, independently of the codec's own header code.</summary>
internal static class Frames
{
    public static byte[] B(string latin1) => Encoding.Latin1.GetBytes(latin1);
    public static string S(ReadOnlySpan<byte> bytes) => Encoding.Latin1.GetString(bytes);

    public static byte[] U32(uint v)
    {
        var b = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(b, v);
        return b;
    }

    public static byte[] U64(ulong v)
    {
        var b = new byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(b, v);
        return b;
    }

    public static byte[] Cat(params byte[][] parts)
    {
        int n = 0;
        foreach (var p in parts) n += p.Length;
        var all = new byte[n];
        int at = 0;
        foreach (var p in parts)
        {
            p.CopyTo(all, at);
            at += p.Length;
        }
        return all;
    }

    /// <summary>
    /// A request frame. Length fields default to the real lengths; override them to build malformed headers.
    /// </summary>
    public static byte[] Request(McBinaryOpcode opcode, string key = "", byte[]? extras = null, byte[]? value = null,
        uint opaque = 0, ulong cas = 0, byte magic = 0x80, uint? bodyLength = null, ushort? keyLength = null,
        byte? extrasLength = null, byte[]? keyBytes = null)
    {
        extras ??= [];
        value ??= [];
        byte[] k = keyBytes ?? B(key);
        var f = new byte[24 + extras.Length + k.Length + value.Length];
        f[0] = magic;
        f[1] = (byte)opcode;
        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(2), keyLength ?? (ushort)k.Length);
        f[4] = extrasLength ?? (byte)extras.Length;
        f[5] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(6), 0);
        BinaryPrimitives.WriteUInt32BigEndian(f.AsSpan(8), bodyLength ?? (uint)(extras.Length + k.Length + value.Length));
        BinaryPrimitives.WriteUInt32BigEndian(f.AsSpan(12), opaque);
        BinaryPrimitives.WriteUInt64BigEndian(f.AsSpan(16), cas);
        extras.CopyTo(f, 24);
        k.CopyTo(f, 24 + extras.Length);
        value.CopyTo(f, 24 + extras.Length + k.Length);
        return f;
    }

    public static byte[] Get(McBinaryOpcode op, string key, uint opaque = 0) => Request(op, key, opaque: opaque);

    public static byte[] Store(McBinaryOpcode op, string key, string value, uint flags = 0, uint exptime = 0, ulong cas = 0, uint opaque = 0) =>
        Request(op, key, Cat(U32(flags), U32(exptime)), B(value), opaque, cas);

    public static byte[] Concat(McBinaryOpcode op, string key, string value, ulong cas = 0, uint opaque = 0) =>
        Request(op, key, value: B(value), opaque: opaque, cas: cas);

    public static byte[] Incr(McBinaryOpcode op, string key, ulong delta, ulong initial, uint exptime, ulong cas = 0, uint opaque = 0) =>
        Request(op, key, Cat(U64(delta), U64(initial), U32(exptime)), opaque: opaque, cas: cas);

    public static byte[] WithExpiry(McBinaryOpcode op, string key, uint exptime, uint opaque = 0) =>
        Request(op, key, U32(exptime), opaque: opaque);

    /// <summary>A sequence made of the given parts, one segment each.</summary>
    public static ReadOnlySequence<byte> Segments(params byte[][] parts)
    {
        if (parts.Length == 0) return ReadOnlySequence<byte>.Empty;
        var first = new Segment(parts[0], null);
        Segment last = first;
        for (int i = 1; i < parts.Length; i++) last = new Segment(parts[i], last);
        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    /// <summary><paramref name="data"/> cut into one-byte segments.</summary>
    public static ReadOnlySequence<byte> Bytewise(byte[] data)
    {
        var parts = new byte[data.Length][];
        for (int i = 0; i < data.Length; i++) parts[i] = [data[i]];
        return Segments(parts);
    }

    sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, Segment? previous)
        {
            Memory = memory;
            if (previous != null)
            {
                RunningIndex = previous.RunningIndex + previous.Memory.Length;
                previous.Next = this;
            }
        }
    }
}

/// <summary>An <see cref="ICommandSink"/> remembering each command's shard.</summary>
internal sealed class BinSink : ICommandSink
{
    Command[] _commands = new Command[4];
    readonly List<int> _shards = new();

    public int Count => _shards.Count;

    public ref Command Add(int shard)
    {
        if (_shards.Count == _commands.Length) Array.Resize(ref _commands, _commands.Length * 2);
        int i = _shards.Count;
        _shards.Add(shard);
        _commands[i] = default;
        return ref _commands[i];
    }

    public void Clear()
    {
        System.Array.Clear(_commands);
        _shards.Clear();
    }

    public Command this[int i] => _commands[i];
    public int ShardAt(int i) => _shards[i];
    public Command[] Commands => _commands;
}

/// <summary>A codec with its arena, sink, shard map and manual clock.</summary>
internal sealed class BinHarness
{
    public const long T0 = 1_700_000_000_000;
    public const int ShardCount = 16;

    public readonly ManualClock Clock = new(T0);
    public readonly ShardMap Map = new(ShardCount);
    public readonly RequestArena Arena = new();
    public readonly BinSink Sink = new();
    public readonly McBinaryCodec Codec;

    public BinHarness(long maxItemSize = 1024 * 1024)
    {
        Codec = new McBinaryCodec(new McCodecOptions { MaxItemSize = maxItemSize });
    }

    public McParseStatus TryDecode(in ReadOnlySequence<byte> data, out McRequest request, out long consumed)
    {
        var reader = new SequenceReader<byte>(data);
        var status = Codec.TryDecode(ref reader, Arena, Sink, Map, Clock, out request);
        consumed = reader.Consumed;
        return status;
    }

    /// <summary>Decodes one frame that must be complete and consumed whole.</summary>
    public McRequest Decode(byte[] frame) => Decode(new ReadOnlySequence<byte>(frame), frame.Length);

    public McRequest Decode(in ReadOnlySequence<byte> data, long expectConsumed)
    {
        var status = TryDecode(data, out var request, out long consumed);
        Assert.Equal(McParseStatus.Complete, status);
        Assert.Equal(expectConsumed, consumed);
        return request;
    }

    /// <summary>Asserts a Data request with one command of <paramref name="op"/> on <paramref name="key"/>, routed by key.</summary>
    public Command Single(in McRequest req, Op op, string key)
    {
        Assert.True(req.Kind == McRequestKind.Data, $"expected Data, got {req.Kind} {req.Status:x} {req.ErrorText}");
        Assert.Equal(1, req.Count);
        var c = Sink[req.First];
        Assert.Equal(op, c.Op);
        Assert.Equal(key, Frames.S(c.Key.Span));
        Assert.Equal(Map.ShardOf(Frames.B(key)), Sink.ShardAt(req.First));
        return c;
    }

    /// <summary>A stable text of what a request decoded to (request fields and its commands), to compare decodes.</summary>
    public string Describe(in McRequest r)
    {
        var sb = new StringBuilder();
        sb.Append($"{r.Kind} {r.Local} op={r.Opcode:x2} opaque={r.Opaque} q={r.Quiet} close={r.CloseAfter} status={r.Status} " +
                  $"err={r.ErrorText} n={r.Number} group={r.Group} key={Frames.S(r.Key.Span)} count={r.Count}");
        for (int i = r.First; i < r.First + r.Count; i++)
        {
            var c = Sink[i];
            sb.Append($" | shard={Sink.ShardAt(i)} {c.Op} {c.Options} key={Frames.S(c.Key.Span)} " +
                      $"value={(c.Value == null ? "null" : Convert.ToHexString(c.Value))} flags={c.Flags} " +
                      $"i1={c.Int1} i2={c.Int2} i3={c.Int3} i4={c.Int4} cas={c.Cas}");
        }
        return sb.ToString();
    }
}

/// <summary>A response frame as read back from the writer's output.</summary>
internal sealed record Response(byte Magic, byte Opcode, byte DataType, ushort Status, uint Opaque, ulong Cas,
    byte[] Extras, byte[] Key, byte[] Value)
{
    public string Text => Frames.S(Value);
    public uint Flags => BinaryPrimitives.ReadUInt32BigEndian(Extras);
}

internal static class Responses
{
    public static byte[] Written(Action<IBufferWriter<byte>> write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        write(buffer);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Parses every response frame in <paramref name="bytes"/>, which must end on a frame boundary.</summary>
    public static List<Response> Parse(byte[] bytes)
    {
        var list = new List<Response>();
        int at = 0;
        while (at < bytes.Length)
        {
            Assert.True(bytes.Length - at >= 24, "truncated response header");
            var h = bytes.AsSpan(at, 24);
            ushort keyLen = BinaryPrimitives.ReadUInt16BigEndian(h[2..]);
            byte extLen = h[4];
            uint bodyLen = BinaryPrimitives.ReadUInt32BigEndian(h[8..]);
            Assert.True(bodyLen >= keyLen + extLen, "body shorter than extras + key");
            Assert.True(bytes.Length - at - 24 >= bodyLen, "truncated response body");
            int body = at + 24;
            list.Add(new Response(h[0], h[1], h[5], BinaryPrimitives.ReadUInt16BigEndian(h[6..]),
                BinaryPrimitives.ReadUInt32BigEndian(h[12..]), BinaryPrimitives.ReadUInt64BigEndian(h[16..]),
                bytes[body..(body + extLen)], bytes[(body + extLen)..(body + extLen + keyLen)],
                bytes[(body + extLen + keyLen)..(body + (int)bodyLen)]));
            at = body + (int)bodyLen;
        }
        return list;
    }

    public static Response One(byte[] bytes)
    {
        var all = Parse(bytes);
        Assert.Single(all);
        return all[0];
    }

    /// <summary>Asserts the fixed parts of every response: magic 0x81, raw datatype, echoed opcode and opaque.</summary>
    public static void AssertEcho(Response r, McBinaryOpcode opcode, uint opaque)
    {
        Assert.Equal(0x81, r.Magic);
        Assert.Equal(0, r.DataType);
        Assert.Equal((byte)opcode, r.Opcode);
        Assert.Equal(opaque, r.Opaque);
    }
}

/// <summary>A buffer writer over one fixed array, reset between uses (allocation-free once made).</summary>
internal sealed class FixedWriter(int capacity) : IBufferWriter<byte>
{
    readonly byte[] _buffer = new byte[capacity];
    int _written;

    public ReadOnlySpan<byte> Written => _buffer.AsSpan(0, _written);
    public void Reset() => _written = 0;
    public void Advance(int count) => _written += count;
    public Memory<byte> GetMemory(int sizeHint = 0) => _buffer.AsMemory(_written);
    public Span<byte> GetSpan(int sizeHint = 0) => _buffer.AsSpan(_written);
}

/// <summary>A buffer writer that never hands out more than it was asked for (at least a few bytes), to exercise chunked copies.</summary>
internal sealed class StingyWriter : IBufferWriter<byte>
{
    readonly List<byte> _written = new();
    byte[] _current = [];
    public int Spans { get; private set; }

    public byte[] Written => _written.ToArray();

    public void Advance(int count)
    {
        for (int i = 0; i < count; i++) _written.Add(_current[i]);
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Spans++;
        _current = new byte[Math.Max(sizeHint, 7)];
        return _current;
    }

    public Span<byte> GetSpan(int sizeHint = 0) => GetMemory(sizeHint).Span;
}
