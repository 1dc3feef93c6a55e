namespace CacheCluster.Storage;

// Memory budget enforcement and active expiry, modelled on Redis's performEvictions / activeExpireCycle.
public sealed partial class CacheStore
{
    private const int EvictionSamples = 16;      // volatile-lru candidates per pick
    private const int TailProbe = 16;            // LRU-tail entries checked first for an exact volatile-lru pick
    private const int ExpireSamples = 20;        // Redis ACTIVE_EXPIRE_CYCLE_KEYS_PER_LOOP

    public bool OverBudget => _maxMemoryBytes > 0 && _usedBytes > _maxMemoryBytes;

    /// <summary>
    /// Evicts by <see cref="Policy"/> until within budget. Returns false if still over budget
    /// (nothing evictable left, or NoEviction), which the caller turns into an OOM error.
    /// </summary>
    public bool EnsureMemory()
    {
        if (!OverBudget) return true;
        switch (Policy)
        {
            case EvictionPolicy.AllKeysLru:
                while (OverBudget && _lruTail >= 0) Evict(_lruTail);
                break;
            case EvictionPolicy.VolatileLru:
                while (OverBudget && _volatileCount > 0) Evict(PickVolatileVictim());
                break;
        }
        return !OverBudget;
    }

    private void Evict(int h)
    {
        Remove(h);
        _evictedKeys++;
    }

    /// <summary>
    /// Least recently used entry among those with an expiry. If one sits within the last few LRU-tail
    /// slots it is exactly the LRU volatile entry; otherwise sample the volatile index (all of it when small).
    /// </summary>
    private int PickVolatileVictim()
    {
        int i = _lruTail;
        for (int k = 0; k < TailProbe && i >= 0; k++)
        {
            ref Entry e = ref _entries[i];
            if (e.VolatilePos >= 0) return i;
            i = e.LruPrev;
        }

        int n = _volatileCount;
        int best = _volatile[0];
        long bestAccess = _entries[best].LastAccess;
        bool all = n <= EvictionSamples;
        int samples = all ? n : EvictionSamples;
        for (int k = 0; k < samples; k++)
        {
            int h = _volatile[all ? k : _rng.Next(n)];
            long access = _entries[h].LastAccess;
            if (access < bestAccess)
            {
                best = h;
                bestAccess = access;
            }
        }
        return best;
    }

    /// <summary>
    /// Samples entries with an expiry and reclaims expired ones; another round runs only while more than
    /// 25% of a sample was expired (so the cost tracks how much garbage there is). Returns keys removed.
    /// </summary>
    public int ActiveExpireCycle(int maxRounds = 16)
    {
        long now = _clock.NowMs;
        int removed = 0;
        for (int round = 0; round < maxRounds && _volatileCount > 0; round++)
        {
            int sampled, expired = 0;
            if (_volatileCount <= ExpireSamples)
            {
                // Small index: check all of it. Walking down keeps swap-removal from skipping anyone.
                sampled = _volatileCount;
                for (int pos = _volatileCount - 1; pos >= 0; pos--)
                {
                    int h = _volatile[pos];
                    if (IsExpiredAt(ref _entries[h], now)) { Expire(h); expired++; }
                }
            }
            else
            {
                sampled = ExpireSamples;
                for (int k = 0; k < ExpireSamples && _volatileCount > 0; k++)
                {
                    int h = _volatile[_rng.Next(_volatileCount)];
                    if (IsExpiredAt(ref _entries[h], now)) { Expire(h); expired++; }
                }
            }
            removed += expired;
            if (expired * 4 <= sampled) break;
        }
        return removed;
    }
}

// Replay support: a journal is replayed as written, expired or not, and swept once at the end
// (an entry whose first TTL passed may have been made persistent by a later event).
public sealed partial class CacheStore
{
    /// <summary>Looks a key up without expiring it or touching it; NotFound if absent.</summary>
    public int FindIncludingExpired(ReadOnlySpan<byte> key) => Lookup(key, HashKey(key));

    /// <summary>Removes every entry whose expiry has passed (not reported to <see cref="Changes"/>). Returns how many.</summary>
    public int RemoveExpired()
    {
        long now = _clock.NowMs;
        int removed = 0;
        for (int pos = _volatileCount - 1; pos >= 0; pos--)
        {
            if (pos >= _volatileCount) continue;
            int h = _volatile[pos];
            if (IsExpiredAt(ref _entries[h], now)) { Expire(h); removed++; }
        }
        return removed;
    }
}
