using static CacheCluster.Storage.Tests.TestKeys;

namespace CacheCluster.Storage.Tests;

public class RandomEntryTests
{
    [Fact]
    public void Empty_store_has_no_random_entry()
    {
        var (store, _) = NewStore();
        Assert.Equal(CacheStore.NotFound, store.RandomEntry());
    }

    [Fact]
    public void Sparse_table_still_finds_the_single_survivor()
    {
        var (store, _) = NewStore(seed: 3);
        for (int i = 0; i < 100_000; i++) store.Set(B("k" + i), B("v"), 0, 0);
        for (int i = 0; i < 100_000; i++) if (i != 77_777) store.Delete(B("k" + i));
        for (int i = 0; i < 20; i++)
        {
            int h = store.RandomEntry();
            Assert.Equal("k77777", S(store.KeyOf(h)));
        }
    }

    [Fact]
    public void Emptied_table_returns_NotFound()
    {
        var (store, _) = NewStore();
        for (int i = 0; i < 1000; i++) store.Set(B("k" + i), B("v"), 0, 0);
        for (int i = 0; i < 1000; i++) store.Delete(B("k" + i));
        Assert.Equal(CacheStore.NotFound, store.RandomEntry());
    }

    [Fact]
    public void All_expired_table_is_reclaimed_and_returns_NotFound()
    {
        var (store, clock) = NewStore();
        for (int i = 0; i < 1000; i++) store.Set(B("k" + i), B("v"), 0, T0 + 5);
        clock.Advance(5);
        Assert.Equal(CacheStore.NotFound, store.RandomEntry());
        Assert.Equal(0, store.Count);
        Assert.Equal(1000, store.ExpiredKeys);
    }

    [Fact]
    public void Expired_entries_are_never_returned()
    {
        var (store, clock) = NewStore(seed: 11);
        for (int i = 0; i < 1000; i++) store.Set(B("k" + i), B("v"), 0, i == 500 ? 0 : T0 + 5);
        clock.Advance(5);
        for (int i = 0; i < 10; i++) Assert.Equal("k500", S(store.KeyOf(store.RandomEntry())));
    }

    [Fact]
    public void Every_key_is_eventually_picked()
    {
        var (store, _) = NewStore(seed: 2);
        for (int i = 0; i < 10; i++) store.Set(B("k" + i), B("v"), 0, 0);
        var seen = new HashSet<string>();
        for (int i = 0; i < 1000; i++) seen.Add(S(store.KeyOf(store.RandomEntry())));
        Assert.Equal(10, seen.Count);
    }
}
