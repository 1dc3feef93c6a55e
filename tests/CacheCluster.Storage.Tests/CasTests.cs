using static CacheCluster.Storage.Tests.TestKeys;

namespace CacheCluster.Storage.Tests;

public class CasTests
{
    [Fact]
    public void Cas_is_nonzero_and_strictly_increasing_across_mutations()
    {
        var (store, _) = NewStore();
        ulong last = 0;
        for (int i = 0; i < 100; i++)
        {
            int h = store.Set(B("k" + (i % 7)), B("v"), 0, 0);
            Assert.True(store.CasOf(h) > last);
            last = store.CasOf(h);
            store.ReplaceValue(h, B("w"));
            Assert.True(store.CasOf(h) > last);
            last = store.CasOf(h);
        }
    }

    [Fact]
    public void Cas_is_never_reused_after_delete_and_readd()
    {
        var (store, _) = NewStore();
        var seen = new HashSet<ulong>();
        for (int i = 0; i < 1000; i++)
        {
            int h = store.Set(B("same"), B("v"), 0, 0);
            Assert.True(seen.Add(store.CasOf(h)));
            store.Delete(B("same"));
        }
    }

    [Fact]
    public void ObserveCas_moves_the_counter_past_external_values()
    {
        var (store, _) = NewStore();
        store.ObserveCas(1000);
        int h = store.Set(B("a"), B("v"), 0, 0);
        Assert.Equal(1001ul, store.CasOf(h));
        store.ObserveCas(10);                           // lower values do not move it back
        Assert.Equal(1002ul, store.CasOf(store.Set(B("b"), B("v"), 0, 0)));
    }

    [Fact]
    public void Explicit_cas_is_kept_and_never_reissued()
    {
        var (store, _) = NewStore();
        int h = store.Set(B("restored"), ValueKind.String, B("v"), 1, 0, 0, cas: 5000);
        Assert.Equal(5000ul, store.CasOf(h));
        int h2 = store.Set(B("fresh"), B("v"), 0, 0);
        Assert.Equal(5001ul, store.CasOf(h2));
    }

    [Fact]
    public void Expiry_and_flag_changes_keep_cas()
    {
        var (store, _) = NewStore();
        int h = store.Set(B("k"), B("v"), 0, 0);
        ulong cas = store.CasOf(h);
        store.SetExpiry(h, T0 + 1000);
        store.SetFlags(h, 3);
        store.Find(B("k"));
        Assert.Equal(cas, store.CasOf(h));
    }
}
