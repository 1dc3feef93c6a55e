using static CacheCluster.Storage.Tests.TestKeys;

namespace CacheCluster.Storage.Tests;

public class BasicOperationTests
{
    [Fact]
    public void Set_then_Find_returns_value_flags_and_metadata()
    {
        var (store, _) = NewStore();
        int h = store.Set(B("k"), B("v1"), 7, 0);
        Assert.Equal(h, store.Find(B("k")));
        Assert.Equal("k", S(store.KeyOf(h)));
        Assert.Equal(B("k"), store.KeyArrayOf(h));
        Assert.Equal("v1", S(store.StringOf(h)));
        Assert.Same(store.StringOf(h), store.ValueOf(h));
        Assert.Equal(ValueKind.String, store.KindOf(h));
        Assert.Equal(7u, store.FlagsOf(h));
        Assert.Equal(0, store.ExpiresAtOf(h));
        Assert.Equal(T0, store.LastAccessOf(h));
        Assert.NotEqual(0ul, store.CasOf(h));
        Assert.Equal(Size("k", 2), store.SizeOf(h));
        Assert.Equal(1, store.Count);
    }

    [Fact]
    public void Find_missing_key_returns_NotFound()
    {
        var (store, _) = NewStore();
        Assert.Equal(CacheStore.NotFound, store.Find(B("nope")));
        store.Set(B("a"), B("1"), 0, 0);
        Assert.Equal(CacheStore.NotFound, store.Find(B("b")));
        Assert.Equal(CacheStore.NotFound, store.Find(ReadOnlySpan<byte>.Empty));
    }

    [Fact]
    public void Empty_key_and_empty_value_are_ordinary_entries()
    {
        var (store, _) = NewStore();
        int h = store.Set(ReadOnlySpan<byte>.Empty, [], 0, 0);
        Assert.Equal(h, store.Find(ReadOnlySpan<byte>.Empty));
        Assert.Empty(store.StringOf(h));
        Assert.Equal(CacheStore.EntryOverhead, store.UsedBytes);
        Assert.True(store.Delete(ReadOnlySpan<byte>.Empty));
        Assert.Equal(0, store.UsedBytes);
    }

    [Fact]
    public void Set_on_existing_key_replaces_in_place_and_keeps_handle()
    {
        var (store, _) = NewStore();
        int h = store.Set(B("k"), B("one"), 1, T0 + 5000);
        ulong cas = store.CasOf(h);
        int h2 = store.Set(B("k"), B("three"), 2, 0);
        Assert.Equal(h, h2);
        Assert.Equal(1, store.Count);
        Assert.Equal("three", S(store.StringOf(h)));
        Assert.Equal(2u, store.FlagsOf(h));
        Assert.Equal(0, store.ExpiresAtOf(h));
        Assert.Equal(0, store.VolatileCount);
        Assert.True(store.CasOf(h) > cas);
        Assert.Equal(Size("k", 5), store.UsedBytes);
    }

    [Fact]
    public void Set_stores_the_callers_array_and_copies_the_key()
    {
        var (store, _) = NewStore();
        byte[] key = B("key");
        byte[] value = B("value");
        int h = store.Set(key, value, 0, 0);
        key[0] = (byte)'X';                           // the caller may reuse its key buffer
        Assert.Equal("key", S(store.KeyOf(h)));
        Assert.Same(value, store.StringOf(h));        // values are immutable and shared, not copied
    }

    [Fact]
    public void ReplaceValue_keeps_key_flags_expiry_and_changes_cas_and_size()
    {
        var (store, _) = NewStore();
        int h = store.Set(B("k"), B("ab"), 9, T0 + 1000);
        ulong cas = store.CasOf(h);
        store.ReplaceValue(h, B("abcdef"));
        Assert.Equal("abcdef", S(store.StringOf(h)));
        Assert.Equal(9u, store.FlagsOf(h));
        Assert.Equal(T0 + 1000, store.ExpiresAtOf(h));
        Assert.True(store.CasOf(h) > cas);
        Assert.Equal(Size("k", 6), store.UsedBytes);
        Assert.Equal(Size("k", 6), store.SizeOf(h));
    }

    [Fact]
    public void General_Set_holds_any_object_and_accounts_given_size()
    {
        var (store, _) = NewStore();
        var payload = new List<int> { 1, 2, 3 };
        int h = store.Set(B("obj"), ValueKind.String, payload, 100, 3, 0);
        Assert.Same(payload, store.ValueOf(h));
        Assert.Equal(100, store.ValueBytesOf(h));
        Assert.Equal(Size("obj", 100), store.UsedBytes);
        store.ValueChanged(h, 250);
        Assert.Equal(Size("obj", 250), store.UsedBytes);
    }

    [Fact]
    public void SetFlags_changes_only_flags()
    {
        var (store, _) = NewStore();
        int h = store.Set(B("k"), B("v"), 1, 0);
        ulong cas = store.CasOf(h);
        store.SetFlags(h, 0xDEADBEEF);
        Assert.Equal(0xDEADBEEFu, store.FlagsOf(h));
        Assert.Equal(cas, store.CasOf(h));
        Assert.Equal("v", S(store.StringOf(h)));
    }

    [Fact]
    public void Delete_removes_and_reports_whether_something_was_there()
    {
        var (store, _) = NewStore();
        store.Set(B("a"), B("1"), 0, 0);
        store.Set(B("b"), B("2"), 0, 0);
        Assert.True(store.Delete(B("a")));
        Assert.False(store.Delete(B("a")));
        Assert.False(store.Delete(B("zzz")));
        Assert.Equal(CacheStore.NotFound, store.Find(B("a")));
        Assert.NotEqual(CacheStore.NotFound, store.Find(B("b")));
        Assert.Equal(1, store.Count);
    }

    [Fact]
    public void Remove_by_handle_then_slot_is_reused()
    {
        var (store, _) = NewStore();
        int a = store.Set(B("a"), B("1"), 0, 0);
        store.Set(B("b"), B("2"), 0, 0);
        store.Remove(a);
        Assert.False(store.IsLive(a));
        Assert.Throws<InvalidOperationException>(() => store.Remove(a));
        int c = store.Set(B("c"), B("3"), 0, 0);
        Assert.Equal(a, c);
        Assert.Equal("c", S(store.KeyOf(c)));
        store.CheckInvariants();
    }

    [Fact]
    public void Clear_empties_everything_but_counters_and_cas_continue()
    {
        var (store, clock) = NewStore();
        for (int i = 0; i < 1000; i++) store.Set(B("k" + i), B("v"), 0, i % 2 == 0 ? T0 + 10 : 0);
        clock.Advance(10);
        Assert.Equal(CacheStore.NotFound, store.Find(B("k0")));
        ulong lastCas = store.CasOf(store.Find(B("k1")));
        store.Clear();
        Assert.Equal(0, store.Count);
        Assert.Equal(0, store.VolatileCount);
        Assert.Equal(0, store.UsedBytes);
        Assert.Equal(1, store.ExpiredKeys);
        Assert.Equal(CacheStore.NotFound, store.Find(B("k1")));
        Assert.Equal(CacheStore.NotFound, store.RandomEntry());
        int h = store.Set(B("k1"), B("v"), 0, 0);
        Assert.True(store.CasOf(h) > lastCas);
        store.CheckInvariants();
    }

    [Fact]
    public void NowMs_passes_the_clock_through()
    {
        var (store, clock) = NewStore();
        Assert.Equal(T0, store.NowMs);
        clock.Advance(123);
        Assert.Equal(T0 + 123, store.NowMs);
    }

    [Fact]
    public void Negative_memory_budget_is_rejected()
    {
        var (store, _) = NewStore();
        Assert.Throws<ArgumentOutOfRangeException>(() => store.MaxMemoryBytes = -1);
    }
}
