using CacheCluster.Core;
using static CacheCluster.Storage.Tests.Executor.ShardHarness;

namespace CacheCluster.Storage.Tests.Executor;

/// <summary>memcached 1.6 semantics of the Mc* ops on a real store.</summary>
public class MemcachedOpsTests
{
    readonly ShardHarness _s = new();

    Reply Store(string key, string value, CommandOptions o = CommandOptions.None, ulong cas = 0, uint flags = 0, long expiry = 0) =>
        _s.Run(new Command { Op = Op.McStore, Key = B(key), Value = B(value), Options = o, Cas = cas, Flags = flags, Int1 = expiry });

    Reply Get(string key, CommandOptions o = CommandOptions.None, long int1 = 0, long int3 = 0) =>
        _s.Run(new Command { Op = Op.McGet, Key = B(key), Options = o, Int1 = int1, Int3 = int3 });

    Reply Incr(string key, ulong delta, bool decr = false, CommandOptions extra = CommandOptions.None, ulong initial = 0, long createExpiry = 0, ulong cas = 0) =>
        _s.Run(new Command
        {
            Op = Op.McIncr, Key = B(key), Int1 = (long)delta, Int2 = (long)initial, Int3 = createExpiry, Cas = cas,
            Options = extra | (decr ? CommandOptions.Decrement : CommandOptions.None),
        });

    static McStatus Status(Reply r)
    {
        Assert.Equal(ReplyKind.Status, r.Kind);
        return (McStatus)r.Integer;
    }

    [Fact]
    public void Set_then_get_returns_value_flags_and_a_nonzero_cas()
    {
        var stored = Store("k", "hello", flags: 42);
        Assert.Equal(McStatus.Stored, Status(stored));
        Assert.NotEqual(0UL, stored.Cas);
        var got = Get("k");
        Assert.Equal("hello", S(got.Bulk.Span));
        Assert.Equal(42u, got.Flags);
        Assert.Equal(stored.Cas, got.Cas);
        Assert.Equal(-1, got.Integer); // no TTL
    }

    [Fact]
    public void Every_mutation_gets_a_new_cas()
    {
        ulong a = Store("k", "1").Cas;
        ulong b = Store("k", "2").Cas;
        ulong c = Store("k", "x", CommandOptions.Append).Cas;
        ulong d = Incr("n", 0, extra: CommandOptions.Create).Cas;
        ulong e = Incr("n", 1).Cas;
        Assert.Equal(5, new HashSet<ulong> { a, b, c, d, e }.Count);
        Assert.DoesNotContain(0UL, new[] { a, b, c, d, e });
    }

    [Fact]
    public void Add_and_replace_follow_presence()
    {
        Assert.Equal(McStatus.NotStored, Status(Store("k", "v", CommandOptions.Xx)));
        Assert.Equal(McStatus.Stored, Status(Store("k", "v", CommandOptions.Nx)));
        Assert.Equal(McStatus.NotStored, Status(Store("k", "w", CommandOptions.Nx)));
        Assert.Equal(McStatus.Stored, Status(Store("k", "w", CommandOptions.Xx)));
        Assert.Equal("w", _s.Peek("k"));
    }

    [Fact]
    public void Cas_store_checks_the_current_cas()
    {
        Assert.Equal(McStatus.NotFound, Status(Store("k", "v", cas: 12345)));
        ulong cas = Store("k", "v").Cas;
        Assert.Equal(McStatus.Exists, Status(Store("k", "x", cas: cas + 1)));
        Assert.Equal("v", _s.Peek("k"));
        Assert.Equal(McStatus.Stored, Status(Store("k", "x", cas: cas)));
        Assert.Equal(McStatus.Exists, Status(Store("k", "y", cas: cas))); // the old cas is spent
    }

    [Fact]
    public void Append_and_prepend_need_the_item_and_keep_its_flags_and_expiry()
    {
        Assert.Equal(McStatus.NotStored, Status(Store("k", "x", CommandOptions.Append)));
        Store("k", "mid", flags: 7, expiry: _s.Now + 60_000);
        Assert.Equal(McStatus.Stored, Status(Store("k", "<", CommandOptions.Prepend, flags: 99)));
        Assert.Equal(McStatus.Stored, Status(Store("k", ">", CommandOptions.Append)));
        var got = Get("k");
        Assert.Equal("<mid>", S(got.Bulk.Span));
        Assert.Equal(7u, got.Flags);
        Assert.Equal(60, got.Integer);
        Assert.Equal(McStatus.Exists, Status(Store("k", "!", CommandOptions.Append, cas: got.Cas + 1)));
    }

    [Fact]
    public void Store_with_a_past_expiry_answers_stored_but_the_item_is_gone()
    {
        Store("k", "old");
        Assert.Equal(McStatus.Stored, Status(Store("k", "new", expiry: 1)));
        Assert.Equal(ReplyKind.Nil, Get("k").Kind);
    }

    [Fact]
    public void Delete_honours_cas()
    {
        Assert.Equal(McStatus.NotFound, Status(_s.Run(new Command { Op = Op.McDelete, Key = B("k") })));
        ulong cas = Store("k", "v").Cas;
        Assert.Equal(McStatus.Exists, Status(_s.Run(new Command { Op = Op.McDelete, Key = B("k"), Cas = cas + 1 })));
        Assert.Equal(McStatus.Deleted, Status(_s.Run(new Command { Op = Op.McDelete, Key = B("k"), Cas = cas })));
        Assert.False(_s.Has("k"));
    }

    [Fact]
    public void Incr_wraps_at_2_64_and_decr_floors_at_zero()
    {
        Store("n", "18446744073709551615");
        var r = Incr("n", 2);
        Assert.Equal(1UL, (ulong)r.Integer);
        Store("d", "5");
        Assert.Equal(0UL, (ulong)Incr("d", 10, decr: true).Integer);
    }

    [Fact]
    public void Decr_that_shortens_a_number_pads_with_spaces_like_memcached()
    {
        Store("n", "10");
        Assert.Equal(9, Incr("n", 1, decr: true).Integer);
        Assert.Equal("9 ", _s.Peek("n"));
        Assert.Equal(10, Incr("n", 1).Integer); // a padded value still counts as numeric
        Assert.Equal("10", _s.Peek("n"));
    }

    [Fact]
    public void Incr_on_non_numeric_or_missing_items()
    {
        Store("t", "abc");
        Assert.Equal(ErrorCode.NonNumeric, Incr("t", 1).Error);
        Store("neg", "-1");
        Assert.Equal(ErrorCode.NonNumeric, Incr("neg", 1).Error);
        Assert.Equal(McStatus.NotFound, Status(Incr("missing", 1)));
        var created = Incr("auto", 1, extra: CommandOptions.Create, initial: 77, createExpiry: _s.Now + 5000);
        Assert.Equal(77, created.Integer);
        Assert.Equal("77", _s.Peek("auto"));
        Assert.Equal(5, Get("auto").Integer);
    }

    [Fact]
    public void Touch_and_gat_change_expiry_zero_means_never()
    {
        Store("k", "v", expiry: _s.Now + 10_000);
        Assert.Equal(McStatus.Touched, Status(_s.Run(new Command { Op = Op.McTouch, Key = B("k"), Int1 = _s.Now + 100_000 })));
        Assert.Equal(100, Get("k").Integer);
        var gat = _s.Run(new Command { Op = Op.McGat, Key = B("k"), Int1 = 0 });
        Assert.Equal("v", S(gat.Bulk.Span));
        Assert.Equal(-1, Get("k").Integer);
        Assert.Equal(McStatus.NotFound, Status(_s.Run(new Command { Op = Op.McTouch, Key = B("nope"), Int1 = 0 })));
        Assert.Equal(ReplyKind.Nil, _s.Run(new Command { Op = Op.McGat, Key = B("nope") }).Kind);
    }

    [Fact]
    public void Meta_hit_before_and_last_access()
    {
        Store("k", "v");
        var first = Get("k");
        Assert.Equal(McMeta.None, first.Meta & McMeta.HitBefore);
        _s.Clock.Advance(3_000);
        var second = Get("k");
        Assert.Equal(McMeta.HitBefore, second.Meta & McMeta.HitBefore);
        Assert.Equal(3, second.Aux);
    }

    [Fact]
    public void Meta_invalidate_makes_the_next_reader_win_and_others_see_z()
    {
        Store("k", "v");
        Assert.Equal(McStatus.Deleted, Status(_s.Run(new Command { Op = Op.McDelete, Key = B("k"), Options = CommandOptions.Invalidate })));
        var winner = Get("k");
        Assert.True(winner.Meta.HasFlag(McMeta.Stale));
        Assert.True(winner.Meta.HasFlag(McMeta.Win));
        var other = Get("k");
        Assert.True(other.Meta.HasFlag(McMeta.Stale));
        Assert.True(other.Meta.HasFlag(McMeta.AlreadyWon));
        Assert.False(other.Meta.HasFlag(McMeta.Win));
        Store("k", "fresh"); // a new value clears the stale state
        Assert.Equal(McMeta.None, Get("k").Meta & (McMeta.Stale | McMeta.Win | McMeta.AlreadyWon));
    }

    [Fact]
    public void Meta_vivify_creates_a_placeholder_the_first_reader_wins()
    {
        var miss = Get("v", CommandOptions.Vivify, int3: _s.Now + 30_000);
        Assert.Equal(ReplyKind.Bulk, miss.Kind);
        Assert.Equal(0, miss.Bulk.Length);
        Assert.True(miss.Meta.HasFlag(McMeta.Win));
        var second = Get("v", CommandOptions.Vivify, int3: _s.Now + 30_000);
        Assert.True(second.Meta.HasFlag(McMeta.AlreadyWon));
        Assert.False(second.Meta.HasFlag(McMeta.Win));
    }

    [Fact]
    public void Meta_set_with_an_older_cas_and_invalidate_stores_a_stale_item()
    {
        ulong old = Store("k", "v1").Cas;
        ulong current = Store("k", "v2").Cas;
        Assert.True(old < current);
        Assert.Equal(McStatus.Stored, Status(Store("k", "v0", CommandOptions.Invalidate, cas: old)));
        var got = Get("k");
        Assert.Equal("v0", S(got.Bulk.Span));
        Assert.True(got.Meta.HasFlag(McMeta.Stale));
    }

    [Fact]
    public void Memcached_and_redis_share_one_keyspace()
    {
        Store("shared", "from-mc", flags: 5);
        Assert.Equal("from-mc", S(_s.Get("shared").Bulk.Span));
        _s.Set("shared", "from-redis");
        var got = Get("shared");
        Assert.Equal("from-redis", S(got.Bulk.Span));
        Assert.Equal(0u, got.Flags);
    }

    [Fact]
    public void Stores_count_total_items()
    {
        Store("a", "1");
        Store("a", "2");
        Store("b", "1", CommandOptions.Nx);
        Store("b", "1", CommandOptions.Nx); // not stored
        Assert.Equal(3, _s.Stats().TotalItems);
    }
}
