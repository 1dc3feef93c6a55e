namespace CacheCluster.Storage;

/// <summary>
/// One slot of the store, addressed by its index (the "handle"). All links are int indexes into the
/// same array, so the table holds no per-entry node objects.
/// Layout (x64, the runtime packs refs, then 8-byte, then 4-byte fields): 2 refs (16) + 4 longs (32)
/// + 6 ints (24) + 2 bytes, padded to 80 bytes.
/// </summary>
internal struct Entry
{
    public byte[]? Key;        // null marks a free slot
    public object? Value;      // byte[] for strings
    public long ExpiresAt;     // Unix ms, 0 = none
    public long LastAccess;    // Unix ms
    public ulong Cas;
    public long ValueBytes;    // accounted size of Value
    public int Hash;           // cached so growth never rehashes keys and chain walks skip most compares
    public int Next;           // hash-chain successor; free-list successor while the slot is free
    public int LruPrev;        // towards the head (more recent)
    public int LruNext;        // towards the tail (less recent)
    public int VolatilePos;    // position in the volatile index, -1 if no expiry
    public uint Flags;         // memcached client flags
    public ValueKind Kind;
    public byte MetaBits;      // memcached meta-protocol item state (fetched, stale, win token); 0 after a Set
}
