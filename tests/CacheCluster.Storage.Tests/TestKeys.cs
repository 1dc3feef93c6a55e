using System.Text;
using CacheCluster.Core;

namespace CacheCluster.Storage.Tests;

internal static class TestKeys
{
    public const long T0 = 1_700_000_000_000;

    public static byte[] B(string s) => Encoding.UTF8.GetBytes(s);
    public static string S(ReadOnlySpan<byte> b) => Encoding.UTF8.GetString(b);

    public static (CacheStore Store, ManualClock Clock) NewStore(long maxMemory = 0, EvictionPolicy policy = EvictionPolicy.AllKeysLru, int seed = 42)
    {
        var clock = new ManualClock(T0);
        return (new CacheStore(clock, maxMemory, policy, seed), clock);
    }

    /// <summary>Accounted size of a string entry.</summary>
    public static long Size(string key, int valueLength) => Encoding.UTF8.GetByteCount(key) + valueLength + CacheStore.EntryOverhead;
}
