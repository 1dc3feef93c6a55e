using CacheCluster.Core;
using CacheCluster.Protocols.Memcached;
using static CacheCluster.Protocols.Tests.Memcached.Text.McTextHarness;

namespace CacheCluster.Protocols.Tests.Memcached.Text;

/// <summary>Meta commands and their flags become the right commands.</summary>
public class McMetaDecodeTests
{
    const string BadFormat = "CLIENT_ERROR bad command line format";
    readonly McTextHarness h = new(maxItemSize: 100);

    [Fact]
    public void MgPlain()
    {
        var req = h.One("mg foo\r\n");
        var c = h.Single(req, Op.McGet, "foo");
        Assert.Equal(CommandOptions.None, c.Options);
        Assert.False(req.Quiet);
    }

    [Fact]
    public void MgTouchAndVivify()
    {
        var t = h.Single(h.One("mg k T30 v\r\n"), Op.McGet, "k");
        Assert.Equal(CommandOptions.Touch, t.Options);
        Assert.Equal(h.Now + 30_000, t.Int1);

        var n = h.Single(h.One("mg k N30 v\r\n"), Op.McGet, "k");
        Assert.Equal(CommandOptions.Vivify, n.Options);
        Assert.Equal(h.Now + 30_000, n.Int3);
        Assert.Equal(0, n.Int1);

        // memcached applies T and N in request order to a created item: the later one wins
        var nt = h.Single(h.One("mg k N30 T60\r\n"), Op.McGet, "k");
        Assert.Equal(CommandOptions.Vivify | CommandOptions.Touch, nt.Options);
        Assert.Equal(h.Now + 60_000, nt.Int3);
        Assert.Equal(h.Now + 60_000, nt.Int1);
        var tn = h.Single(h.One("mg k T60 N30\r\n"), Op.McGet, "k");
        Assert.Equal(h.Now + 30_000, tn.Int3);

        var expired = h.Single(h.One("mg k T-1\r\n"), Op.McGet, "k");
        Assert.Equal(1, expired.Int1);
    }

    [Fact]
    public void MgWithTBeforeTReadsThenTouches()
    {
        // memcached prints t where it stands: before T it is the TTL before the touch, so read first, touch after
        var req = h.One("mg k t T30 v\r\n");
        Assert.Equal(2, req.Count);
        var get = h.Cmd(req, 0);
        Assert.Equal((Op.McGet, CommandOptions.None), (get.Op, get.Options));
        var touch = h.Cmd(req, 1);
        Assert.Equal((Op.McTouch, "k", h.Now + 30_000), (touch.Op, S(touch.Key), touch.Int1));
        Assert.Equal(h.Sink.Shards[req.First], h.Sink.Shards[req.First + 1]);
        Assert.Equal("VA 1 t-1\r\nx\r\n", h.Write(req, Hit("x", ttl: -1), St(McStatus.Touched)));

        // with N before T the touch still comes after (T wins on a created item too)
        var viv = h.One("mg k t N10 T30\r\n");
        Assert.Equal(2, viv.Count);
        Assert.Equal((CommandOptions.Vivify, h.Now + 30_000), (h.Cmd(viv).Options, h.Cmd(viv).Int3));
        // N after T decides a created item's TTL: one command, touching
        var single = h.One("mg k t T30 N10\r\n");
        Assert.Equal(1, single.Count);
        Assert.Equal(CommandOptions.Touch | CommandOptions.Vivify, h.Cmd(single).Options);
        Assert.Equal(1, h.One("mg k T30 t\r\n").Count);
    }

    [Fact]
    public void MgQuietAndAcceptedNoOpFlags()
    {
        var req = h.One("mg k q u P L R30 E5 s t c f l h k v\r\n");
        h.Single(req, Op.McGet, "k");
        Assert.True(req.Quiet);
    }

    [Theory]
    [InlineData("Zm9v", "foo")]
    [InlineData("Zm9vYg==", "foob")]
    [InlineData("Zm9vYmE=", "fooba")]
    [InlineData("Zm9v!!", "foo")]        // memcached's decoder skips bytes outside the alphabet
    [InlineData("AAECAwQF", "\0\u0001\u0002\u0003\u0004\u0005")]
    public void Base64Keys(string encoded, string key)
    {
        h.Single(h.One($"mg {encoded} b v\r\n"), Op.McGet, key);
        h.Single(h.One($"md {encoded} b\r\n"), Op.McDelete, key);
        h.Single(h.One($"ma {encoded} b\r\n"), Op.McIncr, key);
        h.Single(h.One($"ms {encoded} 1 b\r\nx\r\n"), Op.McStore, key);
        h.Single(h.One($"me {encoded} b\r\n"), Op.McGet, key);
    }

    [Fact]
    public void MsFlags()
    {
        var req = h.One("ms foo 2 T90 F1\r\nhi\r\n");
        var c = h.Single(req, Op.McStore, "foo");
        Assert.Equal("hi", S(c.Value));
        Assert.Equal(1u, c.Flags);
        Assert.Equal(h.Now + 90_000, c.Int1);
        Assert.Equal(CommandOptions.None, c.Options);
        Assert.Equal(0ul, c.Cas);
        Assert.Equal(0, c.Int4);
    }

    [Theory]
    [InlineData("", CommandOptions.None)]
    [InlineData(" MS", CommandOptions.None)]
    [InlineData(" ME", CommandOptions.Nx)]
    [InlineData(" MA", CommandOptions.Append)]
    [InlineData(" MP", CommandOptions.Prepend)]
    [InlineData(" MR", CommandOptions.Xx)]
    public void MsModes(string mode, CommandOptions options)
    {
        var c = h.Single(h.One($"ms k 1{mode} q\r\nx\r\n"), Op.McStore, "k");
        Assert.Equal(options, c.Options);
    }

    [Fact]
    public void MsCasAndInvalidate()
    {
        var cas = h.Single(h.One("ms k 1 C123\r\nx\r\n"), Op.McStore, "k");
        Assert.Equal(123ul, cas.Cas);
        Assert.Equal(CommandOptions.None, cas.Options);

        var stale = h.Single(h.One("ms k 1 I C123\r\nx\r\n"), Op.McStore, "k");
        Assert.Equal(CommandOptions.Invalidate, stale.Options);

        var replace = h.Single(h.One("ms k 1 MR C9 I\r\nx\r\n"), Op.McStore, "k");
        Assert.Equal(CommandOptions.Xx | CommandOptions.Invalidate, replace.Options);
        Assert.Equal(9ul, replace.Cas);

        // I without a CAS does nothing; add ignores a CAS; append checks it but never goes stale
        Assert.Equal(CommandOptions.None, h.Single(h.One("ms k 1 I\r\nx\r\n"), Op.McStore, "k").Options);
        var add = h.Single(h.One("ms k 1 ME C5\r\nx\r\n"), Op.McStore, "k");
        Assert.Equal((CommandOptions.Nx, 0ul), (add.Options, add.Cas));
        var append = h.Single(h.One("ms k 1 MA C5 I\r\nx\r\n"), Op.McStore, "k");
        Assert.Equal((CommandOptions.Append, 5ul), (append.Options, append.Cas));
    }

    [Fact]
    public void MsExplicitCasGoesToInt4() // E comes from later 1.6 releases (1.6.18 refuses it)
    {
        var c = h.Single(h.One("ms k 1 E18446744073709551615\r\nx\r\n"), Op.McStore, "k");
        Assert.Equal(ulong.MaxValue, unchecked((ulong)c.Int4));
    }

    [Fact]
    public void MsIgnoresN()
    {
        // memcached 1.6.18 has no append-vivify: N on ms changes nothing (a missing item is NS)
        var c = h.Single(h.One("ms k 1 MA N30 T99\r\nx\r\n"), Op.McStore, "k");
        Assert.Equal(CommandOptions.Append, c.Options);
        Assert.Equal(h.Now + 99_000, c.Int1);
        var set = h.Single(h.One("ms k 1 N30\r\nx\r\n"), Op.McStore, "k");
        Assert.Equal((CommandOptions.None, 0L), (set.Options, set.Int1));
    }

    [Fact]
    public void MsEmptyValueAndBinaryData()
    {
        Assert.Empty(h.Single(h.One("ms k 0\r\n\r\n"), Op.McStore, "k").Value!);
        Assert.Equal("\r\n\0\xff", S(h.Single(h.One("ms k 4\r\n\r\n\0\xff\r\n"), Op.McStore, "k").Value));
    }

    [Fact]
    public void Md()
    {
        var plain = h.Single(h.One("md k\r\n"), Op.McDelete, "k");
        Assert.Equal((CommandOptions.None, 0ul, 0L), (plain.Options, plain.Cas, plain.Int1));

        var cas = h.Single(h.One("md k C77 q\r\n"), Op.McDelete, "k");
        Assert.Equal(77ul, cas.Cas);

        var stale = h.Single(h.One("md k I T30\r\n"), Op.McDelete, "k");
        Assert.Equal(CommandOptions.Invalidate, stale.Options);
        Assert.Equal(h.Now + 30_000, stale.Int1);

        // T only means something together with I
        Assert.Equal(0, h.Single(h.One("md k T30\r\n"), Op.McDelete, "k").Int1);
    }

    [Fact]
    public void MdRemoveValueStoresAnEmptyItem()
    {
        var c = h.Single(h.One("md k x F3 T10 C4 E8\r\n"), Op.McStore, "k");
        Assert.Empty(c.Value!);
        Assert.Equal(CommandOptions.Xx, c.Options);
        Assert.Equal(3u, c.Flags);
        Assert.Equal(h.Now + 10_000, c.Int1);
        Assert.Equal(4ul, c.Cas);
        Assert.Equal(8, c.Int4);
        AssertError(h.One("md k x I\r\n"), BadFormat);
    }

    [Fact]
    public void Ma()
    {
        var plain = h.Single(h.One("ma k\r\n"), Op.McIncr, "k");
        Assert.Equal((1L, CommandOptions.None), (plain.Int1, plain.Options));

        foreach (var mode in new[] { "MD", "M-" })
        {
            var d = h.Single(h.One($"ma k {mode} D18446744073709551615\r\n"), Op.McIncr, "k");
            Assert.Equal(CommandOptions.Decrement, d.Options);
            Assert.Equal(ulong.MaxValue, unchecked((ulong)d.Int1));
        }
        foreach (var mode in new[] { "MI", "M+" })
            Assert.Equal(CommandOptions.None, h.Single(h.One($"ma k {mode}\r\n"), Op.McIncr, "k").Options);

        var viv = h.Single(h.One("ma k N0 J10\r\n"), Op.McIncr, "k");
        Assert.Equal(CommandOptions.Create, viv.Options);
        Assert.Equal((10L, 0L), (viv.Int2, viv.Int3));

        var ttl = h.Single(h.One("ma k N30 J10 T60 C3\r\n"), Op.McIncr, "k");
        Assert.Equal(CommandOptions.Create | CommandOptions.UpdateTtl, ttl.Options);
        Assert.Equal(h.Now + 60_000, ttl.Int3); // T after N: a created item gets T's TTL
        Assert.Equal(h.Now + 60_000, ttl.Int4);
        Assert.Equal(3ul, ttl.Cas);
        Assert.Equal(h.Now + 30_000, h.Single(h.One("ma k T60 N30\r\n"), Op.McIncr, "k").Int3);
    }

    [Fact]
    public void Me()
    {
        var req = h.One("me foo\r\n");
        h.Single(req, Op.McGet, "foo");
        Assert.Equal(CommandOptions.None, h.Cmd(req).Options);
    }

    [Theory]
    [InlineData("mg\r\n", "ERROR")]
    [InlineData("md\r\n", "ERROR")]
    [InlineData("ma\r\n", "ERROR")]
    [InlineData("me\r\n", BadFormat)]
    [InlineData("mg k M\r\n", "CLIENT_ERROR incorrect length for M token")]
    [InlineData("mg k MEE\r\n", "CLIENT_ERROR incorrect length for M token")]
    [InlineData("mg k v v\r\n", "CLIENT_ERROR duplicate flag")]
    [InlineData("mg k T1 T2\r\n", "CLIENT_ERROR duplicate flag")]
    [InlineData("mg k \x80\r\n", "CLIENT_ERROR duplicate flag")] // a byte >= 127 is refused as memcached does
    [InlineData("mg k z\r\n", "CLIENT_ERROR invalid flag")]
    [InlineData("mg k 1\r\n", "CLIENT_ERROR invalid flag")]
    [InlineData("mg k Tx\r\n", "CLIENT_ERROR bad token in command line format")]
    [InlineData("mg k T\r\n", "CLIENT_ERROR bad token in command line format")]
    [InlineData("mg k N1x\r\n", "CLIENT_ERROR bad token in command line format")]
    [InlineData("mg k R\r\n", "CLIENT_ERROR bad token in command line format")]
    [InlineData("mg k E-1\r\n", "CLIENT_ERROR bad token in command line format")]
    [InlineData("mg k Fx\r\n", BadFormat)]                                   // F keeps the previous message
    [InlineData("mg k Tx Fx\r\n", "CLIENT_ERROR bad token in command line format")]
    [InlineData("mg k Jx\r\n", "CLIENT_ERROR invalid numeric initial value")]
    [InlineData("mg k Dx\r\n", "CLIENT_ERROR invalid numeric delta value")]
    [InlineData("mg k Dx Tx\r\n", "CLIENT_ERROR bad token in command line format")] // the last bad value's message
    [InlineData("mg k Tx z\r\n", "CLIENT_ERROR invalid flag")]
    [InlineData("mg !!!! b\r\n", "CLIENT_ERROR error decoding key")]
    [InlineData("mg Zm9 b\r\n", "CLIENT_ERROR error decoding key")]
    [InlineData("mg ==== b\r\n", "CLIENT_ERROR error decoding key")]
    [InlineData("mg k q z\r\n", "CLIENT_ERROR invalid flag")]                // q never silences errors
    [InlineData("md k z\r\n", "CLIENT_ERROR invalid or duplicate flag")]     // md and ma word every flag error so
    [InlineData("md k Cx\r\n", "CLIENT_ERROR invalid or duplicate flag")]
    [InlineData("ma k z\r\n", "CLIENT_ERROR invalid or duplicate flag")]
    [InlineData("ma k Dx\r\n", "CLIENT_ERROR invalid or duplicate flag")]
    [InlineData("ma k MX\r\n", "CLIENT_ERROR invalid mode for ma M token")]
    [InlineData("ma k M\r\n", "CLIENT_ERROR invalid or duplicate flag")]
    [InlineData("me !!!! b\r\n", BadFormat)]
    public void FlagErrors(string line, string expected)
    {
        var req = h.One(line);
        AssertError(req, expected);
        Assert.Equal(0, h.Sink.Count);
        Assert.Equal(expected + "\r\n", h.Write(req));
    }

    [Fact]
    public void LongKeysAndTooManyFlags()
    {
        var key = new string('k', 251);
        AssertError(h.One($"mg {key} v\r\n"), BadFormat);
        AssertError(h.One($"md {key}\r\n"), BadFormat);
        AssertError(h.One($"me {key}\r\n"), BadFormat);
        AssertError(h.One($"ma {key}\r\n"), BadFormat);

        // memcached's ntokens (command, key, flags and a terminal token) may not exceed 20
        const string flags17 = "s t c f l h k v q u P L O1 T1 N1 R1 C1";
        h.Single(h.One($"mg k {flags17}\r\n"), Op.McGet, "k");
        AssertError(h.One($"mg k {flags17} F1\r\n"), "CLIENT_ERROR options flags are too long");
        AssertError(h.One($"md k {flags17} F1\r\n"), "CLIENT_ERROR options flags too long");
        AssertError(h.One($"ma k {flags17} F1\r\n"), "CLIENT_ERROR options flags too long");
        AssertError(h.One($"ms k 1 {flags17}\r\n"), "CLIENT_ERROR options flags too long");
    }

    [Fact]
    public void OpaqueLength()
    {
        var ok = "O" + new string('o', 31);
        var req = h.One($"mg k {ok}\r\n");
        h.Single(req, Op.McGet, "k");
        Assert.Equal("EN " + ok + "\r\n", h.Write(req, Miss));

        // mg and ma run first and fail while answering, as memcached does; md refuses before acting
        var tooLong = ok + "o";
        var mg = h.One($"mg k {tooLong} q\r\n");
        h.Single(mg, Op.McGet, "k");
        Assert.Equal("CLIENT_ERROR opaque token too long\r\n", h.Write(mg, Miss));
        var ma = h.One($"ma k {tooLong}\r\n");
        h.Single(ma, Op.McIncr, "k");
        Assert.Equal("CLIENT_ERROR opaque token too long\r\n", h.Write(ma, Num(1)));
        Assert.Equal("CLIENT_ERROR opaque token too long\r\n", h.Write(ma, St(McStatus.NotFound)));
        // a failed arithmetic reports its own error first, as memcached does
        Assert.Equal("CLIENT_ERROR cannot increment or decrement non-numeric value\r\n", h.Write(ma, Err(ErrorCode.NonNumeric)));
        int before = h.Sink.Count;
        AssertError(h.One($"md k {tooLong}\r\n"), "CLIENT_ERROR opaque token too long");
        Assert.Equal(before, h.Sink.Count);
    }

    [Theory]
    [InlineData("ms k 2 z\r\nhi\r\n", "CLIENT_ERROR invalid flag")]
    [InlineData("ms k 2 v v\r\nhi\r\n", "CLIENT_ERROR duplicate flag")]
    [InlineData("ms k 2 Tx\r\nhi\r\n", "CLIENT_ERROR bad token in command line format")]
    [InlineData("ms k 2 Fx\r\nhi\r\n", BadFormat)]
    [InlineData("ms k 2 MX\r\nhi\r\n", "CLIENT_ERROR invalid mode for ms M token")]
    [InlineData("ms k 2 M q\r\nhi\r\n", "CLIENT_ERROR incorrect length for M token")]
    [InlineData("ms k 2 MEE\r\nhi\r\n", "CLIENT_ERROR incorrect length for M token")]
    [InlineData("ms !!!! 2 b\r\nhi\r\n", "CLIENT_ERROR error decoding key")]
    [InlineData("ms k 2 O123456789012345678901234567890123\r\nhi\r\n", "CLIENT_ERROR opaque token too long")]
    public void MsRefusalsSwallowTheBlock(string input, string expected)
    {
        var reqs = h.DecodeAll(input + "mn\r\n");
        Assert.Equal(2, reqs.Count);
        AssertError(reqs[0], expected);
        Assert.Equal(McLocal.Noop, reqs[1].Local);
        Assert.Equal(0, h.Sink.Count);
    }

    [Fact]
    public void MsTooLargeUnlinksWhateverTheMode()
    {
        var reqs = h.DecodeAll($"ms k 101 ME q\r\n{new string('x', 101)}\r\nmn\r\n");
        Assert.Equal(2, reqs.Count);
        h.Single(reqs[0], Op.McDelete, "k");
        Assert.Equal("SERVER_ERROR object too large for cache\r\n", h.Write(reqs[0], St(McStatus.Deleted)));
        Assert.Equal(McLocal.Noop, reqs[1].Local);
    }

    [Fact]
    public void MsBadChunkShowsEvenWhenQuiet()
    {
        var reqs = h.DecodeAll("ms k 2 q\r\nhiX\r\n");
        AssertError(reqs[0], "CLIENT_ERROR bad data chunk");
        Assert.Equal("CLIENT_ERROR bad data chunk\r\n", h.Write(reqs[0]));
    }
}
