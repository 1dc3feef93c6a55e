using static CacheCluster.Storage.Tests.TestKeys;

namespace CacheCluster.Storage.Tests;

public class MemoryAccountingTests
{
    [Fact]
    public void Used_bytes_track_every_mutation_and_return_to_zero()
    {
        var (store, _) = NewStore();
        var rng = new Random(99);
        long expected = 0;
        var sizes = new Dictionary<string, long>();
        for (int i = 0; i < 20_000; i++)
        {
            string key = "key" + rng.Next(5000);
            int len = rng.Next(200);
            int h = store.Set(B(key), new byte[len], 0, rng.Next(3) == 0 ? T0 + 1_000_000 : 0);
            if (sizes.TryGetValue(key, out long old)) expected -= old;
            sizes[key] = Size(key, len);
            expected += sizes[key];
            if (rng.Next(4) == 0)
            {
                int len2 = rng.Next(300);
                store.ReplaceValue(h, new byte[len2]);
                expected += len2 - len;
                sizes[key] = Size(key, len2);
            }
            if (rng.Next(5) == 0) store.SetExpiry(h, rng.Next(2) == 0 ? 0 : T0 + 5000);
            Assert.Equal(expected, store.UsedBytes);
            Assert.Equal(sizes[key], store.SizeOf(h));
        }
        store.CheckInvariants();
        foreach (string key in sizes.Keys) Assert.True(store.Delete(B(key)));
        Assert.Equal(0, store.UsedBytes);
        Assert.Equal(0, store.Count);
        Assert.Equal(0, store.VolatileCount);
        store.CheckInvariants();
    }

    [Fact]
    public void Entry_overhead_is_counted_once_per_entry()
    {
        var (store, _) = NewStore();
        store.Set(B("abc"), new byte[100], 0, 0);
        store.Set(B("de"), new byte[0], 0, 0);
        Assert.Equal(3 + 100 + 2 + 2 * CacheStore.EntryOverhead, store.UsedBytes);
    }

    [Fact]
    public void Eviction_and_expiry_release_memory()
    {
        var (store, clock) = NewStore(maxMemory: 0);
        for (int i = 0; i < 100; i++) store.Set(B("k" + i), new byte[50], 0, i < 50 ? T0 + 1 : 0);
        clock.Advance(1);
        store.ActiveExpireCycle(maxRounds: 1000);
        store.MaxMemoryBytes = 1;
        Assert.True(store.EnsureMemory());
        Assert.Equal(0, store.UsedBytes);
        Assert.Equal(0, store.Count);
    }
}
