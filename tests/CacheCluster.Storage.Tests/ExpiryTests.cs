using static CacheCluster.Storage.Tests.TestKeys;

namespace CacheCluster.Storage.Tests;

public class ExpiryTests
{
    [Fact]
    public void Lazy_expiry_hides_and_reclaims_on_lookup()
    {
        var (store, clock) = NewStore();
        store.Set(B("k"), B("v"), 0, T0 + 100);
        clock.Advance(99);
        Assert.NotEqual(CacheStore.NotFound, store.Find(B("k")));
        clock.Advance(1);                                 // expiry <= now → gone
        Assert.Equal(1, store.Count);                     // still held until something looks
        Assert.Equal(CacheStore.NotFound, store.Find(B("k")));
        Assert.Equal(1, store.ExpiredKeys);
        Assert.Equal(0, store.Count);
        Assert.Equal(0, store.VolatileCount);
        Assert.Equal(0, store.UsedBytes);
    }

    [Fact]
    public void Introspective_find_also_expires()
    {
        var (store, clock) = NewStore();
        store.Set(B("k"), B("v"), 0, T0 + 10);
        clock.Advance(10);
        Assert.Equal(CacheStore.NotFound, store.Find(B("k"), touch: false));
        Assert.Equal(1, store.ExpiredKeys);
    }

    [Fact]
    public void Delete_of_expired_key_reports_false_and_counts_expiry()
    {
        var (store, clock) = NewStore();
        store.Set(B("k"), B("v"), 0, T0 + 10);
        clock.Advance(10);
        Assert.False(store.Delete(B("k")));
        Assert.Equal(1, store.ExpiredKeys);
        Assert.Equal(0, store.Count);
    }

    [Fact]
    public void Set_over_expired_key_counts_expiry_and_starts_fresh()
    {
        var (store, clock) = NewStore();
        store.Set(B("k"), B("old"), 5, T0 + 10);
        clock.Advance(10);
        int h = store.Set(B("k"), B("new"), 0, 0);
        Assert.Equal(1, store.ExpiredKeys);
        Assert.Equal("new", S(store.StringOf(h)));
        Assert.Equal(0, store.ExpiresAtOf(h));
        Assert.Equal(0, store.VolatileCount);
        Assert.Equal(Size("k", 3), store.UsedBytes);
    }

    [Fact]
    public void IsExpired_reports_pending_expiry_without_removing()
    {
        var (store, clock) = NewStore();
        int h = store.Set(B("k"), B("v"), 0, T0 + 10);
        Assert.False(store.IsExpired(h));
        clock.Advance(10);
        Assert.True(store.IsExpired(h));
        Assert.True(store.IsLive(h));
    }

    [Fact]
    public void SetExpiry_maintains_volatile_count_and_keeps_cas()
    {
        var (store, _) = NewStore();
        var hs = new int[10];
        for (int i = 0; i < 10; i++) hs[i] = store.Set(B("k" + i), B("v"), 0, 0);
        Assert.Equal(0, store.VolatileCount);
        ulong cas = store.CasOf(hs[3]);
        for (int i = 0; i < 10; i++) store.SetExpiry(hs[i], T0 + 1000 + i);
        Assert.Equal(10, store.VolatileCount);
        store.SetExpiry(hs[3], T0 + 5000);                // changing an existing expiry: no double count
        Assert.Equal(10, store.VolatileCount);
        Assert.Equal(T0 + 5000, store.ExpiresAtOf(hs[3]));
        Assert.Equal(cas, store.CasOf(hs[3]));
        store.SetExpiry(hs[3], 0);                        // PERSIST
        store.SetExpiry(hs[3], 0);
        Assert.Equal(9, store.VolatileCount);
        store.Remove(hs[0]);                              // removing a volatile entry
        store.Remove(hs[3]);                              // removing a persistent one
        Assert.Equal(8, store.VolatileCount);
        Assert.True(store.Delete(B("k9")));
        Assert.Equal(7, store.VolatileCount);
        store.CheckInvariants();
    }

    [Fact]
    public void Active_expiry_checks_everything_in_a_small_index()
    {
        var (store, clock) = NewStore();
        for (int i = 0; i < 15; i++) store.Set(B("e" + i), B("v"), 0, T0 + 10);
        for (int i = 0; i < 5; i++) store.Set(B("l" + i), B("v"), 0, T0 + 100_000);
        store.Set(B("p"), B("v"), 0, 0);
        clock.Advance(10);
        Assert.Equal(15, store.ActiveExpireCycle());
        Assert.Equal(6, store.Count);
        Assert.Equal(5, store.VolatileCount);
        Assert.Equal(15, store.ExpiredKeys);
        Assert.Equal(0, store.ActiveExpireCycle());
        store.CheckInvariants();
    }

    [Fact]
    public void Active_expiry_removes_most_expired_keys_among_many_and_keeps_live_ones()
    {
        var (store, clock) = NewStore(seed: 1234);
        for (int i = 0; i < 10_000; i++) store.Set(B("dead" + i), B("v"), 0, T0 + 50);
        for (int i = 0; i < 1_000; i++) store.Set(B("ttl" + i), B("v"), 0, T0 + 1_000_000);
        for (int i = 0; i < 500; i++) store.Set(B("persist" + i), B("v"), 0, 0);
        clock.Advance(50);

        int removed = 0;
        for (int cycle = 0; cycle < 100; cycle++) removed += store.ActiveExpireCycle(maxRounds: 16);

        Assert.Equal(removed, store.ExpiredKeys);
        Assert.True(removed >= 7_500, $"active expiry removed only {removed} of 10000 expired keys");
        Assert.Equal(11_500 - removed, store.Count);
        for (int i = 0; i < 1_000; i++) Assert.NotEqual(CacheStore.NotFound, store.Find(B("ttl" + i), touch: false));
        for (int i = 0; i < 500; i++) Assert.NotEqual(CacheStore.NotFound, store.Find(B("persist" + i), touch: false));
        store.CheckInvariants();
    }

    [Fact]
    public void Active_expiry_respects_max_rounds()
    {
        var (store, clock) = NewStore(seed: 5);
        for (int i = 0; i < 1000; i++) store.Set(B("k" + i), B("v"), 0, T0 + 1);
        clock.Advance(1);
        int removed = store.ActiveExpireCycle(maxRounds: 1);
        Assert.InRange(removed, 1, 20);
        Assert.Equal(0, store.ActiveExpireCycle(maxRounds: 0));
    }

    [Fact]
    public void Active_expiry_with_nothing_volatile_is_a_noop()
    {
        var (store, _) = NewStore();
        Assert.Equal(0, store.ActiveExpireCycle());
        store.Set(B("k"), B("v"), 0, 0);
        Assert.Equal(0, store.ActiveExpireCycle());
        Assert.Equal(1, store.Count);
    }
}
