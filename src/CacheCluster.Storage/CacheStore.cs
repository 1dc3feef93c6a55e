using CacheCluster.Core;

namespace CacheCluster.Storage;

/// <summary>
/// A single shard's key space: an open hash map with exact LRU order, TTLs, a memory budget and CAS
/// versions. Entries live in one array of structs addressed by int handle; hash chains, the LRU list,
/// the free list and the volatile (has-expiry) index are all int links, so steady-state operations
/// allocate nothing (inserting a key copies the key once).
/// Not thread-safe: exactly one owner thread (the shard actor) at a time.
/// </summary>
public sealed partial class CacheStore
{
    public const int NotFound = -1;

    /// <summary>
    /// Fixed bytes accounted per entry on top of key and value lengths: the 80-byte slot struct,
    /// a 4-byte bucket head (load factor ≤ 1) and the 24-byte array headers of key and value (x64).
    /// </summary>
    public const int EntryOverhead = 80 + 4 + 24 + 24;

    private const int InitialCapacity = 16;

    private readonly IClock _clock;
    private FastRandom _rng;                 // not readonly: it is a mutable struct

    private Entry[] _entries = null!;
    private int[] _buckets = null!;          // head handle per bucket, -1 = empty; length == _entries.Length
    private int _mask;
    private int _highWater;                  // slots [0, _highWater) have been handed out since the last Clear
    private int _freeHead;                   // free-list of removed slots, linked through Entry.Next
    private int _count;

    private int _lruHead;                    // most recently used
    private int _lruTail;                    // eviction candidate

    private int[] _volatile = null!;         // handles of entries with an expiry, swap-remove
    private int _volatileCount;

    private long _usedBytes;
    private long _maxMemoryBytes;
    private ulong _nextCas = 1;
    private ulong _casStep = 1;              // stores of one node hand out disjoint CAS series
    private long _evictedKeys;
    private long _expiredKeys;

    public CacheStore(IClock clock, long maxMemoryBytes = 0, EvictionPolicy policy = EvictionPolicy.AllKeysLru, int randomSeed = 0)
        : this(clock, maxMemoryBytes, policy, randomSeed, casSeries: 0, casSeriesCount: 1)
    {
    }

    /// <summary>
    /// A store whose CAS values are <c>casSeries + 1 + k * casSeriesCount</c>: the shards of a node
    /// pass their index and the shard count, so a CAS is unique node-wide, as memcached's are.
    /// </summary>
    public CacheStore(IClock clock, long maxMemoryBytes, EvictionPolicy policy, int randomSeed, int casSeries, int casSeriesCount)
    {
        if (casSeriesCount < 1 || casSeries < 0 || casSeries >= casSeriesCount) throw new ArgumentOutOfRangeException(nameof(casSeries));
        _nextCas = (ulong)casSeries + 1;
        _casStep = (ulong)casSeriesCount;
        _clock = clock ?? throw new ArgumentNullException(nameof(clock));
        MaxMemoryBytes = maxMemoryBytes;
        Policy = policy;
        _rng = new FastRandom(randomSeed);
        Reset();
    }

    /// <summary>Memory budget in bytes; 0 = unlimited. Changing it takes effect at the next <see cref="EnsureMemory"/>.</summary>
    public long MaxMemoryBytes
    {
        get => _maxMemoryBytes;
        set => _maxMemoryBytes = value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(value));
    }

    public EvictionPolicy Policy { get; set; }

    /// <summary>Who hears about changes that must be persisted; null when nothing is persisted (or while replaying).</summary>
    public IStoreChangeSink? Changes { get; set; }

    /// <summary>The next CAS this store would hand out (a snapshot records it).</summary>
    public ulong NextCas => _nextCas;
    public int Count => _count;
    public int VolatileCount => _volatileCount;
    public long UsedBytes => _usedBytes;
    public long EvictedKeys => _evictedKeys;
    public long ExpiredKeys => _expiredKeys;
    public long NowMs => _clock.NowMs;

    /// <summary>
    /// Looks a key up. A logically expired entry is removed here (lazy expiry) and reported missing.
    /// <paramref name="touch"/> marks the entry most recently used; introspection passes false.
    /// </summary>
    public int Find(ReadOnlySpan<byte> key, bool touch = true)
    {
        int h = Lookup(key, HashKey(key));
        if (h < 0) return NotFound;
        ref Entry e = ref _entries[h];
        long exp = e.ExpiresAt;
        if (exp == 0 && !touch) return h;    // no clock read on the cheapest path
        long now = _clock.NowMs;
        if (exp != 0 && exp <= now)
        {
            Expire(h);
            return NotFound;
        }
        if (touch)
        {
            e.LastAccess = now;
            MoveToHead(h);
        }
        return h;
    }

    // Accessors. Valid for a live handle only; a handle stays valid until that entry is removed or Clear().
    public ReadOnlySpan<byte> KeyOf(int h) => _entries[h].Key;
    public byte[] KeyArrayOf(int h) => _entries[h].Key!;
    public ValueKind KindOf(int h) => _entries[h].Kind;
    public byte[] StringOf(int h) => (byte[])_entries[h].Value!;
    public object ValueOf(int h) => _entries[h].Value!;
    public uint FlagsOf(int h) => _entries[h].Flags;
    public ulong CasOf(int h) => _entries[h].Cas;
    public long ExpiresAtOf(int h) => _entries[h].ExpiresAt;
    public long LastAccessOf(int h) => _entries[h].LastAccess;
    public long ValueBytesOf(int h) => _entries[h].ValueBytes;
    public long SizeOf(int h)
    {
        ref Entry e = ref _entries[h];
        return e.Key!.Length + e.ValueBytes + EntryOverhead;
    }

    /// <summary>True if <paramref name="h"/> addresses an occupied slot (it may be logically expired).</summary>
    public bool IsLive(int h) => (uint)h < (uint)_highWater && _entries[h].Key is not null;

    /// <summary>True if the entry's expiry has passed (it is still held until something reclaims it).</summary>
    public bool IsExpired(int h)
    {
        long exp = _entries[h].ExpiresAt;
        return exp != 0 && exp <= _clock.NowMs;
    }

    private static bool IsExpiredAt(ref Entry e, long now) => e.ExpiresAt != 0 && e.ExpiresAt <= now;

    /// <summary>Removes an entry because its TTL passed.</summary>
    private void Expire(int h)
    {
        RemoveCore(h);
        _expiredKeys++;
    }
}
