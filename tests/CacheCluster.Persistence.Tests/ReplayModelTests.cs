using CacheCluster.Core;
using CacheCluster.Persistence.Events;
using CacheCluster.Storage;

namespace CacheCluster.Persistence.Tests;

/// <summary>
/// The events a store reports, replayed into a fresh store, rebuild the same live data: the
/// randomized operations cover every mutator, expiry in the past and future, flushes and
/// evictions under a memory budget.
/// </summary>
public class ReplayModelTests
{
    const int Shard = 3, Shards = 8;           // a CAS series with a step, as on a real node
    const long Budget = 40_000;

    sealed class RunResult(CacheStore store, ManualClock clock, EncodingSink sink, Dictionary<string, int> ops)
    {
        public CacheStore Store { get; } = store;
        public ManualClock Clock { get; } = clock;
        public byte[] Events { get; } = sink.Buffer.Written.ToArray();
        public int EventCount { get; } = sink.Buffer.Count;
        public Dictionary<string, int> Ops { get; } = ops;
    }

    static byte[] Key(int i) => i % 10 == 0 ? [0, 0xFF, (byte)i, (byte)(i >> 8)] : T.B("k" + i);

    /// <summary>
    /// Random operations the way the command executor drives a store: memory is made room for
    /// before each command (so a Set may leave the store over budget until the next one).
    /// </summary>
    static RunResult RunRandom(int seed, int operations, long budget, bool reads, bool expiryChanges = true, bool shortTtls = true)
    {
        var rng = new Random(seed);
        var clock = new ManualClock(1_700_000_000_000);
        var store = T.NewShardStore(clock, Shard, Shards, budget);
        var sink = new EncodingSink(store);
        store.Changes = sink;
        var ops = new Dictionary<string, int>();
        void Count(string op) => ops[op] = ops.GetValueOrDefault(op) + 1;

        byte[] Value()
        {
            int n = rng.Next(20) == 0 ? 2000 + rng.Next(2000) : rng.Next(200);
            var v = new byte[n];
            rng.NextBytes(v);
            return v;
        }

        long Expiry() => !shortTtls ? (rng.Next(3) == 0 ? T.Year2100 : 0) : rng.Next(100) switch
        {
            < 50 => 0,
            < 85 => clock.NowMs + 1 + rng.Next(3000),
            < 95 => clock.NowMs - rng.Next(1000),     // already expired (or expiring right now)
            _ => T.Year2100,
        };

        for (int i = 0; i < operations; i++)
        {
            clock.Advance(rng.Next(3));
            if (budget > 0) store.EnsureMemory();
            var key = Key(rng.Next(300));
            int roll = rng.Next(1000);
            int Handle() => store.Find(key, touch: reads && rng.Next(2) == 0);
            switch (roll)
            {
                case < 300:
                    store.Set(key, Value(), (uint)rng.Next(), Expiry());
                    Count("set");
                    break;
                case < 400:
                    if (Handle() is var h1 and >= 0) { store.ReplaceValue(h1, Value()); Count("replace"); }
                    break;
                case < 500:
                    if (!expiryChanges) { store.Set(key, Value(), (uint)rng.Next(), Expiry()); Count("set"); }
                    else if (Handle() is var h2 and >= 0) { store.SetExpiry(h2, Expiry()); Count("expire"); }
                    break;
                case < 570:
                    if (Handle() is var h3 and >= 0) { store.SetFlags(h3, rng.Next(4) == 0 ? uint.MaxValue : (uint)rng.Next()); Count("flags"); }
                    break;
                case < 630:
                    if (Handle() is var h4 and >= 0) { store.BumpCas(h4); Count("bumpcas"); }
                    break;
                case < 690:
                    if (Handle() is var h5 and >= 0) { store.Remove(h5); Count("remove"); }
                    break;
                case < 760:
                    if (store.Delete(key)) Count("delete");
                    break;
                case < 890:
                    if (reads && store.Find(key) >= 0) Count("read");
                    break;
                case < 940:
                    clock.Advance(rng.Next(200));
                    break;
                case < 970:
                    Count("active-expire");
                    store.ActiveExpireCycle();
                    break;
                case < 995:
                    if (Handle() is var h6 and >= 0) { store.Touch(h6); Count("touch"); }
                    break;
                default:
                    if (rng.Next(3) == 0 && i < operations - 1500) { store.Clear(); Count("clear"); }
                    break;
            }
        }
        if (budget > 0) store.EnsureMemory();  // what the next command would do
        Assert.True(store.IsConsistent(out var problem), problem);
        if (budget > 0) Assert.True(store.EvictedKeys > 0, "the run should evict");
        if (shortTtls) Assert.True(store.ExpiredKeys > 0, "the run should expire keys");
        Assert.True(ops.GetValueOrDefault("clear") > 0, "the run should flush");
        foreach (var op in new[] { "set", "replace", "flags", "bumpcas", "remove", "delete" }.Concat(expiryChanges ? ["expire"] : []))
            Assert.True(ops.GetValueOrDefault(op) > 20, $"too few {op} operations: {ops.GetValueOrDefault(op)}");
        Assert.True(store.Count > 20, $"the run should end with data (it has {store.Count} keys)");
        return new RunResult(store, clock, sink, ops);
    }

    static CacheStore Replay(byte[] events, IClock clock, long budget)
    {
        var replica = T.NewShardStore(clock, Shard, Shards, budget);
        var applier = new EventApplier(replica);
        applier.ApplyRecords(events);
        applier.Finish();
        Assert.True(replica.IsConsistent(out var problem), problem);
        return replica;
    }

    [Theory]
    [InlineData(1, false)]
    [InlineData(2, true)]
    [InlineData(3, true)]
    [InlineData(4, false)]
    public void Replay_rebuilds_keys_values_flags_cas_and_expiries(int seed, bool reads)
    {
        var run = RunRandom(seed, 6000, Budget, reads);
        // an unlimited replica: the evictions are in the journal as deletions
        var replica = Replay(run.Events, run.Clock, budget: 0);
        Contents.Equal(Contents.Of(run.Store), Contents.Of(replica), $"seed {seed}, {run.EventCount} events");
        Assert.Equal(run.Store.NextCas, replica.NextCas);
    }

    [Fact]
    public void Replay_without_a_memory_budget_in_either_store_is_equivalent()
    {
        var run = RunRandom(7, 6000, budget: 0, reads: true);
        var replica = Replay(run.Events, run.Clock, budget: 0);
        Contents.Equal(Contents.Of(run.Store), Contents.Of(replica), "no budget");
        Assert.Equal(run.Store.NextCas, replica.NextCas);
    }

    /// <summary>The random runs above without SetExpiry: everything but the case of the two tests below.</summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Replay_of_runs_without_expiry_changes_is_equivalent(int seed)
    {
        var run = RunRandom(seed, 6000, Budget, reads: true, expiryChanges: false);
        var replica = Replay(run.Events, run.Clock, budget: 0);
        Contents.Equal(Contents.Of(run.Store), Contents.Of(replica), $"seed {seed} without SetExpiry");
        Assert.Equal(run.Store.NextCas, replica.NextCas);
    }

    /// <summary>
    /// SET k v PX 1000, then PERSIST k: k lives for ever. A replay after the first TTL has passed
    /// must keep it (the Set's expiry is superseded by the Expire event after it).
    /// </summary>
    [Fact]
    public void Replay_after_the_first_ttl_passed_keeps_a_key_that_was_made_persistent()
    {
        var clock = new ManualClock();
        var store = T.NewShardStore(clock, Shard, Shards);
        var sink = new EncodingSink(store);
        store.Changes = sink;
        int h = store.Set(T.B("k"), T.B("v"), 0, clock.NowMs + 1000);
        store.SetExpiry(h, 0);
        clock.Advance(2000);
        Assert.True(store.Find(T.B("k")) >= 0);

        var replica = Replay(sink.Buffer.Written.ToArray(), clock, budget: 0);
        Contents.Equal(Contents.Of(store), Contents.Of(replica), "SET PX 1000 + PERSIST, replayed 2 s later");
    }

    /// <summary>SET k v PX 1000, then PEXPIRE k 60000: replayed 2 s later, k has 58 s left.</summary>
    [Fact]
    public void Replay_after_the_first_ttl_passed_keeps_a_key_whose_ttl_was_extended()
    {
        var clock = new ManualClock();
        var store = T.NewShardStore(clock, Shard, Shards);
        var sink = new EncodingSink(store);
        store.Changes = sink;
        int h = store.Set(T.B("k"), T.B("v"), 0, clock.NowMs + 1000);
        store.SetExpiry(h, clock.NowMs + 60_000);
        clock.Advance(2000);

        var replica = Replay(sink.Buffer.Written.ToArray(), clock, budget: 0);
        Contents.Equal(Contents.Of(store), Contents.Of(replica), "SET PX 1000 + PEXPIRE 60000, replayed 2 s later");
    }

    /// <summary>
    /// Recovery replays into a store with the node's memory budget (ShardRegion.NewStore). The
    /// original store was within that budget after every command, so the replay must not lose
    /// keys the original still has.
    /// </summary>
    [Theory]
    [InlineData(1, false)]
    [InlineData(2, true)]
    public void Replay_into_a_store_with_the_same_memory_budget_keeps_every_live_key(int seed, bool reads)
    {
        // no short TTLs: a replay at the end would drop those, and never come near the budget
        var run = RunRandom(seed, 6000, Budget, reads, expiryChanges: false, shortTtls: false);
        Assert.Equal(run.Store.Count, Replay(run.Events, run.Clock, budget: 0).Count);    // the journal itself is complete
        var replica = Replay(run.Events, run.Clock, Budget);
        Contents.Equal(Contents.Of(run.Store), Contents.Of(replica), $"seed {seed}, replayed with the same budget");
    }

    /// <summary>The smallest form of the case above: a read changes which key the original evicts.</summary>
    [Fact]
    public void Replay_with_a_budget_evicts_what_the_original_evicted_after_a_read()
    {
        var clock = new ManualClock();
        long budget = 3 * (2 + 10 + CacheStore.EntryOverhead);     // room for three entries "kN" -> 10 bytes
        var store = T.NewShardStore(clock, Shard, Shards, budget);
        var sink = new EncodingSink(store);
        store.Changes = sink;
        store.Set(T.B("k1"), new byte[10], 0, 0);
        store.Set(T.B("k2"), new byte[10], 0, 0);
        store.Set(T.B("k3"), new byte[10], 0, 0);
        Assert.True(store.Find(T.B("k1")) >= 0);                    // GET k1: k2 is now least recent
        store.Set(T.B("k4"), new byte[10], 0, 0);
        store.EnsureMemory();                                       // evicts k2 (journaled as a Delete)
        Assert.Equal(new[] { "6B31", "6B33", "6B34" }, Contents.Of(store).Keys);

        var replica = Replay(sink.Buffer.Written.ToArray(), clock, budget);
        Contents.Equal(Contents.Of(store), Contents.Of(replica), "replay with the same budget after a read");
    }

    /// <summary>The same through ReplaceValue, which (unlike the Set a replay makes of it) leaves the LRU order alone.</summary>
    [Fact]
    public void Replay_with_a_budget_evicts_what_the_original_evicted_after_a_ReplaceValue()
    {
        var clock = new ManualClock();
        long budget = 3 * (2 + 10 + CacheStore.EntryOverhead);
        var store = T.NewShardStore(clock, Shard, Shards, budget);
        var sink = new EncodingSink(store);
        store.Changes = sink;
        store.Set(T.B("k1"), new byte[10], 0, 0);
        store.Set(T.B("k2"), new byte[10], 0, 0);
        store.Set(T.B("k3"), new byte[10], 0, 0);
        store.ReplaceValue(store.Find(T.B("k1"), touch: false), new byte[10]);   // e.g. APPEND/INCR without a read
        store.Set(T.B("k4"), new byte[10], 0, 0);
        store.EnsureMemory();                                       // evicts k1, still least recent in the original
        Assert.Equal(new[] { "6B32", "6B33", "6B34" }, Contents.Of(store).Keys);

        var replica = Replay(sink.Buffer.Written.ToArray(), clock, budget);
        Contents.Equal(Contents.Of(store), Contents.Of(replica), "replay with the same budget after a ReplaceValue");
    }

    [Fact]
    public void Replay_after_the_clock_moved_on_drops_expired_entries()
    {
        var run = RunRandom(5, 6000, Budget, reads: true);
        var before = Contents.Of(run.Store);
        Assert.Contains(before.Values, i => i.ExpiresAt != 0 && i.ExpiresAt < T.Year2100);   // something to expire
        Assert.Contains(before.Values, i => i.ExpiresAt == T.Year2100);

        var later = new ManualClock(run.Clock.NowMs + 3_600_000);  // every short TTL has passed, 2100 has not
        var replica = Replay(run.Events, later, budget: 0);
        var expected = new SortedDictionary<string, Item>(
            before.Where(kv => kv.Value.ExpiresAt == 0 || kv.Value.ExpiresAt > later.NowMs).ToDictionary(), StringComparer.Ordinal);
        Assert.True(expected.Count < before.Count);
        Contents.Equal(expected, Contents.Of(replica), "replayed an hour later");
        Assert.Equal(expected.Count, replica.Count);                 // dropped, not merely expired-in-place
        Assert.Equal(expected.Values.Count(i => i.ExpiresAt != 0), replica.VolatileCount);
        Assert.Equal(run.Store.NextCas, replica.NextCas);           // CAS of dropped entries is not reissued
    }

    [Fact]
    public void Applying_a_set_that_expired_removes_the_older_value()
    {
        var clock = new ManualClock();
        var store = T.NewShardStore(clock, Shard, Shards);
        var buf = new RecordBuffer();
        EventCodec.WriteSet(buf, T.B("k"), ValueKind.String, T.B("old"), 1, 4, 0);
        EventCodec.WriteSet(buf, T.B("k"), ValueKind.String, T.B("new"), 2, 12, clock.NowMs - 1);
        EventCodec.WriteSet(buf, T.B("p"), ValueKind.String, T.B("v"), 3, 20, 0);
        EventCodec.WriteExpire(buf, T.B("p"), clock.NowMs);          // expiring now = expired
        EventCodec.WriteSet(buf, T.B("q"), ValueKind.String, T.B("v"), 3, 28, clock.NowMs + 10);
        EventCodec.WriteExpire(buf, T.B("q"), 0);                    // persist
        EventCodec.WriteExpire(buf, T.B("absent"), clock.NowMs + 10);
        EventCodec.WriteDelete(buf, T.B("absent"));
        var applier = new EventApplier(store);
        applier.ApplyRecords(buf.Written);
        applier.Finish();
        Assert.Equal(8, applier.Applied);
        var c = Contents.Of(store);
        Assert.Equal([Contents.Hex("q")], c.Keys);
        Assert.Equal(new Item(Convert.ToHexString(T.B("v")), 3, 28, 0), c[Contents.Hex("q")]);
        Assert.Equal(1, store.Count);
        Assert.True(store.NextCas > 28);
    }
}
