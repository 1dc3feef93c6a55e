using System.Buffers;
using CacheCluster.Protocols.Memcached;
using CacheCluster.Protocols.Memcached.Binary;
using static CacheCluster.Protocols.Tests.Memcached.Binary.Frames;

namespace CacheCluster.Protocols.Tests.Memcached.Binary;

/// <summary>Frames arriving in pieces: Incomplete (touching nothing) until the last byte, then the same decode.</summary>
public class McBinarySplitTests
{
    public static TheoryData<string, byte[]> AllFrames()
    {
        var data = new TheoryData<string, byte[]>
        {
            { "get", Get(McBinaryOpcode.Get, "alpha", 1) },
            { "getq", Get(McBinaryOpcode.GetQ, "alpha", 2) },
            { "getk", Get(McBinaryOpcode.GetK, "beta", 3) },
            { "getkq", Get(McBinaryOpcode.GetKQ, "beta", 4) },
            { "set", Store(McBinaryOpcode.Set, "k1", "value-1", 5, 60, 0, 5) },
            { "setq cas", Store(McBinaryOpcode.SetQ, "k1", "value-2", 6, 0, 123, 6) },
            { "add", Store(McBinaryOpcode.Add, "k2", "v", 7, 1, 0, 7) },
            { "addq", Store(McBinaryOpcode.AddQ, "k2", "v", 7, 1, 0, 8) },
            { "replace", Store(McBinaryOpcode.Replace, "k3", "", 0, 2_600_000, 0, 9) },
            { "replaceq", Store(McBinaryOpcode.ReplaceQ, "k3", "x", 0, 0, 0, 10) },
            { "append", Concat(McBinaryOpcode.Append, "k4", "tail", 0, 11) },
            { "appendq", Concat(McBinaryOpcode.AppendQ, "k4", "tail", 9, 12) },
            { "prepend", Concat(McBinaryOpcode.Prepend, "k5", "head", 0, 13) },
            { "prependq", Concat(McBinaryOpcode.PrependQ, "k5", "head", 0, 14) },
            { "delete", Request(McBinaryOpcode.Delete, "k6", opaque: 15, cas: 4) },
            { "deleteq", Request(McBinaryOpcode.DeleteQ, "k6", opaque: 16) },
            { "incr", Incr(McBinaryOpcode.Increment, "n", 5, 100, 30, 0, 17) },
            { "incrq", Incr(McBinaryOpcode.IncrementQ, "n", 5, 100, 0xFFFFFFFF, 0, 18) },
            { "decr", Incr(McBinaryOpcode.Decrement, "n", 1, 0, 0, 8, 19) },
            { "decrq", Incr(McBinaryOpcode.DecrementQ, "n", 1, 0, 0, 0, 20) },
            { "touch", WithExpiry(McBinaryOpcode.Touch, "t", 10, 21) },
            { "gat", WithExpiry(McBinaryOpcode.Gat, "t", 10, 22) },
            { "gatq", WithExpiry(McBinaryOpcode.GatQ, "t", 0, 23) },
            { "gatk", WithExpiry(McBinaryOpcode.GatK, "t", 10, 24) },
            { "gatkq", WithExpiry(McBinaryOpcode.GatKQ, "t", 10, 25) },
            { "flush", Request(McBinaryOpcode.Flush, opaque: 26) },
            { "flush delayed", Request(McBinaryOpcode.Flush, extras: U32(30), opaque: 27) },
            { "flushq", Request(McBinaryOpcode.FlushQ, extras: U32(0), opaque: 28) },
            { "noop", Request(McBinaryOpcode.Noop, opaque: 29) },
            { "version", Request(McBinaryOpcode.Version, opaque: 30) },
            { "quit", Request(McBinaryOpcode.Quit, opaque: 31) },
            { "quitq", Request(McBinaryOpcode.QuitQ, opaque: 32) },
            { "stat", Request(McBinaryOpcode.Stat, opaque: 33) },
            { "stat group", Request(McBinaryOpcode.Stat, "settings", opaque: 34) },
            { "verbosity", Request(McBinaryOpcode.Verbosity, extras: U32(1), opaque: 35) },
            { "sasl auth", Request(McBinaryOpcode.SaslAuth, "PLAIN", value: B("\0a\0b"), opaque: 36) },
            { "unknown", Request((McBinaryOpcode)0x40, "k", U32(0), B("body"), 37) },
            { "too large set", Request(McBinaryOpcode.Set, "big", Cat(U32(0), U32(0)), new byte[SmallItem + 1], 38) },
            { "too large append", Request(McBinaryOpcode.Append, "big", value: new byte[SmallItem + 1], opaque: 39) },
        };
        return data;
    }

    const int SmallItem = 64;

    static BinHarness NewHarness() => new(maxItemSize: SmallItem);

    [Theory]
    [MemberData(nameof(AllFrames))]
    public void Every_prefix_is_incomplete_and_touches_nothing(string name, byte[] frame)
    {
        var h = NewHarness();
        h.Arena.Append("earlier"u8);
        h.Sink.Add(3);
        for (int n = 0; n < frame.Length; n++)
        {
            var status = h.TryDecode(new ReadOnlySequence<byte>(frame, 0, n), out var req, out long consumed);
            Assert.True(status == McParseStatus.Incomplete, $"{name}: {n} of {frame.Length} bytes gave {status}");
            Assert.Equal(0, consumed);
            Assert.Equal(1, h.Arena.ArgCount);
            Assert.Equal(1, h.Sink.Count);
            Assert.Equal(default(McRequest), req);
        }
        Assert.Equal(McParseStatus.Complete, h.TryDecode(new ReadOnlySequence<byte>(frame), out _, out long all));
        Assert.Equal(frame.Length, all);
    }

    [Theory]
    [MemberData(nameof(AllFrames))]
    public void Every_two_segment_split_decodes_the_same(string name, byte[] frame)
    {
        var reference = NewHarness();
        string expected = reference.Describe(reference.Decode(frame));
        for (int cut = 0; cut <= frame.Length; cut++)
        {
            var h = NewHarness();
            var seq = Segments(frame[..cut], frame[cut..]);
            var req = h.Decode(seq, frame.Length);
            Assert.True(expected == h.Describe(req), $"{name} cut at {cut}:\n{expected}\n{h.Describe(req)}");
        }
    }

    [Theory]
    [MemberData(nameof(AllFrames))]
    public void One_byte_segments_decode_the_same(string name, byte[] frame)
    {
        var reference = NewHarness();
        string expected = reference.Describe(reference.Decode(frame));
        var h = NewHarness();
        var req = h.Decode(Bytewise(frame), frame.Length);
        Assert.True(expected == h.Describe(req), name);
    }

    [Theory]
    [MemberData(nameof(AllFrames))]
    public void A_frame_followed_by_another_stops_at_its_end(string name, byte[] frame)
    {
        var h = NewHarness();
        var next = Get(McBinaryOpcode.GetK, "next", 1000);
        var stream = Cat(frame, next);
        var reader = new SequenceReader<byte>(Bytewise(stream));
        Assert.Equal(McParseStatus.Complete, h.Codec.TryDecode(ref reader, h.Arena, h.Sink, h.Map, h.Clock, out var first));
        Assert.True(frame.Length == reader.Consumed, name);
        Assert.Equal(frame[1], first.Opcode);
        Assert.Equal(McParseStatus.Complete, h.Codec.TryDecode(ref reader, h.Arena, h.Sink, h.Map, h.Clock, out var second));
        Assert.Equal(1000u, second.Opaque);
        Assert.Equal("next", Frames.S(second.Key.Span));
        Assert.Equal(McParseStatus.Incomplete, h.Codec.TryDecode(ref reader, h.Arena, h.Sink, h.Map, h.Clock, out _));
        Assert.Equal(stream.Length, reader.Consumed);
    }

    [Fact]
    public void A_pipeline_fed_byte_by_byte_yields_each_request_exactly_once()
    {
        var frames = new List<byte[]>();
        foreach (var row in AllFrames()) frames.Add((byte[])row[1]);
        var stream = Cat(frames.ToArray());
        var h = NewHarness();
        var decoded = new List<McRequest>();
        long offset = 0;
        for (int end = 1; end <= stream.Length; end++)
        {
            while (true)
            {
                var status = h.TryDecode(new ReadOnlySequence<byte>(stream, (int)offset, end - (int)offset), out var req, out long consumed);
                if (status == McParseStatus.Incomplete)
                {
                    Assert.Equal(0, consumed);
                    break;
                }
                decoded.Add(req);
                offset += consumed;
            }
        }
        Assert.Equal(stream.Length, offset);
        Assert.Equal(frames.Count, decoded.Count);
        for (int i = 0; i < frames.Count; i++) Assert.Equal(frames[i][1], decoded[i].Opcode);
    }
}
