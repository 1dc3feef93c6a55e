using CacheCluster.Core;
using CacheCluster.Protocols.Memcached.Binary;
using static CacheCluster.Protocols.Tests.Memcached.Binary.Frames;

namespace CacheCluster.Protocols.Tests.Memcached.Binary;

/// <summary>memcached's expiration rule on every field that carries one: 0 never, ≤ 30 days relative, above absolute.</summary>
public class McBinaryExpiryTests
{
    const uint ThirtyDays = 60 * 60 * 24 * 30;

    static long Expiry(BinHarness h, McBinaryOpcode op, uint exptime)
    {
        byte[] frame = op switch
        {
            McBinaryOpcode.Set => Store(op, "k", "v", exptime: exptime),
            McBinaryOpcode.Increment => Incr(op, "k", 1, 0, exptime),
            _ => WithExpiry(op, "k", exptime),
        };
        var req = h.Decode(frame);
        var c = h.Sink[req.First];
        return op == McBinaryOpcode.Increment ? c.Int3 : c.Int1;
    }

    public static TheoryData<McBinaryOpcode> Ops => new()
    {
        McBinaryOpcode.Set, McBinaryOpcode.Increment, McBinaryOpcode.Touch, McBinaryOpcode.Gat, McBinaryOpcode.GatKQ,
    };

    [Theory]
    [MemberData(nameof(Ops))]
    public void Zero_never_expires(McBinaryOpcode op)
    {
        Assert.Equal(0, Expiry(new BinHarness(), op, 0));
    }

    [Theory]
    [MemberData(nameof(Ops))]
    public void Up_to_thirty_days_is_relative_to_the_clock(McBinaryOpcode op)
    {
        var h = new BinHarness();
        Assert.Equal(BinHarness.T0 + 1_000, Expiry(h, op, 1));
        h.Clock.Advance(12_345);
        Assert.Equal(BinHarness.T0 + 12_345 + ThirtyDays * 1000L, Expiry(h, op, ThirtyDays));
    }

    [Theory]
    [MemberData(nameof(Ops))]
    public void Above_thirty_days_is_an_absolute_unix_time(McBinaryOpcode op)
    {
        var h = new BinHarness();
        uint future = (uint)(BinHarness.T0 / 1000 + 3600);
        Assert.Equal(future * 1000L, Expiry(h, op, future));
        Assert.Equal(1, Expiry(h, op, ThirtyDays + 1)); // 1970 + 30 days and a second: long gone
    }

    [Theory]
    [MemberData(nameof(Ops))]
    public void An_absolute_time_now_or_past_is_already_expired(McBinaryOpcode op)
    {
        var h = new BinHarness();
        Assert.Equal(1, Expiry(h, op, (uint)(BinHarness.T0 / 1000)));
        Assert.Equal(1, Expiry(h, op, (uint)(BinHarness.T0 / 1000 - 1)));
    }

    [Fact]
    public void Expiration_fields_are_unsigned()
    {
        // 0xFFFFFFFF is a date in 2106, not -1
        var h = new BinHarness();
        Assert.Equal(0xFFFFFFFFL * 1000, Expiry(h, McBinaryOpcode.Set, 0xFFFFFFFF));
        Assert.Equal(0xFFFFFFFFL * 1000, Expiry(h, McBinaryOpcode.Gat, 0xFFFFFFFF));
    }

    [Fact]
    public void Flush_delay_follows_the_clock()
    {
        var h = new BinHarness();
        h.Clock.Advance(100_000);
        uint at = (uint)(BinHarness.T0 / 1000 + 400);
        var req = h.Decode(Request(McBinaryOpcode.Flush, extras: U32(at)));
        Assert.Equal(300, req.Number);
        var relative = h.Decode(Request(McBinaryOpcode.FlushQ, extras: U32(ThirtyDays)));
        Assert.Equal(ThirtyDays, relative.Number);
    }
}
