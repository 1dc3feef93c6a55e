using CacheCluster.Core;
using static CacheCluster.Storage.Tests.Executor.ShardHarness;

namespace CacheCluster.Storage.Tests.Executor;

/// <summary>CONFIGUREMEMORY, OOM under noeviction / volatile-lru, and eviction driven by executor writes.</summary>
public class MemoryLimitTests
{
    // every key here is 2 bytes ("k0".."k9") with a 10-byte value
    private static readonly long Entry = 2 + 10 + CacheStore.EntryOverhead;
    private const string Ten = "0123456789";

    private static Reply Configure(ShardHarness s, long maxBytes, EvictionPolicy policy) =>
        s.Run(new Command { Op = Op.ConfigureMemory, Int1 = maxBytes, Int2 = (long)policy });

    [Fact]
    public void Configure_memory_sets_budget_and_policy()
    {
        var s = new ShardHarness();
        R.Ok(Configure(s, 12_345, EvictionPolicy.NoEviction));
        Assert.Equal(12_345, s.Store.MaxMemoryBytes);
        Assert.Equal(EvictionPolicy.NoEviction, s.Store.Policy);
        R.Ok(Configure(s, 0, EvictionPolicy.VolatileLru));
        Assert.Equal(0, s.Store.MaxMemoryBytes);
        Assert.Equal(EvictionPolicy.VolatileLru, s.Store.Policy);
    }

    /// <summary>A noeviction shard with room for 3 entries that already holds 4 (the 4th write overshot the budget).</summary>
    private static ShardHarness OverBudgetNoEviction()
    {
        var s = new ShardHarness();
        R.Ok(Configure(s, Entry * 3, EvictionPolicy.NoEviction));
        for (int i = 0; i < 4; i++) R.Ok(s.Set("k" + i, Ten));   // the check runs before a write, so the 4th still lands
        Assert.True(s.Store.OverBudget);
        return s;
    }

    [Fact]
    public void Noeviction_refuses_set_once_over_budget_but_del_still_works()
    {
        var s = OverBudgetNoEviction();
        R.Error(ErrorCode.OutOfMemory, s.Set("k4", Ten));
        Assert.False(s.Has("k4"));
        R.Error(ErrorCode.OutOfMemory, s.Set("k0", "small")); // even overwrites are denied
        R.Bulk(Ten, s.Get("k0"));                            // reads still work
        R.Int(1, s.Run(Op.Del, "k3"));
        Assert.False(s.Store.OverBudget);
        R.Ok(s.Set("k4", Ten));
        Assert.Equal(0, s.Store.EvictedKeys);
        Assert.Equal(4, s.Store.Count);
    }

    public static TheoryData<string> DenyOomOps => new() { "Set", "SetNxCount", "IncrBy", "IncrByFloat", "Append", "SetRange", "Restore", "CopyLocal" };

    [Theory]
    [MemberData(nameof(DenyOomOps))]
    public void Noeviction_refuses_every_command_that_may_grow_memory(string opName)
    {
        var s = OverBudgetNoEviction();
        var op = Enum.Parse<Op>(opName);
        var c = new Command { Op = op, Key = B("new"), Key2 = B("copy"), Value = B("1"), Int1 = 1 };
        if (op == Op.CopyLocal) c.Key = B("k0");
        if (op == Op.Restore) c.Extra = new EntrySnapshot { Value = B("x") };
        R.Error(ErrorCode.OutOfMemory, s.Run(c));
        Assert.Equal(4, s.Store.Count);
    }

    [Fact]
    public void Noeviction_still_runs_commands_that_cannot_grow_memory()
    {
        var s = OverBudgetNoEviction();
        R.Bulk(Ten, s.Get("k0"));
        R.Int(1, s.Run(Op.Exists, "k0"));
        R.Int(1, s.Run(Op.Expire, "k0", s.Now + 10_000));
        R.Int(1, s.Run(Op.Persist, "k0"));
        R.Int(-1, s.Run(Op.Ttl, "k0"));
        R.Bulk(Ten, s.Run(Op.GetEx, "k0"));
        R.Ok(s.Run(new Command { Op = Op.RenameLocal, Key = B("k0"), Key2 = B("k9") }));
        R.Bulk(Ten, s.Run(Op.GetDel, "k9"));
        Assert.Equal(3, s.Store.Count);
        Assert.Equal(0, s.Store.EvictedKeys);
    }

    [Fact]
    public void Volatile_lru_without_volatile_keys_answers_oom()
    {
        var s = new ShardHarness();
        Configure(s, Entry * 2, EvictionPolicy.VolatileLru);
        s.Set("k0", Ten);
        s.Set("k1", Ten);
        s.Set("k2", Ten);
        R.Error(ErrorCode.OutOfMemory, s.Set("k3", Ten));
        Assert.Equal(3, s.Store.Count);
    }

    [Fact]
    public void Volatile_lru_evicts_only_keys_with_a_ttl()
    {
        var s = new ShardHarness();
        Configure(s, Entry * 3, EvictionPolicy.VolatileLru);
        s.Set("k0", Ten);
        s.SetWithTtl("k1", Ten, 100_000);
        s.Set("k2", Ten);
        s.Set("k3", Ten);
        R.Ok(s.Set("k4", Ten));
        Assert.False(s.Has("k1"));
        Assert.True(s.Has("k0"));
        Assert.Equal(1, s.Store.EvictedKeys);
    }

    [Fact]
    public void Allkeys_lru_evicts_the_least_recently_used_key_before_a_write()
    {
        var s = new ShardHarness();
        Configure(s, Entry * 3, EvictionPolicy.AllKeysLru);
        for (int i = 0; i < 3; i++) R.Ok(s.Set("k" + i, Ten));
        s.Clock.Advance(1);
        R.Bulk(Ten, s.Get("k0"));         // k0 becomes the most recently used
        R.Ok(s.Set("k3", Ten));           // goes over the budget; nothing evicted yet
        Assert.Equal(4, s.Store.Count);
        R.Ok(s.Set("k4", Ten));           // evicts k1, the least recently used, before writing
        Assert.True(s.Has("k0"));
        Assert.False(s.Has("k1"));
        Assert.True(s.Has("k2"));
        Assert.Equal(1, s.Store.EvictedKeys);
        // any command evicts first while over budget (Redis's processCommand): KEYS drops k2, the next LRU
        Assert.Equal(["k0", "k3", "k4"], R.Keys(s.Whole(Op.Keys, pattern: "*")).Order(StringComparer.Ordinal).ToArray());
        Assert.Equal(2, s.Store.EvictedKeys);
    }

    [Fact]
    public void Allkeys_lru_never_answers_oom_while_something_can_be_evicted()
    {
        var s = new ShardHarness();
        Configure(s, Entry * 5, EvictionPolicy.AllKeysLru);
        for (int i = 0; i < 200; i++)
        {
            R.Ok(s.Set("k" + (i % 10), Ten + i));
            R.Int(i + 1, s.Run(Op.IncrBy, "n", 1));
        }
        Assert.True(s.Store.UsedBytes <= Entry * 5 + 200);
        Assert.True(s.Store.EvictedKeys > 0);
    }

    [Fact]
    public void Allkeys_lru_evicts_before_a_delete_too()
    {
        var s = new ShardHarness();
        Configure(s, Entry * 3, EvictionPolicy.AllKeysLru);
        for (int i = 0; i < 4; i++) s.Set("k" + i, Ten);
        R.Int(0, s.Run(Op.Del, "absent"));
        Assert.False(s.Store.OverBudget);
        Assert.False(s.Has("k0"));
        Assert.Equal(1, s.Store.EvictedKeys);
    }

    [Fact]
    public void Lowering_the_budget_evicts_at_the_next_write()
    {
        var s = new ShardHarness();
        for (int i = 0; i < 10; i++) s.Set("k" + i, Ten);
        R.Ok(Configure(s, Entry * 4, EvictionPolicy.AllKeysLru));
        R.Ok(s.Set("k0", Ten));
        Assert.True(s.Store.Count <= 5);
        Assert.True(s.Has("k0"));
        Assert.True(s.Has("k9"));
        Assert.False(s.Has("k1"));
    }

    [Fact]
    public void Allkeys_lru_evicts_before_any_command_even_a_read()
    {
        // Redis runs performEvictions() in processCommand before every command when maxmemory is set,
        // so a read that follows an overshooting write sees the least recently used key already gone.
        var s = new ShardHarness();
        Configure(s, Entry * 3, EvictionPolicy.AllKeysLru);
        for (int i = 0; i < 4; i++) s.Set("k" + i, Ten);
        R.Nil(s.Get("k0"));
        Assert.Equal(1, s.Store.EvictedKeys);
    }
}
