using System.Buffers;
using System.Text;
using CacheCluster.Core;
using CacheCluster.Protocols.Memcached;
using CacheCluster.Protocols.Memcached.Text;
using CacheCluster.Protocols.Resp;

namespace CacheCluster.Protocols.Tests.Memcached.Text;

/// <summary>An <see cref="ICommandSink"/> over a growable array, remembering each command's shard.</summary>
internal sealed class McTestSink : ICommandSink
{
    public Command[] Commands = new Command[4];
    public readonly List<int> Shards = new();

    public int Count => Shards.Count;

    public ref Command Add(int shard)
    {
        if (Shards.Count == Commands.Length) Array.Resize(ref Commands, Commands.Length * 2);
        int i = Shards.Count;
        Shards.Add(shard);
        Commands[i] = default;
        return ref Commands[i];
    }
}

/// <summary>A decoded request with copies of its commands (keys and values as strings).</summary>
internal sealed record Decoded(McRequest Request, List<(int Shard, Command Command)> Commands);

/// <summary>Feeds bytes to a <see cref="McTextCodec"/> like a connection, and writes responses from given replies.</summary>
internal sealed class McTextHarness
{
    public const long T0 = 1_700_000_000_000;
    public const int ShardCount = 16;
    public const string Version = "1.6.21";

    public readonly ManualClock Clock = new(T0);
    public readonly ShardMap Map = new(ShardCount);
    public readonly RequestArena Arena = new();
    public readonly McTestSink Sink = new();
    public readonly McTextCodec Codec;

    public McTextHarness(long maxItemSize = 1024 * 1024)
    {
        Codec = new McTextCodec(new McCodecOptions { MaxItemSize = maxItemSize });
    }

    public static byte[] B(string latin1) => Encoding.Latin1.GetBytes(latin1);
    public static string S(ReadOnlySpan<byte> bytes) => Encoding.Latin1.GetString(bytes);
    public static string S(ReadOnlyMemory<byte> bytes) => Encoding.Latin1.GetString(bytes.Span);

    public long Now => Clock.NowMs;

    public int ShardOf(string key) => Map.ShardOf(B(key));

    /// <summary>Decodes every complete request in <paramref name="input"/> (one segment); asserts the Incomplete contract on the way.</summary>
    public List<McRequest> DecodeAll(ReadOnlySequence<byte> input, out long consumed, out bool stoppedIncomplete)
    {
        var reader = new SequenceReader<byte>(input);
        var list = new List<McRequest>();
        stoppedIncomplete = false;
        while (true)
        {
            long before = reader.Consumed;
            int args = Arena.ArgCount, cmds = Sink.Count;
            var status = Codec.TryDecode(ref reader, Arena, Sink, Map, Clock, out var req);
            if (status == McParseStatus.Incomplete)
            {
                Assert.Equal(before, reader.Consumed);
                Assert.Equal(args, Arena.ArgCount);
                Assert.Equal(cmds, Sink.Count);
                stoppedIncomplete = true;
                break;
            }
            Assert.True(reader.Consumed > before, "a Complete request consumes bytes");
            if (req.Kind == McRequestKind.Data)
            {
                Assert.Equal(cmds, req.First);
                Assert.Equal(Sink.Count - cmds, req.Count);
            }
            else Assert.Equal(cmds, Sink.Count);
            list.Add(req);
            if (req.CloseAfter) break;
        }
        consumed = reader.Consumed;
        return list;
    }

    public List<McRequest> DecodeAll(string input) => DecodeAll(new ReadOnlySequence<byte>(B(input)), out _, out _);

    /// <summary>Decodes exactly one request that is all of <paramref name="input"/>.</summary>
    public McRequest One(string input)
    {
        var bytes = B(input);
        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(bytes));
        var status = Codec.TryDecode(ref reader, Arena, Sink, Map, Clock, out var req);
        Assert.Equal(McParseStatus.Complete, status);
        Assert.Equal(bytes.Length, reader.Consumed);
        return req;
    }

    public Command Cmd(in McRequest req, int i = 0)
    {
        Assert.InRange(i, 0, req.Count - 1);
        return Sink.Commands[req.First + i];
    }

    /// <summary>Asserts a Data request with one command of <paramref name="op"/> on <paramref name="key"/>, routed by key.</summary>
    public Command Single(in McRequest req, Op op, string key)
    {
        Assert.True(req.Kind == McRequestKind.Data, $"expected Data, got {req.Kind} {req.ErrorText}");
        Assert.Equal(1, req.Count);
        var c = Sink.Commands[req.First];
        Assert.Equal(op, c.Op);
        Assert.Equal(key, S(c.Key));
        Assert.Equal(ShardOf(key), Sink.Shards[req.First]);
        return c;
    }

    public static void AssertError(in McRequest req, string? text, bool quiet = false, bool close = false)
    {
        Assert.True(req.Kind == McRequestKind.Error, $"expected Error, got {req.Kind}");
        Assert.Equal(text, req.ErrorText);
        Assert.Equal(quiet, req.Quiet);
        Assert.Equal(close, req.CloseAfter);
    }

    /// <summary>Writes the response of <paramref name="req"/> with <paramref name="replies"/> for its commands, in order.</summary>
    public string Write(in McRequest req, params Reply[] replies)
    {
        var all = new Reply[Math.Max(Sink.Count, 1)];
        for (int i = 0; i < replies.Length; i++) all[req.First + i] = replies[i];
        var buffer = new ArrayBufferWriter<byte>();
        switch (req.Kind)
        {
            case McRequestKind.Local when req.Local == McLocal.Stats:
                Codec.WriteStats(buffer, req, [new("pid", "1"), new("version", Version), new("empty", "")]);
                break;
            case McRequestKind.Local:
                Codec.WriteLocal(buffer, req, Version);
                break;
            default:
                Codec.Write(buffer, req, Sink.Commands, all);
                break;
        }
        return S(buffer.WrittenSpan);
    }

    /// <summary>Decodes <paramref name="input"/> and writes the whole answer, replying to commands in order with <paramref name="replies"/>.</summary>
    public string Exchange(string input, params Reply[] replies)
    {
        var requests = DecodeAll(input);
        var all = new Reply[Math.Max(Sink.Count, 1)];
        replies.CopyTo(all, 0);
        var buffer = new ArrayBufferWriter<byte>();
        foreach (var req in requests)
        {
            if (req.Kind == McRequestKind.Local && req.Local == McLocal.Stats)
                Codec.WriteStats(buffer, req, [new("pid", "1")]);
            else if (req.Kind == McRequestKind.Local) Codec.WriteLocal(buffer, req, Version);
            else Codec.Write(buffer, req, Sink.Commands, all);
        }
        return S(buffer.WrittenSpan);
    }

    // ---- replies
    public static Reply Hit(string value, uint flags = 0, ulong cas = 0, long ttl = -1, long la = 0, McMeta meta = McMeta.None) =>
        new() { Kind = ReplyKind.Bulk, Bulk = B(value), Flags = flags, Cas = cas, Integer = ttl, Aux = la, Meta = meta };

    public static Reply Miss => Reply.Nil;
    public static Reply St(McStatus s, ulong cas = 0) => Reply.Mc(s, cas);
    public static Reply Num(ulong v, ulong cas = 0) => new() { Kind = ReplyKind.Integer, Integer = unchecked((long)v), Cas = cas };
    public static Reply Err(ErrorCode e) => Reply.Fail(e);
}
