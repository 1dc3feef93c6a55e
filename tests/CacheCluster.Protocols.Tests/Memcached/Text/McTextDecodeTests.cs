using CacheCluster.Core;
using CacheCluster.Protocols.Memcached;
using static CacheCluster.Protocols.Tests.Memcached.Text.McTextHarness;

namespace CacheCluster.Protocols.Tests.Memcached.Text;

/// <summary>Text-protocol requests become the right commands, fields and routing.</summary>
public class McTextDecodeTests
{
    readonly McTextHarness h = new();

    [Fact]
    public void GetOneKey()
    {
        var req = h.One("get foo\r\n");
        var c = h.Single(req, Op.McGet, "foo");
        Assert.Equal(CommandOptions.None, c.Options);
        Assert.Equal(0, c.Int1);
        Assert.False(req.Quiet);
    }

    [Fact]
    public void MultiGetKeepsOrderAndRoutesEachKey()
    {
        var keys = Enumerable.Range(0, 40).Select(i => "key:" + i).ToArray();
        var req = h.One("gets " + string.Join("  ", keys) + " \r\n");
        Assert.Equal(McRequestKind.Data, req.Kind);
        Assert.Equal(keys.Length, req.Count);
        for (int i = 0; i < keys.Length; i++)
        {
            var c = h.Cmd(req, i);
            Assert.Equal(Op.McGet, c.Op);
            Assert.Equal(keys[i], S(c.Key));
            Assert.Equal(h.ShardOf(keys[i]), h.Sink.Shards[req.First + i]);
        }
        Assert.Contains(h.Sink.Shards, s => s != h.Sink.Shards[0]); // really spread over shards
    }

    [Fact]
    public void GetAcceptsBareNewline()
    {
        var req = h.One("get a b\n");
        Assert.Equal(2, req.Count);
        Assert.Equal("b", S(h.Cmd(req, 1).Key));
    }

    [Fact]
    public void GetTreatsTrailingNoreplyAsAKey()
    {
        var req = h.One("get a noreply\r\n");
        Assert.Equal(2, req.Count);
        Assert.Equal("noreply", S(h.Cmd(req, 1).Key));
        Assert.False(req.Quiet);
    }

    [Fact]
    public void GetKeysAreBinaryExceptSpace()
    {
        var req = h.One("get a\tb\rc\r\n");
        Assert.Equal("a\tb\rc", S(h.Single(req, Op.McGet, "a\tb\rc").Key));
    }

    [Theory]
    [InlineData("gat", 100L, 100_000L)]
    [InlineData("gats", 0L, 0L)]
    [InlineData("gat", -1L, 1L)]
    public void GatTouchesEachKey(string cmd, long exptime, long expectedOffsetMs)
    {
        var req = h.One($"{cmd} {exptime} a b\r\n");
        Assert.Equal(2, req.Count);
        for (int i = 0; i < 2; i++)
        {
            var c = h.Cmd(req, i);
            Assert.Equal(Op.McGat, c.Op);
            long expected = exptime switch { 0 => 0, < 0 => 1, _ => h.Now + expectedOffsetMs };
            Assert.Equal(expected, c.Int1);
        }
    }

    [Fact]
    public void GatWithAbsoluteTime()
    {
        long abs = T0 / 1000 + 5000;
        var c = h.Single(h.One($"gat {abs} k\r\n"), Op.McGat, "k");
        Assert.Equal(abs * 1000, c.Int1);
        var past = h.Single(h.One($"gat {T0 / 1000 - 10} k\r\n"), Op.McGat, "k");
        Assert.Equal(1, past.Int1);
    }

    [Fact]
    public void ExpiryFollowsTheClock()
    {
        h.Clock.Advance(12_345);
        var c = h.Single(h.One("touch k 10\r\n"), Op.McTouch, "k");
        Assert.Equal(T0 + 12_345 + 10_000, c.Int1);
    }

    [Theory]
    [InlineData("set", CommandOptions.None)]
    [InlineData("add", CommandOptions.Nx)]
    [InlineData("replace", CommandOptions.Xx)]
    [InlineData("append", CommandOptions.Append)]
    [InlineData("prepend", CommandOptions.Prepend)]
    public void StorageCommands(string cmd, CommandOptions options)
    {
        var req = h.One($"{cmd} mykey 42 60 5\r\nhe\r\no\r\n");
        var c = h.Single(req, Op.McStore, "mykey");
        Assert.Equal(options, c.Options);
        Assert.Equal("he\r\no", S(c.Value));
        Assert.Equal(42u, c.Flags);
        Assert.Equal(h.Now + 60_000, c.Int1);
        Assert.Equal(0ul, c.Cas);
        Assert.False(req.Quiet);
    }

    [Fact]
    public void CasCommand()
    {
        var req = h.One("cas k 1 0 3 98765432109876 noreply\r\nabc\r\n");
        var c = h.Single(req, Op.McStore, "k");
        Assert.Equal(98765432109876ul, c.Cas);
        Assert.Equal(CommandOptions.None, c.Options);
        Assert.Equal(0, c.Int1);
        Assert.True(req.Quiet);
    }

    [Fact]
    public void StorageValueIsAnOwnedExactArray()
    {
        var big = new string('v', 10_000);
        var r1 = h.One("set a 0 0 0\r\n\r\n");
        var r2 = h.One($"set b 0 0 {big.Length}\r\n{big}\r\n");
        Assert.Empty(h.Cmd(r1).Value!);
        var v = h.Cmd(r2).Value!;
        Assert.Equal(big.Length, v.Length);
        Assert.Equal(big, S(v));
    }

    [Fact]
    public void StorageNoreplyAndFlagsRange()
    {
        var req = h.One("set k 4294967295 -1 1 noreply\r\nx\r\n");
        var c = h.Single(req, Op.McStore, "k");
        Assert.Equal(uint.MaxValue, c.Flags);
        Assert.Equal(1, c.Int1); // negative exptime: expired at once
        Assert.True(req.Quiet);
    }

    [Fact]
    public void StorageExtraTokensAreIgnoredLikeMemcached()
    {
        // memcached 1.6's parser reads tokens 1..4 (5 for cas) and only looks for noreply at the end
        var req = h.One("set k 0 0 1 extra\r\nx\r\n");
        h.Single(req, Op.McStore, "k");
        Assert.False(req.Quiet);
    }

    [Fact]
    public void IncrDecr()
    {
        var i = h.Single(h.One("incr n 18446744073709551615\r\n"), Op.McIncr, "n");
        Assert.Equal(ulong.MaxValue, unchecked((ulong)i.Int1));
        Assert.Equal(CommandOptions.None, i.Options);
        var req = h.One("decr n 5 noreply\r\n");
        var d = h.Single(req, Op.McIncr, "n");
        Assert.Equal(5, d.Int1);
        Assert.Equal(CommandOptions.Decrement, d.Options);
        Assert.True(req.Quiet);
    }

    [Theory]
    [InlineData("delete k\r\n", false)]
    [InlineData("delete k noreply\r\n", true)]
    [InlineData("delete k 0\r\n", false)]
    [InlineData("delete k 0 noreply\r\n", true)]
    public void Delete(string line, bool quiet)
    {
        var req = h.One(line);
        var c = h.Single(req, Op.McDelete, "k");
        Assert.Equal(0ul, c.Cas);
        Assert.Equal(quiet, req.Quiet);
    }

    [Fact]
    public void Touch()
    {
        var req = h.One("touch k 30 noreply\r\n");
        Assert.Equal(h.Now + 30_000, h.Single(req, Op.McTouch, "k").Int1);
        Assert.True(req.Quiet);
    }

    [Theory]
    [InlineData("flush_all\r\n", false)]
    [InlineData("flush_all 0\r\n", false)]
    [InlineData("flush_all noreply\r\n", true)]
    [InlineData("flush_all -5 noreply\r\n", true)]
    public void FlushAllNowBroadcasts(string line, bool quiet)
    {
        var req = h.One(line);
        Assert.Equal(McRequestKind.Data, req.Kind);
        Assert.Equal(ShardCount, req.Count);
        for (int s = 0; s < ShardCount; s++)
        {
            Assert.Equal(Op.Flush, h.Cmd(req, s).Op);
            Assert.Equal(s, h.Sink.Shards[req.First + s]);
        }
        Assert.Equal(quiet, req.Quiet);
    }

    [Fact]
    public void FlushAllWithDelayIsLocal()
    {
        var req = h.One("flush_all 90\r\n");
        Assert.Equal(McRequestKind.Local, req.Kind);
        Assert.Equal(McLocal.FlushDelayed, req.Local);
        Assert.Equal(90, req.Number);
        Assert.Equal(0, h.Sink.Count);

        var abs = h.One($"flush_all {T0 / 1000 + 3600} noreply\r\n");
        Assert.Equal(McLocal.FlushDelayed, abs.Local);
        Assert.Equal(3600, abs.Number);
        Assert.True(abs.Quiet);

        var past = h.One($"flush_all {T0 / 1000 - 3600}\r\n");
        Assert.Equal(McRequestKind.Data, past.Kind); // a time already gone: flush now
    }

    [Fact]
    public void LocalCommands()
    {
        var v = h.One("version\r\n");
        Assert.Equal((McRequestKind.Local, McLocal.Version), (v.Kind, v.Local));
        var q = h.One("quit\r\n");
        Assert.Equal((McRequestKind.Local, McLocal.Quit), (q.Kind, q.Local));
        Assert.True(q.CloseAfter);
        var vb = h.One("verbosity 2 noreply\r\n");
        Assert.Equal((McRequestKind.Local, McLocal.Verbosity, 2L, true), (vb.Kind, vb.Local, vb.Number, vb.Quiet));
        var mn = h.One("mn\r\n");
        Assert.Equal((McRequestKind.Local, McLocal.Noop), (mn.Kind, mn.Local));
        Assert.Equal(McLocal.Noop, h.One("mn\n").Local);
        Assert.Equal(McLocal.Version, h.One("version x y\r\n").Local);
        Assert.Equal(McLocal.Quit, h.One("quit now\r\n").Local);
        Assert.Equal(0, h.Sink.Count);
    }

    [Theory]
    [InlineData("stats\r\n", null)]
    [InlineData("stats settings\r\n", "settings")]
    [InlineData("stats items\r\n", "items")]
    [InlineData("stats slabs\r\n", "slabs")]
    [InlineData("stats conns\r\n", "conns")]
    [InlineData("stats reset\r\n", "reset")]
    [InlineData("stats items x y\r\n", "items")]
    public void Stats(string line, string? group)
    {
        var req = h.One(line);
        Assert.Equal((McRequestKind.Local, McLocal.Stats), (req.Kind, req.Local));
        Assert.Equal(group, req.Group);
    }

    [Fact]
    public void CStringAndWhitespaceQuirksOfMemcached()
    {
        // leading spaces are skipped by memcached's tokenizer
        h.Single(h.One("   get a\r\n"), Op.McGet, "a");
        // the line is a C string: a NUL ends it
        h.Single(h.One("get a\0b c\r\n"), Op.McGet, "a");
        Assert.Equal("x", S(h.Single(h.One("set k 0 0 1 \0junk\r\nx\r\n"), Op.McStore, "k").Value));
        // numbers are read with strtol: a sign, and a CR left at the end of the line, are fine
        Assert.Equal("x", S(h.Single(h.One("set k 0 0 1\r\r\nx\r\n"), Op.McStore, "k").Value));
        Assert.Equal("y", S(h.Single(h.One("set k 0 0 +1\r\ny\r\n"), Op.McStore, "k").Value));
        Assert.Equal(h.Now + 5000, h.Single(h.One("gat +5 k\r\n"), Op.McGat, "k").Int1);
        // flags are parsed as unsigned long, then cut to 32 bits
        Assert.Equal(0u, h.Single(h.One("set k 4294967296 0 1\r\nx\r\n"), Op.McStore, "k").Flags);
    }

    [Fact]
    public void BgetIsGet() => h.Single(h.One("bget a\r\n"), Op.McGet, "a");

    [Fact]
    public void GatWithoutKeysIsAnEmptyAnswer()
    {
        var req = h.One("gat 10\r\n");
        Assert.Equal((McRequestKind.Data, 0), (req.Kind, req.Count));
        Assert.Equal("END\r\n", h.Write(req));
    }

    [Fact]
    public void PipelineOfMixedCommands()
    {
        var reqs = h.DecodeAll("set a 0 0 1\r\n1\r\nget a\r\nmg a v\r\nincr a 1\r\nmn\r\n");
        Assert.Equal(5, reqs.Count);
        Assert.Equal(new[] { Op.McStore, Op.McGet, Op.McGet, Op.McIncr }, h.Sink.Commands[..h.Sink.Count].Select(c => c.Op));
        Assert.All(h.Sink.Commands[..h.Sink.Count], c => Assert.Equal("a", S(c.Key)));
        Assert.Equal(McLocal.Noop, reqs[4].Local);
    }

    [Fact]
    public void KeysStayValidAfterLaterAppends()
    {
        var sb = new System.Text.StringBuilder();
        for (int i = 0; i < 2000; i++) sb.Append("get key").Append(i).Append(new string('x', 100)).Append("\r\n");
        var reqs = h.DecodeAll(sb.ToString());
        Assert.Equal(2000, reqs.Count);
        for (int i = 0; i < 2000; i++) Assert.Equal("key" + i + new string('x', 100), S(h.Cmd(reqs[i]).Key));
    }
}
