using static CacheCluster.Storage.Tests.TestKeys;

namespace CacheCluster.Storage.Tests;

public class ScanTests
{
    private static List<string> FullWalk(CacheStore store, int count, Action<int>? afterEachCall = null)
    {
        var keys = new List<string>();
        var handles = new List<int>();
        long cursor = 0;
        int calls = 0;
        do
        {
            handles.Clear();
            cursor = store.Scan(cursor, count, handles);
            Assert.True(handles.Count <= count || count < 1);
            foreach (int h in handles) keys.Add(S(store.KeyOf(h)));
            afterEachCall?.Invoke(calls++);
        } while (cursor != 0);
        return keys;
    }

    [Fact]
    public void Scan_of_empty_store_completes_at_once()
    {
        var (store, _) = NewStore();
        var handles = new List<int>();
        Assert.Equal(0, store.Scan(0, 10, handles));
        Assert.Empty(handles);
    }

    [Fact]
    public void Full_walk_returns_every_key_exactly_once()
    {
        var (store, _) = NewStore();
        for (int i = 0; i < 5000; i++) store.Set(B("k" + i), B("v"), 0, 0);
        for (int i = 0; i < 5000; i += 4) store.Delete(B("k" + i));
        var keys = FullWalk(store, 10);
        Assert.Equal(3750, keys.Count);
        Assert.Equal(3750, keys.Distinct().Count());
    }

    [Fact]
    public void Count_bounds_each_page_and_large_count_takes_all()
    {
        var (store, _) = NewStore();
        for (int i = 0; i < 100; i++) store.Set(B("k" + i), B("v"), 0, 0);
        var handles = new List<int>();
        long cursor = store.Scan(0, 7, handles);
        Assert.Equal(7, handles.Count);
        Assert.NotEqual(0, cursor);
        handles.Clear();
        Assert.Equal(0, store.Scan(0, int.MaxValue, handles));
        Assert.Equal(100, handles.Count);
    }

    [Fact]
    public void Walk_is_exactly_once_despite_deletes_and_inserts_during_it()
    {
        var (store, _) = NewStore();
        const int n = 2000;
        for (int i = 0; i < n; i++) store.Set(B("old" + i), B("v"), 0, 0);
        // Odd keys are deleted during the walk; even ones stay for the whole walk.
        int nextNew = 0;
        var keys = FullWalk(store, 25, call =>
        {
            for (int j = 0; j < 10; j++)
            {
                int victim = 2 * (call * 10 + j) + 1;
                if (victim < n) store.Delete(B("old" + victim));
            }
            // Inserts reuse freed slots and, later, grow the arrays (slower than the cursor, so the walk ends).
            for (int j = 0; j < 15; j++) store.Set(B("new" + nextNew++), B("v"), 0, 0);
        });

        var counts = keys.GroupBy(k => k).ToDictionary(g => g.Key, g => g.Count());
        Assert.All(counts, kv => Assert.Equal(1, kv.Value));               // nothing twice, new or old
        for (int i = 0; i < n; i += 2) Assert.True(counts.ContainsKey("old" + i), "missed old" + i);
        Assert.True(store.Count > 2048, "the walk should have spanned an array growth");
        store.CheckInvariants();
    }

    [Fact]
    public void Scan_reclaims_expired_entries_and_skips_them()
    {
        var (store, clock) = NewStore();
        for (int i = 0; i < 100; i++) store.Set(B("k" + i), B("v"), 0, i % 2 == 0 ? T0 + 10 : 0);
        clock.Advance(10);
        var keys = FullWalk(store, 10);
        Assert.Equal(50, keys.Count);
        Assert.All(keys, k => Assert.True(int.Parse(k[1..]) % 2 == 1));
        Assert.Equal(50, store.ExpiredKeys);
        Assert.Equal(50, store.Count);
    }

    [Fact]
    public void Stale_cursor_after_clear_ends_the_walk()
    {
        var (store, _) = NewStore();
        for (int i = 0; i < 1000; i++) store.Set(B("k" + i), B("v"), 0, 0);
        var handles = new List<int>();
        long cursor = store.Scan(0, 900, handles);
        store.Clear();
        handles.Clear();
        Assert.Equal(0, store.Scan(cursor, 10, handles));
        Assert.Empty(handles);
        Assert.Equal(0, store.Scan(-5, 10, handles));
    }
}
