using CacheCluster.Core;
using CacheCluster.Persistence.Journal;

namespace CacheCluster.Actors.Shards;

/// <summary>What a shard actor's mailbox carries.</summary>
public abstract class ShardMessage;

/// <summary>
/// One shard's slice of a batch: the indices of the batch's commands this shard owns. With
/// durability always it also waits for the commit of the events it caused before the batch may
/// answer (or turns its replies into errors if they were not stored).
/// </summary>
public sealed class ShardWork(CommandBatch batch) : ShardMessage, ICommitWaiter
{
    public readonly CommandBatch Batch = batch;
    public int[] Indices = new int[8];
    public int Count;

    public void Add(int index)
    {
        if (Count == Indices.Length) Array.Resize(ref Indices, Count * 2);
        Indices[Count++] = index;
    }

    void ICommitWaiter.Committed() => Batch.PartDone();

    void ICommitWaiter.Failed(string reason)
    {
        // Nothing of this slice may look acknowledged: every reply becomes the error.
        for (int i = 0; i < Count; i++) Batch.Replies[Indices[i]] = Reply.Fail(ErrorCode.PersistenceFailed);
        Batch.PartDone();
    }
}

/// <summary>Periodic nudge to run active expiry (Redis's activeExpireCycle, 10 times a second).</summary>
public sealed class ExpireTick : ShardMessage
{
    public static readonly ExpireTick Instance = new();
}

/// <summary>A write of this shard was not stored (durability always): rebuild the store from the journal.</summary>
public sealed class ReloadFromJournal : ShardMessage
{
    public static readonly ReloadFromJournal Instance = new();
}
