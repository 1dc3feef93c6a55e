namespace CacheCluster.Core;

/// <summary>
/// One operation for one shard. A plain struct kept in arrays owned by a connection's batch, so
/// decoding a pipeline allocates nothing per command beyond a stored value's own bytes.
/// Key memory points into the connection's request arena and is valid until the batch completes.
/// </summary>
public struct Command
{
    public Op Op;
    public CommandOptions Options;
    public ReadOnlyMemory<byte> Key;
    public ReadOnlyMemory<byte> Key2;     // second key (RENAME/COPY destination)
    public ReadOnlyMemory<byte> Pattern;  // KEYS/SCAN MATCH
    public byte[]? Value;                 // owned payload of a write (stored as is)
    public long Int1;
    public long Int2;
    public long Int3;
    public long Int4;
    public uint Flags;                    // memcached client flags
    public ulong Cas;                     // memcached compare-and-swap (0 = none)
    public object? Extra;                 // rare payloads (EntrySnapshot for Restore)

    public static Command For(Op op, ReadOnlyMemory<byte> key) => new() { Op = op, Key = key };
}

/// <summary>An entry copied out of a shard (RENAME/COPY across shards, hand-off later).</summary>
public sealed class EntrySnapshot
{
    public required byte[] Value;
    public uint Flags;
    public long ExpiresAtMs;
}

/// <summary>Counters a shard reports for INFO.</summary>
public sealed class ShardStats
{
    public long Keys, VolatileKeys, UsedBytes, MaxBytes, Hits, Misses, Expired, Evicted, TotalItems;

    public void Add(ShardStats o)
    {
        Keys += o.Keys; VolatileKeys += o.VolatileKeys; UsedBytes += o.UsedBytes; MaxBytes += o.MaxBytes;
        Hits += o.Hits; Misses += o.Misses; Expired += o.Expired; Evicted += o.Evicted; TotalItems += o.TotalItems;
    }
}
