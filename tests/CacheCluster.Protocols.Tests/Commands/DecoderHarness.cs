using System.Buffers;
using System.Text;
using CacheCluster.Core;
using CacheCluster.Protocols.Resp;
using CacheCluster.Protocols.Resp.Commands;

namespace CacheCluster.Protocols.Tests.Commands;

/// <summary>An <see cref="ICommandSink"/> over a growable array (refs stay valid until the next Add) plus the shard of each command.</summary>
internal sealed class ListSink : ICommandSink
{
    private Command[] _commands = new Command[4];
    private readonly List<int> _shards = new();

    public int Count => _shards.Count;

    public ref Command Add(int shard)
    {
        if (_shards.Count == _commands.Length) Array.Resize(ref _commands, _commands.Length * 2);
        int i = _shards.Count;
        _shards.Add(shard);
        _commands[i] = default;
        return ref _commands[i];
    }

    public Command this[int i]
    {
        get
        {
            Assert.InRange(i, 0, Count - 1);
            return _commands[i];
        }
    }

    public int ShardAt(int i) => _shards[i];

    public IReadOnlyList<int> Shards => _shards;
}

/// <summary>Builds RESP requests as bytes, parses them with the real parser into a real arena, and decodes them.</summary>
internal sealed class DecoderHarness
{
    public const long T0 = 1_700_000_000_000;
    public const int ShardCount = 16;

    public readonly ManualClock Clock = new(T0);
    public readonly ShardMap Map = new(ShardCount);
    public readonly RespDecoder Decoder;
    public readonly RequestArena Arena = new();
    public readonly ListSink Sink = new();

    public DecoderHarness()
    {
        Decoder = new RespDecoder(Map, Clock);
    }

    public long Now => Clock.NowMs;

    public static byte[] B(string latin1) => Encoding.Latin1.GetBytes(latin1);
    public static string S(ReadOnlySpan<byte> bytes) => Encoding.Latin1.GetString(bytes);

    /// <summary>A multibulk request for the given arguments.</summary>
    public static byte[] Multibulk(params string[] args)
    {
        var sb = new StringBuilder();
        sb.Append('*').Append(args.Length).Append("\r\n");
        foreach (string a in args) sb.Append('$').Append(B(a).Length).Append("\r\n").Append(a).Append("\r\n");
        return B(sb.ToString());
    }

    /// <summary>Parses one complete request from <paramref name="bytes"/>.</summary>
    public ArgumentList Parse(byte[] bytes)
    {
        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(bytes));
        RespParseStatus status = RespRequestParser.TryParse(ref reader, Arena, out ArgumentList args, out string? error);
        Assert.Equal(RespParseStatus.Complete, status);
        Assert.Null(error);
        Assert.Equal(bytes.Length, reader.Consumed);
        return args;
    }

    public RespRequest Decode(params string[] args) => Decoder.Decode(Parse(Multibulk(args)), Sink);

    public RespRequest DecodeBytes(byte[] bytes) => Decoder.Decode(Parse(bytes), Sink);

    /// <summary>The commands a request appended, with their shards.</summary>
    public List<(int Shard, Command Command)> CommandsOf(in RespRequest req)
    {
        var list = new List<(int, Command)>();
        for (int i = req.First; i < req.First + req.Count; i++) list.Add((Sink.ShardAt(i), Sink[i]));
        return list;
    }

    /// <summary>Asserts a Single request with one command of <paramref name="op"/> on <paramref name="key"/>, routed by key.</summary>
    public Command Single(in RespRequest req, Op op, string key)
    {
        Assert.True(req.Kind == RequestKind.Single, $"expected Single, got {req.Kind} {req.ErrorText}");
        Assert.Equal(1, req.Count);
        var (shard, c) = CommandsOf(req)[0];
        Assert.Equal(op, c.Op);
        Assert.Equal(key, S(c.Key.Span));
        Assert.Equal(Map.ShardOf(B(key)), shard);
        return c;
    }

    public void AssertError(in RespRequest req, string expected)
    {
        Assert.True(req.Kind == RequestKind.Error, $"expected Error, got {req.Kind}");
        Assert.Equal(expected, req.ErrorText);
        Assert.Equal(0, req.Count);
    }
}

/// <summary>Writes replies with <see cref="RespReplyFormatter"/> into an <see cref="ArrayBufferWriter{T}"/>.</summary>
internal static class Formatted
{
    public static string Of(in RespRequest req, Reply[] replies, int version, int shardCount = DecoderHarness.ShardCount)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var w = new RespWriter(buffer, version);
        RespReplyFormatter.Write(ref w, in req, replies, shardCount);
        return Encoding.Latin1.GetString(buffer.WrittenSpan);
    }

    public static string Of(in Reply reply, int version)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var w = new RespWriter(buffer, version);
        RespReplyFormatter.Write(ref w, in reply);
        return Encoding.Latin1.GetString(buffer.WrittenSpan);
    }
}
