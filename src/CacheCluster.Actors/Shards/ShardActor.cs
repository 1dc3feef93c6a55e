using CacheCluster.Core;
using CacheCluster.Persistence.Journal;
using CacheCluster.Storage;

namespace CacheCluster.Actors.Shards;

/// <summary>
/// The single writer of one shard: owns its store and executes the commands sent to it, one
/// message at a time. Every change the store makes is recorded by the shard's journal as it
/// happens; after each run of messages the recorded events go to the journal writer in one block
/// (the actor never waits for disk). With durability always, a message that changed something
/// is answered only when the commit holding its events is done.
/// A failure restarts the actor (the region decides whether the store survives).
/// </summary>
public sealed class ShardActor(int shardId, CommandExecutor executor, ShardJournal? journal, Func<CommandExecutor>? reload = null)
    : Actor<ShardMessage>
{
    /// <summary>Recorded events beyond this go to the writer at once, not at the end of the run.</summary>
    const int SubmitBytes = 256 * 1024;

    CommandExecutor _executor = executor;

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
                    batch.Replies[k] = _executor.Execute(ref batch.Commands[k]);
                }
                if (journal is { HasPending: true })
                {
                    bool wait = journal.AcknowledgeAfterCommit;
                    if (wait) journal.AddWaiter(work);     // the writer completes the part after the commit
                    if (journal.PendingBytes >= SubmitBytes) journal.Submit();
                    if (wait) return;
                }
                batch.PartDone();
                break;
            case ExpireTick:
                _executor.Store.ActiveExpireCycle();
                break;
            case ReloadFromJournal:
                if (reload != null) _executor = reload();
                break;
        }
    }

    /// <summary>One block per run of messages: fewer, larger journal writes under load.</summary>
    protected override void AfterBurst()
    {
        if (journal is { NeedsSubmit: true }) journal.Submit();
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
