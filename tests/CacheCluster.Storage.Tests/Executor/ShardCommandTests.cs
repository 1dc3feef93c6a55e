using CacheCluster.Core;
using static CacheCluster.Storage.Tests.Executor.ShardHarness;

namespace CacheCluster.Storage.Tests.Executor;

/// <summary>Whole-shard ops: DBSIZE, FLUSH, KEYS, SCAN, RANDOMKEY, SHARDSTATS, CONFIGUREMEMORY.</summary>
public class ShardCommandTests
{
    private readonly ShardHarness _s = new();

    // ---------------------------------------------------------------- DBSIZE / FLUSH

    [Fact]
    public void Dbsize_counts_keys_and_flush_removes_them_all()
    {
        R.Int(0, _s.Whole(Op.DbSize));
        for (int i = 0; i < 25; i++) _s.Set("k" + i, "v");
        _s.SetWithTtl("t", "v", 1_000);
        R.Int(26, _s.Whole(Op.DbSize));
        R.Ok(_s.Whole(Op.Flush));
        R.Int(0, _s.Whole(Op.DbSize));
        R.Nil(_s.Get("k3"));
        Assert.Equal(0, _s.Store.UsedBytes);
        Assert.Equal(0, _s.Store.VolatileCount);
        R.Ok(_s.Set("after", "flush"));
        R.Int(1, _s.Whole(Op.DbSize));
    }

    // ---------------------------------------------------------------- KEYS

    private static readonly string[] DocKeys = ["hello", "hallo", "hxllo", "hllo", "heeeello", "hbllo", "firstname", "lastname", "age"];

    [Theory]
    [InlineData("h?llo", new[] { "hallo", "hbllo", "hello", "hxllo" })]
    [InlineData("h*llo", new[] { "hallo", "hbllo", "heeeello", "hello", "hllo", "hxllo" })]
    [InlineData("h[ae]llo", new[] { "hallo", "hello" })]
    [InlineData("h[^e]llo", new[] { "hallo", "hbllo", "hxllo" })]
    [InlineData("h[a-b]llo", new[] { "hallo", "hbllo" })]
    [InlineData("*name*", new[] { "firstname", "lastname" })]
    [InlineData("a??", new[] { "age" })]
    [InlineData("nomatch*", new string[0])]
    [InlineData("*", new[] { "age", "firstname", "hallo", "hbllo", "heeeello", "hello", "hllo", "hxllo", "lastname" })]
    public void Keys_matches_redis_glob_patterns(string pattern, string[] expected)
    {
        foreach (string k in DocKeys) _s.Set(k, "1");
        var keys = R.Keys(_s.Whole(Op.Keys, pattern: pattern));
        Assert.Equal(expected, keys.Order(StringComparer.Ordinal).ToArray());
    }

    [Fact]
    public void Keys_leaves_out_expired_keys()
    {
        _s.Set("live", "1");
        _s.SetWithTtl("dying", "1", 10);
        _s.Clock.Advance(10);
        Assert.Equal(["live"], R.Keys(_s.Whole(Op.Keys, pattern: "*")));
        Assert.Equal(1, _s.Store.Count);
    }

    [Fact]
    public void Keys_walks_a_large_shard_completely()
    {
        for (int i = 0; i < 3_000; i++) _s.Set("key:" + i, "v");
        Assert.Equal(3_000, R.Keys(_s.Whole(Op.Keys, pattern: "*")).Distinct().Count());
        Assert.Equal(10, R.Keys(_s.Whole(Op.Keys, pattern: "key:2?")).Count);
    }

    // ---------------------------------------------------------------- SCAN

    private List<string> ScanAll(int count, string? pattern = null, string? type = null, Action<int>? betweenPages = null)
    {
        var seen = new List<string>();
        long cursor = 0;
        int pages = 0;
        do
        {
            var c = new Command { Op = Op.Scan, Int1 = cursor, Int2 = count };
            if (pattern != null) { c.Pattern = B(pattern); c.Options |= CommandOptions.HasPattern; }
            if (type != null) { c.Options |= CommandOptions.TypeFilter; c.Value = B(type); }
            Reply r = _s.Run(c);
            var keys = R.Keys(r, ReplyKind.ScanPage);
            Assert.True(keys.Count <= count, $"page of {keys.Count} > COUNT {count}");
            seen.AddRange(keys);
            cursor = r.Integer;
            Assert.True(++pages < 10_000, "SCAN did not terminate");
            betweenPages?.Invoke(pages);
        } while (cursor != 0);
        return seen;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(10)]
    [InlineData(1_000)]
    public void Scan_full_walk_returns_every_key_exactly_once(int count)
    {
        var expected = Enumerable.Range(0, 200).Select(i => "k" + i).ToHashSet();
        foreach (string k in expected) _s.Set(k, "v");
        var seen = ScanAll(count);
        Assert.Equal(seen.Count, seen.Distinct().Count());
        Assert.True(expected.SetEquals(seen));
    }

    [Fact]
    public void Scan_of_an_empty_shard_is_one_final_empty_page()
    {
        Reply r = _s.Run(new Command { Op = Op.Scan, Int1 = 0, Int2 = 10 });
        Assert.Empty(R.Keys(r, ReplyKind.ScanPage));
        Assert.Equal(0, r.Integer);
    }

    [Fact]
    public void Scan_with_a_cursor_past_the_end_is_a_final_empty_page()
    {
        for (int i = 0; i < 5; i++) _s.Set("k" + i, "v");
        Reply r = _s.Run(new Command { Op = Op.Scan, Int1 = 1_000_000, Int2 = 10 });
        Assert.Empty(R.Keys(r, ReplyKind.ScanPage));
        Assert.Equal(0, r.Integer);
    }

    [Fact]
    public void Scan_returns_keys_present_for_the_whole_walk_exactly_once_despite_churn()
    {
        for (int i = 0; i < 300; i++) _s.Set("stable" + i, "v");
        for (int i = 0; i < 100; i++) _s.Set("churn" + i, "v");
        int added = 0;
        var seen = ScanAll(7, betweenPages: page =>
        {
            // delete some transient keys and add new ones while the walk is in progress
            _s.Run(Op.Del, "churn" + (page % 100));
            _s.Set("new" + added++, "v");
        });
        var stable = seen.Where(k => k.StartsWith("stable", StringComparison.Ordinal)).ToList();
        Assert.Equal(300, stable.Count);
        Assert.Equal(300, stable.Distinct().Count());
        Assert.Equal(seen.Count, seen.Distinct().Count());
    }

    [Fact]
    public void Scan_match_filters_each_page_and_the_walk_finds_all_matches()
    {
        for (int i = 0; i < 60; i++) _s.Set((i % 3 == 0 ? "user:" : "item:") + i, "v");
        var seen = ScanAll(5, pattern: "user:*");
        Assert.Equal(20, seen.Count);
        Assert.All(seen, k => Assert.StartsWith("user:", k));
        Assert.Equal(20, seen.Distinct().Count());
    }

    [Fact]
    public void Scan_type_filter_keeps_only_that_type()
    {
        for (int i = 0; i < 12; i++) _s.Set("k" + i, "v");
        Assert.Equal(12, ScanAll(4, type: "string").Count);
        Assert.Empty(ScanAll(4, type: "list"));
    }

    [Fact]
    public void Scan_skips_expired_keys()
    {
        for (int i = 0; i < 10; i++)
        {
            if (i % 2 == 0) _s.SetWithTtl("k" + i, "v", 5);
            else _s.Set("k" + i, "v");
        }
        _s.Clock.Advance(5);
        var seen = ScanAll(3);
        Assert.Equal(["k1", "k3", "k5", "k7", "k9"], seen.Order(StringComparer.Ordinal).ToArray());
    }

    // ---------------------------------------------------------------- RANDOMKEY

    [Fact]
    public void Randomkey_of_an_empty_shard_is_nil()
    {
        R.Nil(_s.Whole(Op.RandomKey));
    }

    [Fact]
    public void Randomkey_returns_an_existing_key()
    {
        _s.Set("only", "v");
        R.Bulk("only", _s.Whole(Op.RandomKey));
        for (int i = 0; i < 20; i++) _s.Set("k" + i, "v");
        for (int i = 0; i < 50; i++)
        {
            Reply r = _s.Whole(Op.RandomKey);
            Assert.Equal(ReplyKind.Bulk, r.Kind);
            Assert.True(_s.Has(S(r.Bulk.Span)));
        }
    }

    [Fact]
    public void Randomkey_never_returns_an_expired_key()
    {
        _s.SetWithTtl("gone1", "v", 1);
        _s.SetWithTtl("gone2", "v", 1);
        _s.Clock.Advance(1);
        R.Nil(_s.Whole(Op.RandomKey));
        _s.Set("live", "v");
        R.Bulk("live", _s.Whole(Op.RandomKey));
    }

    // ---------------------------------------------------------------- SHARDSTATS

    [Fact]
    public void Shardstats_counts_keyspace_hits_and_misses_of_reads()
    {
        _s.Set("a", "1");
        _s.Set("b", "2");
        _s.Get("a");                                  // hit
        _s.Get("zz");                                 // miss
        _s.Run(Op.StrLen, "a");                       // hit
        _s.Run(Op.GetRange, "nope", 0, 1);            // miss
        _s.Run(Op.Exists, "a");                       // hit
        _s.Run(Op.Exists, "nope");                    // miss
        _s.Run(Op.GetEx, "b");                        // hit
        _s.Run(Op.GetDel, "b");                       // hit
        _s.Run(Op.GetDel, "b");                       // miss
        var st = _s.Stats();
        Assert.Equal(5, st.Hits);
        Assert.Equal(4, st.Misses);
    }

    [Fact]
    public void Shardstats_does_not_count_write_lookups()
    {
        _s.Set("a", "1");
        _s.Set("a", "2", CommandOptions.Nx);
        _s.Run(Op.IncrBy, "a", 1);
        _s.Run(Op.IncrBy, "new", 1);
        _s.RunValue(Op.Append, "a", "x");
        _s.Run(Op.Del, "a");
        _s.Run(Op.Del, "a");
        _s.Run(Op.Expire, "new", _s.Now + 1_000);
        _s.Run(Op.Persist, "new");
        var st = _s.Stats();
        Assert.Equal(0, st.Hits);
        Assert.Equal(0, st.Misses);
    }

    [Fact]
    public void Shardstats_counts_an_expired_read_as_a_miss()
    {
        _s.SetWithTtl("a", "1", 10);
        _s.Clock.Advance(10);
        _s.Get("a");
        var st = _s.Stats();
        Assert.Equal(0, st.Hits);
        Assert.Equal(1, st.Misses);
        Assert.Equal(1, st.Expired);
    }

    // Redis 7 looks these keys up with lookupKeyRead / lookupKeyReadWithFlags(NOTOUCH), which count keyspace hits and misses.
    [Theory]
    [InlineData(Op.Touch)]
    [InlineData(Op.Type)]
    [InlineData(Op.Ttl)]
    [InlineData(Op.ObjectEncoding)]
    public void Shardstats_counts_hits_and_misses_of_read_only_key_lookups(Op op)
    {
        _s.Set("a", "1");
        _s.Run(op, "a");
        _s.Run(op, "missing");
        var st = _s.Stats();
        Assert.Equal(1, st.Hits);
        Assert.Equal(1, st.Misses);
    }

    [Fact]
    public void Shardstats_reports_keys_volatile_memory_expired_and_evicted()
    {
        long entry = 2 + 10 + CacheStore.EntryOverhead;
        var s = new ShardHarness(maxMemory: entry * 3, policy: EvictionPolicy.AllKeysLru);
        s.Set("k1", "0123456789");
        s.SetWithTtl("k2", "0123456789", 100);
        var st = s.Stats();
        Assert.Equal(2, st.Keys);
        Assert.Equal(1, st.VolatileKeys);
        Assert.Equal(2 * entry, st.UsedBytes);
        Assert.Equal(3 * entry, st.MaxBytes);
        Assert.Equal(0, st.Expired);
        Assert.Equal(0, st.Evicted);

        s.Clock.Advance(100);
        s.Get("k2");
        for (int i = 3; i < 8; i++) s.Set("k" + i, "0123456789");
        st = s.Stats();
        Assert.Equal(1, st.Expired);
        Assert.True(st.Evicted >= 2, $"evicted {st.Evicted}");
        Assert.Equal(s.Store.Count, st.Keys);
    }

    [Fact]
    public void Reset_stats_zeroes_hits_and_misses()
    {
        _s.Set("a", "1");
        _s.Get("a");
        _s.Get("b");
        _s.Exec.ResetStats();
        var st = _s.Stats();
        Assert.Equal(0, st.Hits);
        Assert.Equal(0, st.Misses);
        Assert.Equal(1, st.Keys);
    }
}
