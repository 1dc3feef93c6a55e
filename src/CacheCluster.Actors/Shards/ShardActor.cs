using CacheCluster.Core;
using CacheCluster.Persistence.Events;
using CacheCluster.Persistence.Handoff;
using CacheCluster.Persistence.Journal;
using CacheCluster.Storage;

namespace CacheCluster.Actors.Shards;

/// <summary>
/// The single writer of one shard: owns its store and executes the commands sent to it, one
/// message at a time. Every change the store makes is recorded by the shard's journal as it
/// happens; after each run of messages the recorded events go to the journal writer in one block
/// (the actor never waits for disk). With durability always, a message that changed something
/// is answered only when the commit holding its events is done.
/// In a cluster it also hands its contents over when the shard moves: a snapshot, then (once
/// sealed) the changes made since; a sealed or released shard sends what still arrives back
/// to the region, which routes it to the new owner.
/// A failure restarts the actor (the region decides whether the store survives).
/// </summary>
public sealed class ShardActor(int shardId, CommandExecutor executor, ShardJournal? journal, Func<CommandExecutor>? reload = null,
    Action<ShardWork>? redispatch = null) : Actor<ShardMessage>
{
    /// <summary>Recorded events beyond this go to the writer at once, not at the end of the run.</summary>
    const int SubmitBytes = 256 * 1024;

    CommandExecutor _executor = executor;
    ChangeTap? _tap;
    IHandoffSink? _sink;
    bool _sealed;

    public int ShardId { get; } = shardId;

    protected override void Receive(ShardMessage message)
    {
        switch (message)
        {
            case ShardWork work when _sealed && redispatch != null:
                redispatch(work);   // the shard has moved (or is moving): the region knows where
                break;
            case ShardWork work:
                Execute(work);
                break;
            case ExpireTick:
                if (!_sealed) _executor.Store.ActiveExpireCycle();
                if (journal is { NeedsSubmit: true }) journal.Submit();   // what waited to be coalesced goes out
                break;
            case ReloadFromJournal:
                if (reload != null) _executor = reload();
                break;
            case StartHandoff start:
                BeginHandoff(start.Sink);
                break;
            case SealHandoff:
                Seal();
                break;
            case AbortHandoff:
                StopTap();
                _sealed = false;
                break;
            case ReleaseShard release:
                Release(release.Done);
                break;
            case SetShardMemory m:
                _executor.Store.MaxMemoryBytes = m.Bytes;
                _executor.Store.Policy = m.Policy;
                break;
        }
    }

    void Execute(ShardWork work)
    {
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
    }

    /// <summary>The consistent cut: the snapshot and the start of the tail happen in one message.</summary>
    void BeginHandoff(IHandoffSink sink)
    {
        StopTap();
        var store = _executor.Store;
        var chunks = SnapshotEncoder.Encode(store, journal?.Epoch ?? 0);
        _tap = new ChangeTap(store, store.Changes);
        store.Changes = _tap;
        _sink = sink;
        foreach (var c in chunks)
        {
            sink.SnapshotChunk(c.Written);
            c.Release();
        }
        sink.SnapshotDone(store.Count);
    }

    void Seal()
    {
        _sealed = true;
        if (_tap == null || _sink == null) return;
        var tail = _tap.TakeTail();
        _sink.Sealed(tail.Written);
        tail.Release();
    }

    void StopTap()
    {
        if (_tap == null) return;
        _executor.Store.Changes = _tap.Inner;
        _tap.Tail.Release();
        _tap = null;
        _sink = null;
    }

    void Release(Action done)
    {
        StopTap();
        _sealed = true;
        if (journal != null) journal.Release(new CallbackWaiter(done));
        else done();
        _executor.Store.Clear();   // not recorded: the journal no longer listens
    }

    /// <summary>At most one block per run of messages, coalesced over a few ms: fewer, larger journal writes under load.</summary>
    protected override void AfterBurst()
    {
        if (journal != null && journal.SubmitDue()) journal.Submit();
    }

    /// <summary>A stopping shard hands over what it recorded last.</summary>
    protected override void PostStop()
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

    sealed class CallbackWaiter(Action done) : ICommitWaiter
    {
        public void Committed() => done();
        public void Failed(string reason) => done();
    }
}
