using CacheCluster.Core;
using static CacheCluster.Storage.Tests.TestKeys;

namespace CacheCluster.Storage.Tests;

public class EvictionTests
{
    private static readonly long EntrySize = Size("k0", 10);   // every key here is 2 bytes with a 10-byte value

    private static void Fill(CacheStore store, ManualClock clock, int n, Func<int, long>? expiry = null)
    {
        for (int i = 0; i < n; i++)
        {
            clock.Advance(1);
            store.Set(B("k" + i), new byte[10], 0, expiry?.Invoke(i) ?? 0);
        }
    }

    private static bool Has(CacheStore store, int i) => store.Find(B("k" + i), touch: false) != CacheStore.NotFound;

    [Fact]
    public void Under_budget_nothing_is_evicted()
    {
        var (store, clock) = NewStore(maxMemory: EntrySize * 5);
        Fill(store, clock, 5);
        Assert.False(store.OverBudget);
        Assert.True(store.EnsureMemory());
        Assert.Equal(5, store.Count);
        Assert.Equal(0, store.EvictedKeys);
    }

    [Fact]
    public void Unlimited_budget_never_evicts()
    {
        var (store, clock) = NewStore(maxMemory: 0);
        Fill(store, clock, 1000);
        Assert.False(store.OverBudget);
        Assert.True(store.EnsureMemory());
        Assert.Equal(1000, store.Count);
    }

    [Fact]
    public void AllKeysLru_evicts_in_insertion_order_without_access()
    {
        var (store, clock) = NewStore(maxMemory: EntrySize * 5);
        Fill(store, clock, 8);
        Assert.True(store.OverBudget);
        Assert.True(store.EnsureMemory());
        Assert.Equal(3, store.EvictedKeys);
        for (int i = 0; i < 8; i++) Assert.Equal(i >= 3, Has(store, i));
        Assert.Equal(EntrySize * 5, store.UsedBytes);
    }

    [Fact]
    public void AllKeysLru_access_protects_keys_in_exact_lru_order()
    {
        var (store, clock) = NewStore(maxMemory: EntrySize * 10);
        Fill(store, clock, 10);
        // Touch k0, k2, k4: the least recently used are now k1, k3, k5, k6 ...
        foreach (int i in new[] { 0, 2, 4 }) Assert.NotEqual(CacheStore.NotFound, store.Find(B("k" + i)));
        store.MaxMemoryBytes = EntrySize * 6;    // CONFIG SET at runtime
        Assert.True(store.EnsureMemory());
        int[] evicted = [1, 3, 5, 6];
        for (int i = 0; i < 10; i++) Assert.Equal(!evicted.Contains(i), Has(store, i));
        Assert.Equal(4, store.EvictedKeys);
    }

    [Fact]
    public void Overwriting_a_key_makes_it_most_recent()
    {
        var (store, clock) = NewStore(maxMemory: EntrySize * 3);
        Fill(store, clock, 3);
        store.Set(B("k0"), new byte[10], 0, 0);
        store.Set(B("k9"), new byte[10], 0, 0);
        Assert.True(store.EnsureMemory());
        Assert.False(Has(store, 1));
        Assert.True(Has(store, 0));
    }

    [Fact]
    public void Find_without_touch_does_not_change_lru_order_or_access_time()
    {
        var (store, clock) = NewStore(maxMemory: EntrySize * 3);
        Fill(store, clock, 3);
        int h0 = store.Find(B("k0"), touch: false);
        long before = store.LastAccessOf(h0);
        clock.Advance(1000);
        store.Find(B("k0"), touch: false);
        Assert.Equal(before, store.LastAccessOf(h0));
        store.Set(B("k3"), new byte[10], 0, 0);
        Assert.True(store.EnsureMemory());
        Assert.False(Has(store, 0));           // still the LRU tail
        Assert.True(Has(store, 1));
    }

    [Fact]
    public void Find_with_touch_updates_last_access()
    {
        var (store, clock) = NewStore();
        int h = store.Set(B("k"), B("v"), 0, 0);
        clock.Advance(500);
        store.Find(B("k"));
        Assert.Equal(T0 + 500, store.LastAccessOf(h));
    }

    [Fact]
    public void Budget_smaller_than_one_entry_evicts_everything_and_succeeds()
    {
        var (store, clock) = NewStore(maxMemory: 10);
        Fill(store, clock, 4);
        Assert.True(store.EnsureMemory());
        Assert.Equal(0, store.Count);
        Assert.Equal(0, store.UsedBytes);
    }

    [Fact]
    public void VolatileLru_evicts_only_keys_with_expiry_in_lru_order()
    {
        var (store, clock) = NewStore(maxMemory: EntrySize * 6, policy: EvictionPolicy.VolatileLru);
        // Odd keys are volatile.
        Fill(store, clock, 10, i => i % 2 == 1 ? T0 + 1_000_000 : 0);
        store.Find(B("k1"));                   // k1 becomes most recent volatile
        Assert.True(store.EnsureMemory());
        Assert.Equal(4, store.EvictedKeys);
        for (int i = 0; i < 10; i += 2) Assert.True(Has(store, i));
        Assert.True(Has(store, 1));
        Assert.False(Has(store, 3));
        Assert.False(Has(store, 5));
        Assert.False(Has(store, 7));
        Assert.False(Has(store, 9));
        Assert.Equal(1, store.VolatileCount);
    }

    [Fact]
    public void VolatileLru_fails_when_no_volatile_keys_are_left()
    {
        var (store, clock) = NewStore(maxMemory: EntrySize * 3, policy: EvictionPolicy.VolatileLru);
        Fill(store, clock, 6, i => i == 5 ? T0 + 1_000_000 : 0);
        Assert.False(store.EnsureMemory());
        Assert.Equal(1, store.EvictedKeys);
        Assert.Equal(5, store.Count);
        for (int i = 0; i < 5; i++) Assert.True(Has(store, i));
        Assert.True(store.OverBudget);
    }

    [Fact]
    public void VolatileLru_with_many_keys_prefers_old_ones()
    {
        // Persistent keys fill the LRU tail, so the tail probe fails and picks come from sampling.
        var (store, clock) = NewStore(policy: EvictionPolicy.VolatileLru, seed: 7);
        for (int i = 0; i < 100; i++) { clock.Advance(1); store.Set(B("p" + i), new byte[10], 0, 0); }
        Fill(store, clock, 1000, _ => T0 + 1_000_000);
        store.MaxMemoryBytes = store.UsedBytes - EntrySize * 200;
        Assert.True(store.EnsureMemory());
        long evicted = store.EvictedKeys;                  // keys are 2..4 bytes, so roughly 200
        Assert.InRange(evicted, 150, 200);
        for (int i = 0; i < 100; i++) Assert.NotEqual(CacheStore.NotFound, store.Find(B("p" + i), touch: false));
        // With 16 samples per pick the victims come overwhelmingly from the older half.
        int oldHalfEvicted = 0;
        for (int i = 0; i < 500; i++) if (!Has(store, i)) oldHalfEvicted++;
        Assert.True(oldHalfEvicted >= evicted * 95 / 100, $"only {oldHalfEvicted} of {evicted} evictions hit the older half");
    }

    [Fact]
    public void NoEviction_keeps_data_and_reports_failure()
    {
        var (store, clock) = NewStore(maxMemory: EntrySize * 3, policy: EvictionPolicy.NoEviction);
        Fill(store, clock, 5);
        Assert.False(store.EnsureMemory());
        Assert.Equal(5, store.Count);
        Assert.Equal(0, store.EvictedKeys);
        for (int i = 0; i < 5; i++) Assert.True(Has(store, i));
        // Deleting brings it back under budget.
        store.Delete(B("k0"));
        store.Delete(B("k1"));
        Assert.True(store.EnsureMemory());
    }

    [Fact]
    public void Policy_can_change_at_runtime()
    {
        var (store, clock) = NewStore(maxMemory: EntrySize * 3, policy: EvictionPolicy.NoEviction);
        Fill(store, clock, 5);
        Assert.False(store.EnsureMemory());
        store.Policy = EvictionPolicy.AllKeysLru;
        Assert.True(store.EnsureMemory());
        Assert.Equal(3, store.Count);
        Assert.False(Has(store, 0));
        Assert.False(Has(store, 1));
    }
}
