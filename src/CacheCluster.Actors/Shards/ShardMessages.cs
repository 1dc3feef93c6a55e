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

/// <summary>Hand-off, old owner: encode a snapshot for <see cref="Sink"/> and record every change after it.</summary>
public sealed class StartHandoff(IHandoffSink sink) : ShardMessage
{
    public readonly IHandoffSink Sink = sink;
}

/// <summary>Hand-off, old owner: stop executing (later commands go back to the region) and hand over the tail.</summary>
public sealed class SealHandoff : ShardMessage
{
    public static readonly SealHandoff Instance = new();
}

/// <summary>Hand-off failed before the new owner took over: keep serving as before.</summary>
public sealed class AbortHandoff : ShardMessage
{
    public static readonly AbortHandoff Instance = new();
}

/// <summary>The shard lives elsewhere now: forget the data, tombstone its journal, then <see cref="Done"/>.</summary>
public sealed class ReleaseShard(Action done) : ShardMessage
{
    public readonly Action Done = done;
}

/// <summary>New memory budget for the shard (the node's budget is split over its local shards).</summary>
public sealed class SetShardMemory(long bytes, CacheCluster.Storage.EvictionPolicy policy) : ShardMessage
{
    public readonly long Bytes = bytes;
    public readonly CacheCluster.Storage.EvictionPolicy Policy = policy;
}
