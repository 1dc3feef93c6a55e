using System.Text;
using CacheCluster.Core;

namespace CacheCluster.Storage.Tests.Executor;

/// <summary>
/// One shard as the actor sees it: a real <see cref="CacheStore"/> on a <see cref="ManualClock"/> and the
/// <see cref="CommandExecutor"/> over it. Every command is followed by the store's full invariant check.
/// </summary>
internal sealed class ShardHarness
{
    public const long T0 = 1_700_000_000_000;

    public readonly ManualClock Clock = new(T0);
    public readonly CacheStore Store;
    public readonly CommandExecutor Exec;

    public ShardHarness(long maxMemory = 0, EvictionPolicy policy = EvictionPolicy.AllKeysLru)
    {
        Store = new CacheStore(Clock, maxMemory, policy, randomSeed: 7);
        Exec = new CommandExecutor(Store);
    }

    public long Now => Clock.NowMs;

    public static byte[] B(string s) => Encoding.Latin1.GetBytes(s);
    public static string S(ReadOnlySpan<byte> b) => Encoding.Latin1.GetString(b);

    public Reply Run(Command c)
    {
        Reply r = Exec.Execute(ref c);
        Store.CheckInvariants();
        return r;
    }

    public Reply Run(Op op, string key, long int1 = 0, long int2 = 0, CommandOptions options = CommandOptions.None) =>
        Run(new Command { Op = op, Key = B(key), Int1 = int1, Int2 = int2, Options = options });

    public Reply RunValue(Op op, string key, string value, long int1 = 0, CommandOptions options = CommandOptions.None) =>
        Run(new Command { Op = op, Key = B(key), Value = B(value), Int1 = int1, Options = options });

    public Reply Set(string key, string value, CommandOptions options = CommandOptions.None, long expiresAt = 0, uint flags = 0) =>
        Run(new Command { Op = Op.Set, Key = B(key), Value = B(value), Options = options, Int1 = expiresAt, Flags = flags });

    /// <summary>SET key value PXAT now+ttlMs.</summary>
    public Reply SetWithTtl(string key, string value, long ttlMs) =>
        Set(key, value, CommandOptions.HasExpiry, Now + ttlMs);

    public Reply Get(string key) => Run(Op.Get, key);

    public Reply Whole(Op op, long int1 = 0, long int2 = 0, string? pattern = null) =>
        Run(new Command { Op = op, Int1 = int1, Int2 = int2, Pattern = pattern is null ? default : B(pattern) });

    public long Pttl(string key) => Run(Op.Ttl, key, (long)TtlMode.Milliseconds).Integer;

    /// <summary>The stored value without touching LRU or hit/miss counters; null when absent.</summary>
    public string? Peek(string key)
    {
        int h = Store.Find(B(key), touch: false);
        return h < 0 ? null : S(Store.StringOf(h));
    }

    /// <summary>Absolute expiry of a key (0 = none) without side effects on counters.</summary>
    public long ExpiresAt(string key)
    {
        int h = Store.Find(B(key), touch: false);
        Assert.True(h >= 0, $"key '{key}' should exist");
        return Store.ExpiresAtOf(h);
    }

    public bool Has(string key) => Store.Find(B(key), touch: false) >= 0;

    /// <summary>Plants an entry of a non-string kind (a stand-in for a future list/hash) to exercise WRONGTYPE paths.</summary>
    public void PutNonString(string key)
    {
        Store.Set(B(key), (ValueKind)1, new object(), 8, 0, 0);
    }

    public ShardStats Stats()
    {
        Reply r = Whole(Op.ShardStats);
        Assert.Equal(ReplyKind.Stats, r.Kind);
        return Assert.IsType<ShardStats>(r.Extra);
    }
}

internal static class R
{
    public static void Ok(Reply r)
    {
        Assert.True(r.Kind == ReplyKind.Ok, Describe(r));
    }

    public static void Nil(Reply r)
    {
        Assert.True(r.Kind == ReplyKind.Nil, Describe(r));
    }

    public static void Int(long expected, Reply r)
    {
        Assert.True(r.Kind == ReplyKind.Integer, Describe(r));
        Assert.Equal(expected, r.Integer);
    }

    public static void Bulk(string expected, Reply r)
    {
        Assert.True(r.Kind == ReplyKind.Bulk, Describe(r));
        Assert.Equal(expected, ShardHarness.S(r.Bulk.Span));
    }

    public static void Status(string expected, Reply r)
    {
        Assert.True(r.Kind == ReplyKind.Simple, Describe(r));
        Assert.Equal(expected, r.Text);
    }

    public static void Error(ErrorCode code, Reply r)
    {
        Assert.True(r.Kind == ReplyKind.Error, Describe(r));
        Assert.Equal(code, r.Error);
    }

    public static List<string> Keys(Reply r, ReplyKind kind = ReplyKind.Keys)
    {
        Assert.True(r.Kind == kind, Describe(r));
        return Assert.IsType<List<byte[]>>(r.Extra).Select(k => ShardHarness.S(k)).ToList();
    }

    public static string Describe(Reply r) => r.Kind switch
    {
        ReplyKind.Bulk => $"Bulk \"{ShardHarness.S(r.Bulk.Span)}\"",
        ReplyKind.Integer => $"Integer {r.Integer}",
        ReplyKind.Error => $"Error {r.Error} {r.Text}",
        ReplyKind.Simple => $"Simple {r.Text}",
        _ => r.Kind.ToString(),
    };
}
