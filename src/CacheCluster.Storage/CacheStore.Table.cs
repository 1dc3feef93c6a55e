namespace CacheCluster.Storage;

// Hash table mechanics: hashing, chain lookup, slot allocation and growth.
public sealed partial class CacheStore
{
    // HashCode is seeded randomly per process, which keeps bucket placement unpredictable to clients.
    private static int HashKey(ReadOnlySpan<byte> key)
    {
        var hc = new HashCode();
        hc.AddBytes(key);
        return hc.ToHashCode();
    }

    private int Lookup(ReadOnlySpan<byte> key, int hash)
    {
        Entry[] entries = _entries;
        int i = _buckets[hash & _mask];
        while (i >= 0)
        {
            ref Entry e = ref entries[i];
            if (e.Hash == hash && key.SequenceEqual(e.Key)) return i;
            i = e.Next;
        }
        return NotFound;
    }

    /// <summary>Creates a new entry for a key known to be absent, links it into its bucket and the LRU head.</summary>
    private int Insert(ReadOnlySpan<byte> key, int hash)
    {
        int h = AllocateSlot();              // may grow and rehash, so take no refs before this
        ref Entry e = ref _entries[h];
        e.Key = key.ToArray();               // the only allocation a write makes
        e.Hash = hash;
        e.VolatilePos = -1;
        int b = hash & _mask;
        e.Next = _buckets[b];
        _buckets[b] = h;
        LinkHead(h);
        _count++;
        _usedBytes += key.Length + EntryOverhead;
        return h;
    }

    private int AllocateSlot()
    {
        int h = _freeHead;
        if (h >= 0)
        {
            _freeHead = _entries[h].Next;
            return h;
        }
        if (_highWater == _entries.Length) Grow();
        return _highWater++;
    }

    /// <summary>Doubles the slot array (slots keep their index) and rebuilds the bucket heads from cached hashes.</summary>
    private void Grow()
    {
        int newCap = checked(_entries.Length * 2);
        Array.Resize(ref _entries, newCap);
        _buckets = new int[newCap];
        _buckets.AsSpan().Fill(-1);
        _mask = newCap - 1;
        Entry[] entries = _entries;
        for (int i = 0; i < _highWater; i++)
        {
            ref Entry e = ref entries[i];
            if (e.Key is null) continue;
            int b = e.Hash & _mask;
            e.Next = _buckets[b];
            _buckets[b] = i;
        }
    }

    private void UnlinkBucket(int h, int hash)
    {
        int b = hash & _mask;
        int i = _buckets[b];
        if (i == h)
        {
            _buckets[b] = _entries[h].Next;
            return;
        }
        while (true)
        {
            ref Entry prev = ref _entries[i];
            if (prev.Next == h)
            {
                prev.Next = _entries[h].Next;
                return;
            }
            i = prev.Next;
        }
    }

    /// <summary>Drops all state and returns to the initial capacity.</summary>
    private void Reset()
    {
        _entries = new Entry[InitialCapacity];
        _buckets = new int[InitialCapacity];
        _buckets.AsSpan().Fill(-1);
        _mask = InitialCapacity - 1;
        _highWater = 0;
        _freeHead = -1;
        _count = 0;
        _lruHead = _lruTail = -1;
        _volatile = new int[InitialCapacity];
        _volatileCount = 0;
        _usedBytes = 0;
    }
}
