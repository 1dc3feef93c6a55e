namespace CacheCluster.Core;

/// <summary>
/// Maps slots to shards: shard i owns the contiguous slot range [i*16384/S, (i+1)*16384/S).
/// The shard count S is fixed for the life of a data directory.
/// </summary>
public sealed class ShardMap
{
    public const int MaxShards = KeySlot.SlotCount;
    readonly ushort[] _slotToShard;

    public ShardMap(int shardCount)
    {
        if (shardCount < 1 || shardCount > MaxShards)
            throw new ArgumentOutOfRangeException(nameof(shardCount), $"shard count must be 1..{MaxShards}");
        ShardCount = shardCount;
        _slotToShard = new ushort[KeySlot.SlotCount];
        for (int shard = 0; shard < shardCount; shard++)
        {
            var (first, last) = SlotRange(shard);
            for (int s = first; s <= last; s++) _slotToShard[s] = (ushort)shard;
        }
    }

    public int ShardCount { get; }

    /// <summary>First and last slot (inclusive) owned by a shard.</summary>
    public (int First, int Last) SlotRange(int shard)
    {
        int first = (int)((long)shard * KeySlot.SlotCount / ShardCount);
        int next = (int)((long)(shard + 1) * KeySlot.SlotCount / ShardCount);
        return (first, next - 1);
    }

    public int ShardOfSlot(int slot) => _slotToShard[slot];

    public int ShardOf(ReadOnlySpan<byte> key) => _slotToShard[KeySlot.Of(key)];
}
