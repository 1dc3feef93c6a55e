using CacheCluster.Core;
using static CacheCluster.Protocols.Tests.Memcached.Text.McTextHarness;

namespace CacheCluster.Protocols.Tests.Memcached.Text;

/// <summary>Exact meta responses: codes, return flags in request order, q, stale/win flags.</summary>
public class McMetaWriteTests
{
    readonly McTextHarness h = new();

    [Fact]
    public void MgHitWithoutFlags() => Assert.Equal("HD\r\n", h.Write(h.One("mg k\r\n"), Hit("hi")));

    [Fact]
    public void MgValue() => Assert.Equal("VA 2\r\nhi\r\n", h.Write(h.One("mg k v\r\n"), Hit("hi")));

    [Fact]
    public void MgEveryReturnFlagInRequestOrder()
    {
        var hit = Hit("hi", flags: 5, cas: 9, ttl: -1, la: 3, meta: McMeta.HitBefore);
        Assert.Equal("VA 2 s2 t-1 c9 f5 l3 h1 kk Oabc\r\nhi\r\n", h.Write(h.One("mg k s v t c f l h k Oabc\r\n"), hit));
        Assert.Equal("HD Oabc kk h1 l3 f5 c9 t-1 s2\r\n", h.Write(h.One("mg k Oabc k h l f c t s\r\n"), hit));
        Assert.Equal("HD t120 h0 f0\r\n", h.Write(h.One("mg k t h f T120\r\n"), Hit("x", ttl: 120)));
    }

    [Fact]
    public void MgMiss()
    {
        Assert.Equal("EN\r\n", h.Write(h.One("mg k v\r\n"), Miss));
        // only O and k come back on a miss
        Assert.Equal("EN kk Oxy\r\n", h.Write(h.One("mg k s k t Oxy v c\r\n"), Miss));
        Assert.Equal("EN\r\n", h.Write(h.One("mg k N30 v\r\n"), Err(ErrorCode.OutOfMemory))); // no memory to vivify
        Assert.Equal("SERVER_ERROR internal error\r\n", h.Write(h.One("mg k v\r\n"), Err(ErrorCode.Internal)));
    }

    [Fact]
    public void MgQuietSilencesOnlyTheMiss()
    {
        Assert.Equal("", h.Write(h.One("mg k v q k\r\n"), Miss));
        Assert.Equal("VA 1 kk\r\nx\r\n", h.Write(h.One("mg k v q k\r\n"), Hit("x")));
        Assert.Equal("HD\r\n", h.Write(h.One("mg k q\r\n"), Hit("x")));
    }

    [Fact]
    public void MgStaleAndWinFlags()
    {
        Assert.Equal("HD X W\r\n", h.Write(h.One("mg k\r\n"), Hit("old", meta: McMeta.Stale | McMeta.Win)));
        Assert.Equal("HD c3 Z X\r\n", h.Write(h.One("mg k c\r\n"), Hit("old", cas: 3, meta: McMeta.Stale | McMeta.AlreadyWon)));
        Assert.Equal("HD Z\r\n", h.Write(h.One("mg k\r\n"), Hit("", meta: McMeta.AlreadyWon)));
        // a vivified placeholder: empty, and this client won the right to fill it
        Assert.Equal("VA 0 t30 W\r\n\r\n", h.Write(h.One("mg k N30 t v\r\n"), Hit("", ttl: 30, meta: McMeta.Win)));
        // ... but where t stands before N the new item has no TTL yet (memcached 1.6.18: "VA 0 t-1 W")
        Assert.Equal("VA 0 t-1 W\r\n\r\n", h.Write(h.One("mg k t v N30\r\n"), Hit("", ttl: 30, meta: McMeta.Win)));
        // a stale item's win is no creation: its TTL stands
        Assert.Equal("VA 1 t30 X W\r\nx\r\n", h.Write(h.One("mg k t v N30\r\n"), Hit("x", ttl: 30, meta: McMeta.Stale | McMeta.Win)));
    }

    [Fact]
    public void MgBinaryKeyEchoedInBase64()
    {
        // a hit echoes the key as the item was stored: base64 for ms b items, raw otherwise
        Assert.Equal("VA 2 kZm9v b\r\nhi\r\n", h.Write(h.One("mg Zm9v b k v\r\n"), Hit("hi", meta: McMeta.Base64Key)));
        Assert.Equal("VA 2 kfoo\r\nhi\r\n", h.Write(h.One("mg Zm9v b k v\r\n"), Hit("hi")));
        Assert.Equal("VA 2 kZm9v b\r\nhi\r\n", h.Write(h.One("mg foo k v\r\n"), Hit("hi", meta: McMeta.Base64Key)));
        Assert.Equal("EN kZm9v b O1\r\n", h.Write(h.One("mg Zm9v k b O1\r\n"), Miss));
        // memcached re-encodes the decoded key, so a sloppy encoding comes back canonical
        Assert.Equal("EN kZm9v b\r\n", h.Write(h.One("mg Zm9v!! b k\r\n"), Miss));
        // binary key bytes
        Assert.Equal("EN kAP8= b\r\n", h.Write(h.One("mg AP8= b k\r\n"), Miss));
    }

    [Fact]
    public void MgLargeValue()
    {
        var big = new string('z', 50_000);
        Assert.Equal($"VA 50000 s50000\r\n{big}\r\n", h.Write(h.One("mg k v s\r\n"), Hit(big)));
    }

    [Theory]
    [InlineData(McStatus.Stored, "HD")]
    [InlineData(McStatus.NotStored, "NS")]
    [InlineData(McStatus.Exists, "EX")]
    [InlineData(McStatus.NotFound, "NF")]
    public void MsCodes(McStatus status, string code)
    {
        Assert.Equal(code + "\r\n", h.Write(h.One("ms k 2\r\nhi\r\n"), St(status)));
        // memcached 1.6.18's ms echoes O, k and c (not s)
        Assert.Equal(code + " c42 kk Oo\r\n", h.Write(h.One("ms k 2 c k Oo s\r\nhi\r\n"), St(status, 42)));
        // q silences only HD
        Assert.Equal(status == McStatus.Stored ? "" : code + "\r\n", h.Write(h.One("ms k 2 q\r\nhi\r\n"), St(status)));
    }

    [Fact]
    public void MsFailures()
    {
        Assert.Equal("NS\r\n", h.Write(h.One("ms k 2 MA\r\nhi\r\n"), Err(ErrorCode.StringTooLong)));
        Assert.Equal("SERVER_ERROR out of memory storing object\r\n", h.Write(h.One("ms k 2 q\r\nhi\r\n"), Err(ErrorCode.OutOfMemory)));
        Assert.Equal("SERVER_ERROR internal error\r\n", h.Write(h.One("ms k 2\r\nhi\r\n"), Err(ErrorCode.Internal)));
    }

    [Fact]
    public void MsBinaryKey() => Assert.Equal("HD kZm9v b\r\n", h.Write(h.One("ms Zm9v 2 b k\r\nhi\r\n"), St(McStatus.Stored)));

    [Fact]
    public void MdCodes()
    {
        Assert.Equal("HD\r\n", h.Write(h.One("md k\r\n"), St(McStatus.Deleted)));
        Assert.Equal("", h.Write(h.One("md k q\r\n"), St(McStatus.Deleted)));
        Assert.Equal("NF\r\n", h.Write(h.One("md k q\r\n"), St(McStatus.NotFound)));
        Assert.Equal("EX\r\n", h.Write(h.One("md k C1 q\r\n"), St(McStatus.Exists)));
        Assert.Equal("HD kk Oz\r\n", h.Write(h.One("md k k Oz\r\n"), St(McStatus.Deleted)));
        Assert.Equal("NF Oz kZm9v b\r\n", h.Write(h.One("md Zm9v Oz b k\r\n"), St(McStatus.NotFound)));
        Assert.Equal("HD\r\n", h.Write(h.One("md k I T30\r\n"), St(McStatus.Deleted)));
        Assert.Equal("SERVER_ERROR internal error\r\n", h.Write(h.One("md k\r\n"), Err(ErrorCode.Internal)));
    }

    [Fact]
    public void MdRemoveValueCodes()
    {
        Assert.Equal("HD\r\n", h.Write(h.One("md k x\r\n"), St(McStatus.Stored, 5)));
        Assert.Equal("NF\r\n", h.Write(h.One("md k x\r\n"), St(McStatus.NotStored)));
        Assert.Equal("NF\r\n", h.Write(h.One("md k x C3\r\n"), St(McStatus.NotFound)));
        Assert.Equal("EX\r\n", h.Write(h.One("md k x C3\r\n"), St(McStatus.Exists)));
        Assert.Equal("", h.Write(h.One("md k x q\r\n"), St(McStatus.Stored)));
    }

    [Fact]
    public void MaCodes()
    {
        Assert.Equal("HD\r\n", h.Write(h.One("ma k\r\n"), Num(10)));
        Assert.Equal("VA 2\r\n10\r\n", h.Write(h.One("ma k v\r\n"), Num(10)));
        Assert.Equal("VA 20 c5\r\n18446744073709551615\r\n", h.Write(h.One("ma k v c\r\n"), Num(ulong.MaxValue, 5)));
        Assert.Equal("", h.Write(h.One("ma k q v\r\n"), Num(10)));
        Assert.Equal("NF\r\n", h.Write(h.One("ma k q\r\n"), St(McStatus.NotFound)));
        Assert.Equal("NF kk O9\r\n", h.Write(h.One("ma k c k O9 v\r\n"), St(McStatus.NotFound)));
        Assert.Equal("EX\r\n", h.Write(h.One("ma k C2\r\n"), St(McStatus.Exists)));
        Assert.Equal("CLIENT_ERROR cannot increment or decrement non-numeric value\r\n", h.Write(h.One("ma k q\r\n"), Err(ErrorCode.NonNumeric)));
        Assert.Equal("SERVER_ERROR out of memory\r\n", h.Write(h.One("ma k\r\n"), Err(ErrorCode.OutOfMemory)));
    }

    [Fact]
    public void MaTtlIsTheItemsAtItsPlaceAmongTheFlags()
    {
        static Reply Counter(ulong v, long ttl = 0, bool created = false) =>
            new() { Kind = ReplyKind.Integer, Integer = (long)v, Cas = 5, Aux = ttl, Meta = created ? McMeta.Win : McMeta.None };

        // after T: the TTL T set
        Assert.Equal("VA 2 c5 t60 kk O1\r\n10\r\n", h.Write(h.One("ma k T60 v c t k O1\r\n"), Counter(10)));
        Assert.Equal("HD t-1\r\n", h.Write(h.One("ma k T0 t\r\n"), Counter(1)));
        // otherwise the store's figure (Aux; 0 = not reported, printed as none)
        Assert.Equal("HD t-1\r\n", h.Write(h.One("ma k t\r\n"), Counter(3, ttl: -1)));
        Assert.Equal("HD t-1\r\n", h.Write(h.One("ma k t\r\n"), Counter(3)));
        Assert.Equal("HD t42\r\n", h.Write(h.One("ma k t T60\r\n"), Counter(3, ttl: 42)));
        // an item this request created has no TTL yet where t stands before N
        Assert.Equal("HD t-1\r\n", h.Write(h.One("ma k t N100\r\n"), Counter(0, ttl: 100, created: true)));
        Assert.Equal("HD t100\r\n", h.Write(h.One("ma k N100 t\r\n"), Counter(0, ttl: 100, created: true)));
        Assert.Equal("VA 1 t-1\r\n5\r\n", h.Write(h.One("ma k N0 J5 t v\r\n"), Counter(5, created: true)));
        Assert.Equal("HD t77\r\n", h.Write(h.One("ma k t N100\r\n"), Counter(1, ttl: 77)));
    }

    [Fact]
    public void MaQuietStillAnswersACreation()
    {
        // memcached 1.6.18 silences HD after arithmetic only, not after N created the item
        var created = new Reply { Kind = ReplyKind.Integer, Integer = 5, Meta = McMeta.Win };
        Assert.Equal("HD\r\n", h.Write(h.One("ma k N0 J5 q\r\n"), created));
        Assert.Equal("", h.Write(h.One("ma k N0 J5 q\r\n"), Num(6)));
    }

    [Fact]
    public void MaBinaryKey() => Assert.Equal("HD kZm9v b\r\n", h.Write(h.One("ma Zm9v b k\r\n"), Num(1)));

    [Fact]
    public void MeDebugLine()
    {
        // size = memcached's ITEM_ntotal: 48 header + key + 1 + data + CRLF + 8 CAS (+4 with client flags)
        Assert.Equal("ME foo exp=-1 la=3 cas=7 fetch=no cls=1 size=64\r\n", h.Write(h.One("me foo\r\n"), Hit("hi", cas: 7, la: 3)));
        Assert.Equal("ME foo exp=100 la=0 cas=1 fetch=yes cls=12 size=1066\r\n",
            h.Write(h.One("me foo\r\n"), Hit(new string('x', 1000), flags: 1, cas: 1, ttl: 100, meta: McMeta.HitBefore)));
        Assert.Equal("ME Zm9v exp=-1 la=0 cas=0 fetch=no cls=1 size=64\r\n", h.Write(h.One("me Zm9v b\r\n"), Hit("hi")));
        Assert.Equal("EN\r\n", h.Write(h.One("me foo\r\n"), Miss));
    }

    [Fact]
    public void MetaPipelineWithNoop()
    {
        // the usual pattern: quiet gets, then mn to know they are done
        string output = h.Exchange("mg a v q\r\nmg b v q k\r\nmg c v q\r\nmn\r\n", Miss, Hit("B"), Miss);
        Assert.Equal("VA 1 kb\r\nB\r\nMN\r\n", output);
    }
}
