using CacheCluster.Core;
using static CacheCluster.Storage.Tests.Executor.ShardHarness;

namespace CacheCluster.Storage.Tests.Executor;

/// <summary>DEL/EXISTS/TOUCH, EXPIRE family, PERSIST, TTL modes, TYPE, OBJECT, MEMORY USAGE, DUMP/RESTORE, RENAME, COPY.</summary>
public class KeyCommandTests
{
    private readonly ShardHarness _s = new();

    // ---------------------------------------------------------------- DEL / EXISTS / TOUCH

    [Fact]
    public void Del_answers_1_for_a_live_key_and_0_otherwise()
    {
        _s.Set("k", "v");
        R.Int(1, _s.Run(Op.Del, "k"));
        R.Int(0, _s.Run(Op.Del, "k"));
        Assert.Equal(0, _s.Store.Count);
    }

    [Fact]
    public void Del_of_an_expired_key_answers_0()
    {
        _s.SetWithTtl("k", "v", 5);
        _s.Clock.Advance(5);
        R.Int(0, _s.Run(Op.Del, "k"));
        Assert.Equal(0, _s.Store.Count);
    }

    [Fact]
    public void Exists_sees_live_keys_only()
    {
        R.Int(0, _s.Run(Op.Exists, "k"));
        _s.SetWithTtl("k", "v", 100);
        R.Int(1, _s.Run(Op.Exists, "k"));
        _s.Clock.Advance(100);
        R.Int(0, _s.Run(Op.Exists, "k"));
        Assert.Equal(0, _s.Store.Count); // lazily reclaimed
    }

    [Fact]
    public void Touch_answers_whether_the_key_exists_and_resets_its_idle_time()
    {
        R.Int(0, _s.Run(Op.Touch, "k"));
        _s.Set("k", "v");
        _s.Clock.Advance(8_000);
        R.Int(8, _s.Run(Op.ObjectIdleTime, "k"));
        R.Int(1, _s.Run(Op.Touch, "k"));
        R.Int(0, _s.Run(Op.ObjectIdleTime, "k"));
    }

    [Fact]
    public void Introspection_does_not_touch_the_key()
    {
        _s.SetWithTtl("k", "v", 100_000);
        _s.Clock.Advance(5_000);
        _s.Run(Op.Exists, "k");
        _s.Run(Op.Type, "k");
        _s.Run(Op.Ttl, "k");
        _s.Run(Op.ObjectEncoding, "k");
        _s.Run(Op.ObjectRefCount, "k");
        _s.Run(Op.MemoryUsage, "k");
        R.Int(5, _s.Run(Op.ObjectIdleTime, "k"));
        _s.Get("k");
        R.Int(0, _s.Run(Op.ObjectIdleTime, "k"));
    }

    // ---------------------------------------------------------------- EXPIRE

    [Fact]
    public void Expire_on_a_missing_key_answers_0()
    {
        R.Int(0, _s.Run(Op.Expire, "k", _s.Now + 1_000));
        Assert.Equal(0, _s.Store.Count);
    }

    [Fact]
    public void Expire_sets_an_absolute_deadline()
    {
        _s.Set("k", "v");
        R.Int(1, _s.Run(Op.Expire, "k", _s.Now + 10_000));
        Assert.Equal(_s.Now + 10_000, _s.ExpiresAt("k"));
        Assert.Equal(10_000, _s.Pttl("k"));
        _s.Clock.Advance(10_000);
        R.Nil(_s.Get("k"));
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(0)]        // a deadline equal to now has already passed
    [InlineData(-10_000)]
    public void Expire_in_the_past_deletes_the_key_and_answers_1(long offset)
    {
        _s.SetWithTtl("k", "v", 50_000);
        R.Int(1, _s.Run(Op.Expire, "k", _s.Now + offset));
        Assert.False(_s.Has("k"));
        Assert.Equal(0, _s.Store.VolatileCount);
    }

    [Fact]
    public void Expire_with_an_absolute_time_long_ago_deletes_the_key()
    {
        _s.Set("k", "v");
        R.Int(1, _s.Run(Op.Expire, "k", -5_000));
        Assert.False(_s.Has("k"));
    }

    // hasTtl: the key currently expires at now+10s. newTtl: relative to now.
    [Theory]
    [InlineData(CommandOptions.Nx, false, 5_000, 1)]
    [InlineData(CommandOptions.Nx, true, 5_000, 0)]
    [InlineData(CommandOptions.Xx, false, 5_000, 0)]
    [InlineData(CommandOptions.Xx, true, 5_000, 1)]
    [InlineData(CommandOptions.Gt, false, 5_000, 0)]            // no TTL = infinite: GT always fails
    [InlineData(CommandOptions.Gt, true, 20_000, 1)]
    [InlineData(CommandOptions.Gt, true, 10_000, 0)]
    [InlineData(CommandOptions.Gt, true, 5_000, 0)]
    [InlineData(CommandOptions.Lt, false, 5_000, 1)]            // no TTL = infinite: LT sets
    [InlineData(CommandOptions.Lt, false, 999_999_999, 1)]
    [InlineData(CommandOptions.Lt, true, 5_000, 1)]
    [InlineData(CommandOptions.Lt, true, 10_000, 0)]
    [InlineData(CommandOptions.Lt, true, 20_000, 0)]
    [InlineData(CommandOptions.Xx | CommandOptions.Gt, true, 20_000, 1)]
    [InlineData(CommandOptions.Xx | CommandOptions.Gt, false, 20_000, 0)]
    [InlineData(CommandOptions.Xx | CommandOptions.Lt, false, 5_000, 0)]
    [InlineData(CommandOptions.Xx | CommandOptions.Lt, true, 5_000, 1)]
    [InlineData(CommandOptions.None, true, 20_000, 1)]
    [InlineData(CommandOptions.None, false, 20_000, 1)]
    public void Expire_options_follow_redis(CommandOptions options, bool hasTtl, long newTtl, long expected)
    {
        if (hasTtl) _s.SetWithTtl("k", "v", 10_000);
        else _s.Set("k", "v");
        long before = hasTtl ? _s.Now + 10_000 : 0;

        R.Int(expected, _s.Run(Op.Expire, "k", _s.Now + newTtl, options: options));

        Assert.Equal(expected == 1 ? _s.Now + newTtl : before, _s.ExpiresAt("k"));
    }

    [Fact]
    public void Expire_lt_in_the_past_on_a_key_without_ttl_deletes_it()
    {
        _s.Set("k", "v");
        R.Int(1, _s.Run(Op.Expire, "k", _s.Now - 1, options: CommandOptions.Lt));
        Assert.False(_s.Has("k"));
    }

    [Fact]
    public void Expire_gt_in_the_past_on_a_key_without_ttl_does_nothing()
    {
        _s.Set("k", "v");
        R.Int(0, _s.Run(Op.Expire, "k", _s.Now - 1, options: CommandOptions.Gt));
        Assert.True(_s.Has("k"));
    }

    // ---------------------------------------------------------------- PERSIST

    [Fact]
    public void Persist_removes_a_ttl_and_answers_whether_it_did()
    {
        R.Int(0, _s.Run(Op.Persist, "k"));
        _s.Set("k", "v");
        R.Int(0, _s.Run(Op.Persist, "k"));
        _s.Run(Op.Expire, "k", _s.Now + 1_000);
        R.Int(1, _s.Run(Op.Persist, "k"));
        Assert.Equal(-1, _s.Pttl("k"));
        _s.Clock.Advance(5_000);
        R.Bulk("v", _s.Get("k"));
    }

    // ---------------------------------------------------------------- TTL family

    [Theory]
    [InlineData(TtlMode.Seconds)]
    [InlineData(TtlMode.Milliseconds)]
    [InlineData(TtlMode.AbsoluteSeconds)]
    [InlineData(TtlMode.AbsoluteMilliseconds)]
    public void Ttl_is_minus_2_for_missing_and_minus_1_for_persistent_keys(TtlMode mode)
    {
        R.Int(-2, _s.Run(Op.Ttl, "k", (long)mode));
        _s.Set("k", "v");
        R.Int(-1, _s.Run(Op.Ttl, "k", (long)mode));
    }

    [Theory]
    [InlineData(10_000, 10)]
    [InlineData(1_500, 2)]      // (ms + 500) / 1000
    [InlineData(1_499, 1)]
    [InlineData(500, 1)]
    [InlineData(499, 0)]
    [InlineData(1, 0)]
    [InlineData(2_500, 3)]
    public void Ttl_in_seconds_rounds_to_nearest(long remainingMs, long expectedSeconds)
    {
        _s.SetWithTtl("k", "v", remainingMs);
        R.Int(expectedSeconds, _s.Run(Op.Ttl, "k", (long)TtlMode.Seconds));
        R.Int(remainingMs, _s.Run(Op.Ttl, "k", (long)TtlMode.Milliseconds));
    }

    [Theory]
    [InlineData(1_499, 1_700_000_001)]
    [InlineData(1_500, 1_700_000_002)]
    [InlineData(499, 1_700_000_000)]
    public void Expiretime_reports_the_absolute_deadline(long ttlMs, long expectedSeconds)
    {
        _s.SetWithTtl("k", "v", ttlMs);
        R.Int(expectedSeconds, _s.Run(Op.Ttl, "k", (long)TtlMode.AbsoluteSeconds));
        R.Int(T0 + ttlMs, _s.Run(Op.Ttl, "k", (long)TtlMode.AbsoluteMilliseconds));
    }

    [Fact]
    public void Ttl_counts_down_with_the_clock_and_ends_at_minus_2()
    {
        _s.SetWithTtl("k", "v", 3_000);
        _s.Clock.Advance(1_000);
        Assert.Equal(2_000, _s.Pttl("k"));
        R.Int(2, _s.Run(Op.Ttl, "k", (long)TtlMode.Seconds));
        _s.Clock.Advance(2_000);
        Assert.Equal(-2, _s.Pttl("k"));
    }

    // ---------------------------------------------------------------- TYPE

    [Fact]
    public void Type_is_string_or_none()
    {
        R.Status("none", _s.Run(Op.Type, "k"));
        _s.SetWithTtl("k", "v", 10);
        R.Status("string", _s.Run(Op.Type, "k"));
        _s.Clock.Advance(10);
        R.Status("none", _s.Run(Op.Type, "k"));
    }

    // ---------------------------------------------------------------- OBJECT

    [Theory]
    [InlineData("12345", "int")]
    [InlineData("0", "int")]
    [InlineData("-12345", "int")]
    [InlineData("9223372036854775807", "int")]
    [InlineData("-9223372036854775808", "int")]
    [InlineData("9223372036854775808", "embstr")]
    [InlineData("01", "embstr")]
    [InlineData("-0", "embstr")]
    [InlineData("1.5", "embstr")]
    [InlineData(" 1", "embstr")]
    [InlineData("", "embstr")]
    [InlineData("hello", "embstr")]
    [InlineData("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "embstr")]  // 44 bytes
    [InlineData("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "raw")]    // 45 bytes
    public void Object_encoding_matches_redis(string value, string expected)
    {
        _s.Set("k", value);
        R.Bulk(expected, _s.Run(Op.ObjectEncoding, "k"));
    }

    [Fact]
    public void Object_subcommands_on_a_missing_key_are_nil()
    {
        R.Nil(_s.Run(Op.ObjectEncoding, "k"));
        R.Nil(_s.Run(Op.ObjectRefCount, "k"));
        R.Nil(_s.Run(Op.ObjectIdleTime, "k"));
        R.Nil(_s.Run(Op.ObjectFreq, "k"));
        R.Nil(_s.Run(Op.MemoryUsage, "k"));
    }

    [Theory]
    [InlineData("0", int.MaxValue)]
    [InlineData("9999", int.MaxValue)]
    [InlineData("10000", 1)]
    [InlineData("-1", 1)]
    [InlineData("abc", 1)]
    [InlineData("01", 1)]
    public void Object_refcount_reports_shared_small_integers(string value, long expected)
    {
        _s.Set("k", value);
        R.Int(expected, _s.Run(Op.ObjectRefCount, "k"));
    }

    [Theory]
    [InlineData(EvictionPolicy.AllKeysLru)]
    [InlineData(EvictionPolicy.VolatileLru)]
    public void Object_refcount_with_an_lru_maxmemory_policy_shares_no_integers(EvictionPolicy policy)
    {
        var s = new ShardHarness(maxMemory: 1 << 20, policy: policy);
        s.Set("k", "5");
        R.Int(1, s.Run(Op.ObjectRefCount, "k"));
    }

    [Fact]
    public void Object_refcount_with_maxmemory_under_noeviction_still_shares_small_integers()
    {
        // Redis only stops sharing integers for LRU/LFU policies (MAXMEMORY_FLAG_NO_SHARED_INTEGERS).
        var s = new ShardHarness(maxMemory: 1 << 20, policy: EvictionPolicy.NoEviction);
        s.Set("k", "5");
        R.Int(int.MaxValue, s.Run(Op.ObjectRefCount, "k"));
    }

    [Fact]
    public void Object_idletime_is_whole_seconds_since_last_access()
    {
        _s.Set("k", "v");
        _s.Clock.Advance(12_999);
        R.Int(12, _s.Run(Op.ObjectIdleTime, "k"));
        _s.Clock.Advance(1);
        R.Int(13, _s.Run(Op.ObjectIdleTime, "k"));
    }

    [Fact]
    public void Object_freq_without_an_lfu_policy_is_an_error()
    {
        _s.Set("k", "v");
        R.Error(ErrorCode.LfuNotSelected, _s.Run(Op.ObjectFreq, "k"));
    }

    // ---------------------------------------------------------------- MEMORY USAGE

    [Fact]
    public void Memory_usage_is_the_accounted_entry_size()
    {
        _s.Set("mykey", "0123456789");
        R.Int(5 + 10 + CacheStore.EntryOverhead, _s.Run(Op.MemoryUsage, "mykey"));
        _s.RunValue(Op.Append, "mykey", "abc");
        R.Int(5 + 13 + CacheStore.EntryOverhead, _s.Run(Op.MemoryUsage, "mykey"));
    }

    // ---------------------------------------------------------------- DUMP / RESTORE

    [Fact]
    public void Dump_snapshots_value_flags_and_expiry()
    {
        _s.Set("k", "payload", CommandOptions.HasExpiry, _s.Now + 4_000, flags: 11);
        Reply r = _s.Run(Op.Dump, "k");
        Assert.Equal(ReplyKind.Entry, r.Kind);
        var e = Assert.IsType<EntrySnapshot>(r.Extra);
        Assert.Equal("payload", S(e.Value));
        Assert.Equal(11u, e.Flags);
        Assert.Equal(_s.Now + 4_000, e.ExpiresAtMs);
    }

    [Fact]
    public void Dump_of_a_missing_key_is_nil()
    {
        R.Nil(_s.Run(Op.Dump, "k"));
    }

    private Reply Restore(string key, EntrySnapshot e, CommandOptions o = CommandOptions.None) =>
        _s.Run(new Command { Op = Op.Restore, Key = B(key), Extra = e, Options = o });

    [Fact]
    public void Restore_creates_the_key_with_value_flags_and_expiry()
    {
        R.Int(1, Restore("k", new EntrySnapshot { Value = B("v"), Flags = 5, ExpiresAtMs = _s.Now + 2_000 }));
        Reply r = _s.Get("k");
        R.Bulk("v", r);
        Assert.Equal(5u, r.Flags);
        Assert.Equal(2_000, _s.Pttl("k"));
    }

    [Fact]
    public void Restore_without_nx_replaces_and_with_nx_keeps_an_existing_key()
    {
        _s.SetWithTtl("k", "old", 9_000);
        R.Int(0, Restore("k", new EntrySnapshot { Value = B("new") }, CommandOptions.Nx));
        R.Bulk("old", _s.Get("k"));
        R.Int(1, Restore("k", new EntrySnapshot { Value = B("new") }));
        R.Bulk("new", _s.Get("k"));
        Assert.Equal(-1, _s.Pttl("k"));
    }

    [Fact]
    public void Restore_with_an_expiry_in_the_past_leaves_no_key()
    {
        _s.Set("k", "old");
        R.Int(1, Restore("k", new EntrySnapshot { Value = B("new"), ExpiresAtMs = _s.Now - 1 }));
        Assert.False(_s.Has("k"));
        R.Int(1, Restore("other", new EntrySnapshot { Value = B("x"), ExpiresAtMs = 1 }));
        Assert.Equal(0, _s.Store.Count);
    }

    [Fact]
    public void Dump_then_restore_round_trips()
    {
        _s.Set("src", "data", CommandOptions.HasExpiry, _s.Now + 50_000, flags: 77);
        var snap = (EntrySnapshot)_s.Run(Op.Dump, "src").Extra!;
        R.Int(1, Restore("dst", snap));
        Reply r = _s.Get("dst");
        R.Bulk("data", r);
        Assert.Equal(77u, r.Flags);
        Assert.Equal(_s.ExpiresAt("src"), _s.ExpiresAt("dst"));
    }

    // ---------------------------------------------------------------- RENAME (same shard)

    private Reply Rename(string from, string to, bool nx = false) =>
        _s.Run(new Command { Op = Op.RenameLocal, Key = B(from), Key2 = B(to), Options = nx ? CommandOptions.Nx : CommandOptions.None });

    [Fact]
    public void Rename_of_a_missing_key_is_no_such_key()
    {
        R.Error(ErrorCode.NoSuchKey, Rename("a", "b"));
        R.Error(ErrorCode.NoSuchKey, Rename("a", "b", nx: true));
        R.Error(ErrorCode.NoSuchKey, Rename("a", "a"));
        R.Error(ErrorCode.NoSuchKey, Rename("a", "a", nx: true));
    }

    [Fact]
    public void Rename_of_an_expired_key_is_no_such_key()
    {
        _s.SetWithTtl("a", "v", 1);
        _s.Clock.Advance(1);
        R.Error(ErrorCode.NoSuchKey, Rename("a", "b"));
        Assert.Equal(0, _s.Store.Count);
    }

    [Fact]
    public void Rename_moves_value_ttl_and_flags()
    {
        _s.Set("a", "v", CommandOptions.HasExpiry, _s.Now + 6_000, flags: 12);
        R.Ok(Rename("a", "b"));
        Assert.False(_s.Has("a"));
        Reply r = _s.Get("b");
        R.Bulk("v", r);
        Assert.Equal(12u, r.Flags);
        Assert.Equal(6_000, _s.Pttl("b"));
        Assert.Equal(1, _s.Store.Count);
    }

    [Fact]
    public void Rename_overwrites_the_destination_including_its_ttl()
    {
        _s.Set("a", "src");
        _s.SetWithTtl("b", "dst", 5_000);
        R.Ok(Rename("a", "b"));
        R.Bulk("src", _s.Get("b"));
        Assert.Equal(-1, _s.Pttl("b"));
        Assert.Equal(1, _s.Store.Count);
    }

    [Fact]
    public void Rename_onto_itself_keeps_the_key()
    {
        _s.SetWithTtl("a", "v", 5_000);
        R.Ok(Rename("a", "a"));
        R.Int(0, Rename("a", "a", nx: true));
        R.Bulk("v", _s.Get("a"));
        Assert.Equal(5_000, _s.Pttl("a"));
    }

    [Fact]
    public void Renamenx_only_renames_onto_a_missing_key()
    {
        _s.Set("a", "1");
        _s.Set("b", "2");
        R.Int(0, Rename("a", "b", nx: true));
        R.Bulk("1", _s.Get("a"));
        R.Bulk("2", _s.Get("b"));
        R.Int(1, Rename("a", "c", nx: true));
        Assert.False(_s.Has("a"));
        R.Bulk("1", _s.Get("c"));
    }

    [Fact]
    public void Renamenx_onto_an_expired_destination_succeeds()
    {
        _s.Set("a", "1");
        _s.SetWithTtl("b", "2", 10);
        _s.Clock.Advance(10);
        R.Int(1, Rename("a", "b", nx: true));
        R.Bulk("1", _s.Get("b"));
    }

    // ---------------------------------------------------------------- COPY (same shard)

    private Reply Copy(string from, string to, bool replace = false) =>
        _s.Run(new Command { Op = Op.CopyLocal, Key = B(from), Key2 = B(to), Options = replace ? CommandOptions.Replace : CommandOptions.None });

    [Fact]
    public void Copy_of_a_missing_key_answers_0()
    {
        R.Int(0, Copy("a", "b"));
        Assert.Equal(0, _s.Store.Count);
    }

    [Fact]
    public void Copy_duplicates_value_ttl_and_flags()
    {
        _s.Set("a", "v", CommandOptions.HasExpiry, _s.Now + 8_000, flags: 4);
        R.Int(1, Copy("a", "b"));
        R.Bulk("v", _s.Get("a"));
        Reply r = _s.Get("b");
        R.Bulk("v", r);
        Assert.Equal(4u, r.Flags);
        Assert.Equal(8_000, _s.Pttl("b"));
        Assert.Equal(8_000, _s.Pttl("a"));
    }

    [Fact]
    public void Copy_onto_an_existing_key_needs_replace()
    {
        _s.Set("a", "src");
        _s.SetWithTtl("b", "dst", 3_000);
        R.Int(0, Copy("a", "b"));
        R.Bulk("dst", _s.Get("b"));
        R.Int(1, Copy("a", "b", replace: true));
        R.Bulk("src", _s.Get("b"));
        Assert.Equal(-1, _s.Pttl("b"));
    }

    [Fact]
    public void Copies_are_independent_of_later_writes_to_the_source()
    {
        _s.Set("a", "abc");
        Copy("a", "b");
        _s.RunValue(Op.Append, "a", "def");
        _s.RunValue(Op.SetRange, "a", "X", 0);
        _s.Run(Op.Expire, "a", _s.Now + 1_000);
        R.Bulk("Xbcdef", _s.Get("a"));
        R.Bulk("abc", _s.Get("b"));
        Assert.Equal(-1, _s.Pttl("b"));
    }
}
