using CacheCluster.Core;
using CacheCluster.Storage;

namespace CacheCluster.Actors.Shards;

/// <summary>
/// The single writer of one shard: owns its store and executes the commands sent to it, one
/// message at a time. A failure restarts it with a fresh store (the persistence layer will
/// recover it from the journal) and fails only the commands of the message in flight.
/// </summary>
public sealed class ShardActor(int shardId, CommandExecutor executor) : Actor<ShardMessage>
{
    public int ShardId { get; } = shardId;

    protected override void Receive(ShardMessage message)
    {
        switch (message)
        {
            case ShardWork work:
                var batch = work.Batch;
                var idx = work.Indices;
                for (int i = 0; i < work.Count; i++)
                {
                    int k = idx[i];
                    batch.Replies[k] = executor.Execute(ref batch.Commands[k]);
                }
                batch.PartDone();
                break;
            case ExpireTick:
                executor.Store.ActiveExpireCycle();
                break;
        }
    }

    protected override void PreRestart(Exception reason, ShardMessage message)
    {
        // Answer what the failed message left unanswered, so no connection waits forever.
        if (message is ShardWork work)
        {
            for (int i = 0; i < work.Count; i++)
            {
                ref var r = ref work.Batch.Replies[work.Indices[i]];
                if (r.Kind == ReplyKind.None) r = Reply.Fail(ErrorCode.Internal);
            }
            work.Batch.PartDone();
        }
    }
}
