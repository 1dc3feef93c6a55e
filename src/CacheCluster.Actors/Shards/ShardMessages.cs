namespace CacheCluster.Actors.Shards;

/// <summary>What a shard actor's mailbox carries.</summary>
public abstract class ShardMessage;

/// <summary>One shard's slice of a batch: the indices of the batch's commands this shard owns.</summary>
public sealed class ShardWork(CommandBatch batch) : ShardMessage
{
    public readonly CommandBatch Batch = batch;
    public int[] Indices = new int[8];
    public int Count;

    public void Add(int index)
    {
        if (Count == Indices.Length) Array.Resize(ref Indices, Count * 2);
        Indices[Count++] = index;
    }
}

/// <summary>Periodic nudge to run active expiry (Redis's activeExpireCycle, 10 times a second).</summary>
public sealed class ExpireTick : ShardMessage
{
    public static readonly ExpireTick Instance = new();
}
