namespace CacheCluster.Storage;

// Full structural self-check for tests (O(n)); throws on the first inconsistency.
public sealed partial class CacheStore
{
    internal void CheckInvariants()
    {
        int live = 0;
        long bytes = 0;
        int volatileSeen = 0;
        for (int i = 0; i < _highWater; i++)
        {
            ref Entry e = ref _entries[i];
            if (e.Key is null) continue;
            live++;
            bytes += e.Key.Length + e.ValueBytes + EntryOverhead;
            Require(e.Cas != 0 && e.Cas < _nextCas, "cas out of range");
            Require(e.Hash == HashKey(e.Key), "cached hash");
            Require(Lookup(e.Key, e.Hash) == i, "key not reachable through its bucket");
            if (e.ExpiresAt != 0)
            {
                volatileSeen++;
                Require(e.VolatilePos >= 0 && e.VolatilePos < _volatileCount && _volatile[e.VolatilePos] == i, "volatile index");
            }
            else
            {
                Require(e.VolatilePos == -1, "persistent entry in volatile index");
            }
        }
        Require(live == _count, "count");
        Require(bytes == _usedBytes, "used bytes");
        Require(volatileSeen == _volatileCount, "volatile count");

        int walked = 0, prev = -1;
        for (int i = _lruHead; i >= 0; i = _entries[i].LruNext)
        {
            Require(_entries[i].Key is not null && _entries[i].LruPrev == prev, "lru links");
            prev = i;
            Require(++walked <= _count, "lru cycle");
        }
        Require(walked == _count && prev == _lruTail, "lru length/tail");

        int free = 0;
        for (int i = _freeHead; i >= 0; i = _entries[i].Next)
        {
            Require(_entries[i].Key is null, "live slot on free list");
            Require(++free <= _highWater, "free-list cycle");
        }
        Require(free + _count == _highWater, "slots leaked");
    }

    private static void Require(bool ok, string what)
    {
        if (!ok) throw new InvalidOperationException("CacheStore invariant violated: " + what);
    }
}

public sealed partial class CacheStore
{
    /// <summary>
    /// Whether the store's structure is intact (O(n)). A shard that failed mid-command uses this
    /// to decide whether its data can be kept across the restart.
    /// </summary>
    public bool IsConsistent(out string? problem)
    {
        try
        {
            CheckInvariants();
            problem = null;
            return true;
        }
        catch (Exception ex)
        {
            problem = ex.Message;
            return false;
        }
    }
}
