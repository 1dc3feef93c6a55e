using System.Buffers;
using System.Text;
using CacheCluster.Core;
using CacheCluster.Protocols.Memcached;
using CacheCluster.Protocols.Memcached.Text;
using CacheCluster.Protocols.Resp;
using static CacheCluster.Protocols.Tests.Memcached.Text.McTextHarness;

namespace CacheCluster.Protocols.Tests.Memcached.Text;

/// <summary>A hand-built sequence segment, to present data split anywhere.</summary>
internal sealed class McSegment : ReadOnlySequenceSegment<byte>
{
    public McSegment(ReadOnlyMemory<byte> memory, McSegment? previous)
    {
        Memory = memory;
        if (previous == null) return;
        RunningIndex = previous.RunningIndex + previous.Memory.Length;
        previous.Next = this;
    }

    /// <summary><paramref name="data"/> cut into segments of <paramref name="size"/> bytes.</summary>
    public static ReadOnlySequence<byte> Chopped(byte[] data, int size)
    {
        if (data.Length == 0) return ReadOnlySequence<byte>.Empty;
        var first = new McSegment(data.AsMemory(0, Math.Min(size, data.Length)), null);
        var last = first;
        for (int i = size; i < data.Length; i += size) last = new McSegment(data.AsMemory(i, Math.Min(size, data.Length - i)), last);
        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }
}

/// <summary>
/// However the bytes arrive (split at any point, in segments of any size), the codec produces the
/// same requests, commands and response bytes as for the whole stream at once. Incomplete never
/// consumes bytes or appends arguments or commands (checked on every call).
/// </summary>
public class McTextSplitTests
{
    const int MaxItem = 1000;
    const int MaxValue = MaxItem - 62; // under the 3-byte key "big" without flags: 48 + 3 + 1 + value + 2 + 8

    public static TheoryData<string, string> Streams()
    {
        string big = string.Concat(Enumerable.Range(0, 20_000).Select(i => (char)('a' + i % 26)));
        string binary = new(Enumerable.Range(0, 256).Select(i => (char)i).ToArray());
        return new TheoryData<string, string>
        {
            { "text", "set a 1 2 3\r\nabc\r\nget a b\r\ngets a\r\ngat 10 a\r\ngats 0 a b\r\nadd b 0 0 1 noreply\r\nx\r\n" +
                      "replace a 0 0 0\r\n\r\nappend a 0 0 2\r\nzz\r\nprepend a 0 0 1\r\ny\r\ncas a 0 0 1 99\r\nq\r\n" +
                      "incr n 5\r\ndecr n 2 noreply\r\ntouch a 100\r\ndelete a\r\ndelete a 0 noreply\r\n" +
                      "flush_all\r\nflush_all 30\r\nversion\r\nverbosity 1\r\nstats\r\nstats items\r\nmn\r\n" },
            { "values with CRLF inside", "set a 0 0 6\r\n\r\n\r\n\r\n\r\nset b 0 0 256\r\n" + binary + "\r\nget a b\r\n" },
            { "bare newlines", "get a\nset b 0 0 1 noreply\nx\r\nincr b 1\ndelete b\nmn\n\r\nmg b v\n" },
            { "meta", "ms foo 2 T90 F5 c k Oq1\r\nhi\r\nmg foo s v t c f l h k O1\r\nmg miss v q k\r\nmg miss v k\r\n" +
                      "ms Zm9v 3 b MA N30 s q\r\nabc\r\nmg Zm9v b k v\r\nmd foo I T30 q\r\nmd foo C5 k\r\nmd foo x F2\r\n" +
                      "ma cnt N0 J10 v c t k\r\nma cnt MD D3 q\r\nme foo\r\nme Zm9v b\r\nmn\r\n" },
            { "errors", "bogus\r\nget\r\nincr k x noreply\r\nset k 0 0 -1\r\nset " + new string('k', 251) + " 0 0 5\r\nhello\r\n" +
                        "set k 0 0 3\r\nabcd\r\nmg k v v\r\nms k 2 z\r\nhi\r\nma k Dx\r\nget " + new string('x', 251) + "\r\n" +
                        "mg k O" + new string('o', 40) + "\r\n\r\nget ok\r\n" },
            { "too large", $"set big 0 0 {MaxValue + 1}\r\n{big[..(MaxValue + 1)]}\r\nms big {big.Length} q\r\n{big}\r\n" +
                           $"add big 0 0 {big.Length} noreply\r\n{big}\r\nget big\r\n" },
            { "large value", $"set big 0 0 {MaxValue}\r\n{big[..MaxValue]}\r\nget big\r\nms big {MaxValue} MP\r\n{big[..MaxValue]}\r\nmn\r\n" },
            { "long multiget", "get " + string.Join(' ', Enumerable.Range(0, 400).Select(i => "key" + i)) + "\r\nmn\r\n" },
            { "trailing partial", "get a\r\nset b 0 0 10\r\nabc" },
            { "trailing partial line", "mn\r\nmg abc v" },
        };
    }

    [Theory]
    [MemberData(nameof(Streams))]
    public void EverySplitPointGivesTheSameResult(string name, string stream)
    {
        var bytes = B(stream);
        string expected = Feed(bytes, []);
        int step = bytes.Length > 3000 ? 97 : 1;
        for (int cut = 0; cut <= bytes.Length; cut += cut < 300 || bytes.Length - cut < 300 ? 1 : step)
        {
            string actual = Feed(bytes, [cut]);
            Assert.True(expected == actual, $"{name}: split at {cut}\nexpected {expected}\nactual   {actual}");
        }
    }

    [Theory]
    [MemberData(nameof(Streams))]
    public void AnySegmentSizeGivesTheSameResult(string name, string stream)
    {
        var bytes = B(stream);
        string expected = Feed(bytes, []);
        foreach (int size in new[] { 1, 2, 3, 5, 7, 16, 64, 4096 })
        {
            string actual = Feed(bytes, [], size);
            Assert.True(expected == actual, $"{name}: segments of {size}\nexpected {expected}\nactual   {actual}");
        }
    }

    [Theory]
    [MemberData(nameof(Streams))]
    public void ManySmallReadsGiveTheSameResult(string name, string stream)
    {
        // one byte per read (37 for the big streams, to keep the run short)
        var bytes = B(stream);
        int step = bytes.Length > 3000 ? 37 : 1;
        string expected = Feed(bytes, []);
        string actual = Feed(bytes, Enumerable.Range(1, bytes.Length - 1).Where(i => i % step == 0).ToArray());
        Assert.True(expected == actual, $"{name}: reads of {step} byte(s)\nexpected {expected}\nactual   {actual}");
    }

    [Fact]
    public void EveryPrefixOfARequestIsIncomplete()
    {
        foreach (var request in new[] { "set k 0 0 5\r\nhello\r\n", "get a b c\r\n", "ms k 2 T1\r\nhi\r\n", "mg k v\r\n", "mn\r\n" })
        {
            var bytes = B(request);
            for (int n = 0; n < bytes.Length; n++)
            {
                var h = new McTextHarness();
                var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(bytes, 0, n));
                Assert.Equal(McParseStatus.Incomplete, h.Codec.TryDecode(ref reader, h.Arena, h.Sink, h.Map, h.Clock, out _));
                Assert.Equal(0, reader.Consumed);
                Assert.Equal(0, h.Arena.ArgCount);
                Assert.Equal(0, h.Sink.Count);
            }
        }
    }

    /// <summary>
    /// Feeds <paramref name="stream"/> like successive socket reads ending at <paramref name="cuts"/>: unconsumed
    /// bytes are kept for the next read, the arena is reset after each batch. Describes every request
    /// (except the silent ones that only discard a refused block), its commands and its response.
    /// </summary>
    static string Feed(byte[] stream, int[] cuts, int segmentSize = int.MaxValue)
    {
        var clock = new ManualClock(T0);
        var map = new ShardMap(ShardCount);
        var codec = new McTextCodec(new McCodecOptions { MaxItemSize = MaxItem });
        var arena = new RequestArena();
        var sb = new StringBuilder();
        var pending = new List<byte>();
        int offset = 0;
        foreach (int cut in cuts.Append(stream.Length))
        {
            pending.AddRange(stream[offset..cut]);
            offset = cut;
            var batch = pending.ToArray();
            var sink = new McTestSink();
            var reader = new SequenceReader<byte>(McSegment.Chopped(batch, Math.Max(1, Math.Min(segmentSize, batch.Length))));
            bool closed = false;
            while (!closed)
            {
                long before = reader.Consumed;
                int args = arena.ArgCount, cmds = sink.Count;
                if (codec.TryDecode(ref reader, arena, sink, map, clock, out var req) == McParseStatus.Incomplete)
                {
                    Assert.Equal(before, reader.Consumed);
                    Assert.Equal(args, arena.ArgCount);
                    Assert.Equal(cmds, sink.Count);
                    break;
                }
                Assert.True(reader.Consumed > before);
                closed = req.CloseAfter;
                if (req.Kind == McRequestKind.Error && req.ErrorText == null && !req.CloseAfter) continue; // discarding
                Describe(sb, codec, req, sink);
            }
            pending.RemoveRange(0, (int)reader.Consumed);
            arena.Reset();
            if (closed) break;
        }
        sb.Append("| left ").Append(pending.Count);
        return sb.ToString();
    }

    static void Describe(StringBuilder sb, McTextCodec codec, McRequest req, McTestSink sink)
    {
        sb.Append('[').Append(req.Kind).Append(' ').Append(req.Local).Append(" op").Append(req.Opcode)
            .Append(req.Quiet ? " quiet" : "").Append(req.CloseAfter ? " close" : "").Append(' ').Append(req.ErrorText)
            .Append(" n").Append(req.Number).Append(' ').Append(req.Group);
        var replies = new Reply[Math.Max(1, sink.Count)];
        if (req.Kind == McRequestKind.Data)
        {
            for (int i = req.First; i < req.First + req.Count; i++)
            {
                var c = sink.Commands[i];
                sb.Append(" {").Append(c.Op).Append(' ').Append(S(c.Key)).Append('@').Append(sink.Shards[i])
                    .Append(' ').Append(c.Value == null ? "-" : S(c.Value)).Append(' ').Append(c.Options)
                    .Append(' ').Append(c.Flags).Append(' ').Append(c.Int1).Append(' ').Append(c.Int2).Append(' ')
                    .Append(c.Int3).Append(' ').Append(c.Int4).Append(' ').Append(c.Cas).Append('}');
                replies[i] = c.Op switch
                {
                    Op.McGet or Op.McGat => S(c.Key).StartsWith("miss") ? Miss : Hit("v:" + S(c.Key), flags: 1, cas: 2, ttl: 9, la: 1, meta: McMeta.HitBefore),
                    Op.McStore => St(McStatus.Stored, 3),
                    Op.McDelete => St(McStatus.Deleted),
                    Op.McIncr => Num(5, 4),
                    Op.McTouch => St(McStatus.Touched),
                    _ => Reply.Ok,
                };
            }
        }
        var output = new ArrayBufferWriter<byte>();
        if (req.Kind == McRequestKind.Local && req.Local == McLocal.Stats) codec.WriteStats(output, req, [new("x", "1")]);
        else if (req.Kind == McRequestKind.Local) codec.WriteLocal(output, req, "v");
        else codec.Write(output, req, sink.Commands, replies);
        sb.Append(" => ").Append(S(output.WrittenSpan).Replace("\r\n", "\\r\\n")).Append("] ");
    }
}
