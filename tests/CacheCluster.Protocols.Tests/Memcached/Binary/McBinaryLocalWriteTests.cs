using CacheCluster.Core;
using CacheCluster.Protocols.Memcached;
using CacheCluster.Protocols.Memcached.Binary;
using static CacheCluster.Protocols.Tests.Memcached.Binary.Frames;

namespace CacheCluster.Protocols.Tests.Memcached.Binary;

/// <summary>Responses the connection asks for without shards: NOOP, VERSION, QUIT, delayed FLUSH, STAT, and refused frames.</summary>
public class McBinaryLocalWriteTests
{
    const uint Opaque = 0x01020304;
    readonly BinHarness _h = new();

    byte[] Local(byte[] frame, string version = "1.6.21")
    {
        var req = _h.Decode(frame);
        Assert.Equal(McRequestKind.Local, req.Kind);
        return Responses.Written(o => _h.Codec.WriteLocal(o, req, version));
    }

    [Fact]
    public void Noop_is_exactly_an_empty_success()
    {
        Assert.Equal(
            "81" + "0A" + "0000" + "00" + "00" + "0000" + "00000000" + "01020304" + "0000000000000000",
            Convert.ToHexString(Local(Request(McBinaryOpcode.Noop, opaque: Opaque))));
    }

    [Fact]
    public void Version_body_is_the_version_text()
    {
        var r = Responses.One(Local(Request(McBinaryOpcode.Version, opaque: Opaque), "1.6.21"));
        Responses.AssertEcho(r, McBinaryOpcode.Version, Opaque);
        Assert.Equal(0, r.Status);
        Assert.Equal(0ul, r.Cas);
        Assert.Empty(r.Extras);
        Assert.Empty(r.Key);
        Assert.Equal("1.6.21", r.Text);
    }

    [Fact]
    public void Quit_answers_then_closes_and_QuitQ_only_closes()
    {
        var r = Responses.One(Local(Request(McBinaryOpcode.Quit, opaque: Opaque)));
        Responses.AssertEcho(r, McBinaryOpcode.Quit, Opaque);
        Assert.Equal(0, r.Status);
        Assert.Empty(r.Value);
        Assert.Empty(Local(Request(McBinaryOpcode.QuitQ, opaque: Opaque)));
    }

    [Fact]
    public void Delayed_flush_answers_success_unless_quiet()
    {
        var r = Responses.One(Local(Request(McBinaryOpcode.Flush, extras: U32(10), opaque: Opaque)));
        Responses.AssertEcho(r, McBinaryOpcode.Flush, Opaque);
        Assert.Equal(0, r.Status);
        Assert.Empty(r.Value);
        Assert.Empty(Local(Request(McBinaryOpcode.FlushQ, extras: U32(10), opaque: Opaque)));
    }

    [Fact]
    public void Verbosity_local_answers_success()
    {
        // never decoded by this codec (memcached 1.6 answers VERBOSITY "Unknown command"), but answerable
        var req = new McRequest { Kind = McRequestKind.Local, Local = McLocal.Verbosity, Opcode = 0x1b, Opaque = Opaque };
        var r = Responses.One(Responses.Written(o => _h.Codec.WriteLocal(o, req, "x")));
        Responses.AssertEcho(r, McBinaryOpcode.Verbosity, Opaque);
        Assert.Equal(0, r.Status);
    }

    [Fact]
    public void Stats_are_one_packet_per_stat_and_an_empty_terminator()
    {
        var req = _h.Decode(Request(McBinaryOpcode.Stat, opaque: Opaque));
        var stats = new List<KeyValuePair<string, string>> { new("pid", "1234"), new("version", "1.6.21"), new("empty", "") };
        var all = Responses.Parse(Responses.Written(o => _h.Codec.WriteStats(o, req, stats)));
        Assert.Equal(4, all.Count);
        foreach (var r in all)
        {
            Responses.AssertEcho(r, McBinaryOpcode.Stat, Opaque);
            Assert.Equal(0, r.Status);
            Assert.Equal(0ul, r.Cas);
            Assert.Empty(r.Extras);
        }
        Assert.Equal("pid", S(all[0].Key));
        Assert.Equal("1234", all[0].Text);
        Assert.Equal("version", S(all[1].Key));
        Assert.Equal("1.6.21", all[1].Text);
        Assert.Equal("empty", S(all[2].Key));
        Assert.Empty(all[2].Value);
        Assert.Empty(all[3].Key);
        Assert.Empty(all[3].Value);
    }

    [Fact]
    public void Stat_packet_bytes_are_exact()
    {
        var req = _h.Decode(Request(McBinaryOpcode.Stat, "settings", opaque: Opaque));
        var bytes = Responses.Written(o => _h.Codec.WriteStats(o, req, [new("a", "bc")]));
        Assert.Equal(
            "81" + "10" + "0001" + "00" + "00" + "0000" + "00000003" + "01020304" + "0000000000000000" + "616263" +
            "81" + "10" + "0000" + "00" + "00" + "0000" + "00000000" + "01020304" + "0000000000000000",
            Convert.ToHexString(bytes));
    }

    [Fact]
    public void No_stats_is_just_the_terminator()
    {
        var req = _h.Decode(Request(McBinaryOpcode.Stat, "reset", opaque: Opaque));
        var r = Responses.One(Responses.Written(o => _h.Codec.WriteStats(o, req, [])));
        Assert.Empty(r.Key);
        Assert.Empty(r.Value);
        Assert.Equal(Opaque, r.Opaque);
    }

    [Fact]
    public void Local_requests_are_refused_by_Write_and_stats_by_WriteLocal()
    {
        var noop = _h.Decode(Request(McBinaryOpcode.Noop));
        Assert.Throws<ArgumentException>(() => Responses.Written(o => _h.Codec.Write(o, noop, [], [])));
        var stat = _h.Decode(Request(McBinaryOpcode.Stat));
        Assert.Throws<ArgumentException>(() => Responses.Written(o => _h.Codec.WriteLocal(o, stat, "1")));
    }

    public static TheoryData<string, byte[], bool, McBinaryStatus, string> Refused => new()
    {
        // name, frame, closes (then only header + extras + key are consumed), status, text
        { "unknown opcode", Request((McBinaryOpcode)0x42, "k", opaque: Opaque), false, McBinaryStatus.UnknownCommand, "Unknown command" },
        { "verbosity", Request(McBinaryOpcode.Verbosity, extras: U32(2), opaque: Opaque), false, McBinaryStatus.UnknownCommand, "Unknown command" },
        { "sasl list", Request(McBinaryOpcode.SaslListMechs, opaque: Opaque), false, McBinaryStatus.UnknownCommand, "Unknown command" },
        { "bad lengths", Request(McBinaryOpcode.Get, "k", U32(0), opaque: Opaque), true, McBinaryStatus.InvalidArguments, "Invalid arguments" },
        { "long key", Get(McBinaryOpcode.GetQ, new string('x', 251), Opaque), true, McBinaryStatus.InvalidArguments, "Invalid arguments" },
        { "key past body", Request(McBinaryOpcode.SetQ, "abc", bodyLength: 1, opaque: Opaque), true, McBinaryStatus.UnknownCommand, "Unknown command" },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public void Refused_frames_answer_their_status_and_text_even_when_quiet(string name, byte[] frame, bool closes,
        McBinaryStatus status, string text)
    {
        long consumed = closes ? McBinaryHeader.Parse(frame).PrefixLength : frame.Length;
        var req = _h.Decode(new System.Buffers.ReadOnlySequence<byte>(frame), consumed);
        Assert.Equal(closes, req.CloseAfter);
        var r = Responses.One(Responses.Written(o => _h.Codec.Write(o, req, [], [])));
        Responses.AssertEcho(r, (McBinaryOpcode)frame[1], Opaque);
        Assert.True((ushort)status == r.Status, name);
        Assert.Equal(text, r.Text);
        Assert.Equal(0ul, r.Cas);
        Assert.Empty(r.Extras);
        Assert.Empty(r.Key);
    }
}
