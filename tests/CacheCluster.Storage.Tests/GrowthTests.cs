using static CacheCluster.Storage.Tests.TestKeys;

namespace CacheCluster.Storage.Tests;

public class GrowthTests
{
    [Fact]
    public void Hundred_thousand_keys_survive_growth_with_stable_handles()
    {
        var (store, _) = NewStore();
        const int n = 100_000;
        var handles = new int[n];
        for (int i = 0; i < n; i++)
        {
            handles[i] = store.Set(B("key:" + i), B("value:" + i), (uint)i, 0);
            // The first handle must keep addressing the first key across every doubling.
            if ((i & (i - 1)) == 0) Assert.Equal("key:0", S(store.KeyOf(handles[0])));
        }
        Assert.Equal(n, store.Count);
        for (int i = 0; i < n; i++)
        {
            int h = store.Find(B("key:" + i));
            Assert.Equal(handles[i], h);
            Assert.Equal("value:" + i, S(store.StringOf(h)));
            Assert.Equal((uint)i, store.FlagsOf(h));
        }
        store.CheckInvariants();
    }

    [Fact]
    public void Keys_sharing_prefixes_and_lengths_stay_distinct()
    {
        // Binary keys that differ in a single byte, plus prefixes of each other, share buckets often.
        var (store, _) = NewStore();
        var keys = new List<byte[]>();
        for (int len = 0; len < 40; len++)
        {
            for (int b = 0; b < 256; b += 17)
            {
                var k = new byte[len + 1];
                k[len] = (byte)b;
                keys.Add(k);
            }
        }
        for (int i = 0; i < keys.Count; i++) store.Set(keys[i], BitConverter.GetBytes(i), 0, 0);
        Assert.Equal(keys.Count, store.Count);
        for (int i = 0; i < keys.Count; i++)
            Assert.Equal(i, BitConverter.ToInt32(store.StringOf(store.Find(keys[i]))));
        store.CheckInvariants();
    }

    [Fact]
    public void Removing_from_long_chains_keeps_the_rest_reachable()
    {
        var (store, _) = NewStore();
        const int n = 20_000;
        for (int i = 0; i < n; i++) store.Set(B("k" + i), B("v"), 0, 0);
        for (int i = 0; i < n; i += 3) Assert.True(store.Delete(B("k" + i)));
        for (int i = 0; i < n; i++)
            Assert.Equal(i % 3 != 0, store.Find(B("k" + i), touch: false) != CacheStore.NotFound);
        store.CheckInvariants();
    }

    [Fact]
    public void Freed_slots_are_reused_before_growing()
    {
        var (store, _) = NewStore();
        var handles = new List<int>();
        for (int i = 0; i < 1000; i++) handles.Add(store.Set(B("a" + i), B("v"), 0, 0));
        int max = handles.Max();
        for (int round = 0; round < 10; round++)
        {
            for (int i = 0; i < 1000; i++) store.Delete(B("a" + i));
            for (int i = 0; i < 1000; i++) Assert.True(store.Set(B("a" + i), B("v"), 0, 0) <= max);
        }
        store.CheckInvariants();
    }
}
