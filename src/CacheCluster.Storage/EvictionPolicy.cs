namespace CacheCluster.Storage;

/// <summary>What <see cref="CacheStore.EnsureMemory"/> may evict when over the memory budget (Redis maxmemory-policy).</summary>
public enum EvictionPolicy
{
    /// <summary>Evict the least recently used entry of all (exact LRU).</summary>
    AllKeysLru,
    /// <summary>Evict least recently used entries among those with an expiry only.</summary>
    VolatileLru,
    /// <summary>Never evict; writes fail with OOM once over budget.</summary>
    NoEviction,
}
