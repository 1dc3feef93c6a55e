using System.Text;
using CacheCluster.Persistence.Events;
using CacheCluster.Storage;

namespace CacheCluster.Persistence.Journal;

/// <summary>
/// One shard's side of the journal. It listens to the shard's store, encodes each change as an
/// event into a pending buffer as it happens, and when the shard has finished a message hands
/// the buffer to the writer (<see cref="Submit"/>) — never waiting for disk itself. It numbers
/// events (the sequence_nr) and takes a snapshot when the journal since the last one outgrows
/// the live data. Used only on the shard's own thread.
/// </summary>
public sealed class ShardJournal : IStoreChangeSink
{

    readonly JournalWriter _writer;
    readonly int _snapshotEvents;
    CacheStore _store;
    RecordBuffer _pending;
    long _nextSeq;
    long _sinceSnapshot;

    internal ShardJournal(int shard, JournalWriter writer, CacheStore store, RecoveredShard from, int snapshotEvents, bool clusterEpochs = false)
    {
        ClusterEpochs = clusterEpochs;
        Shard = shard;
        PersistenceId = JournalSchema.PersistenceId(shard);
        PersistenceIdUtf8 = Encoding.UTF8.GetBytes(PersistenceId);
        _writer = writer;
        _snapshotEvents = Math.Max(1, snapshotEvents);
        _store = store;
        _pending = writer.RentBuffer();
        Attach(store, from);
    }

    // The journal writer's per-shard row being gathered for the current transaction (writer thread only).
    internal readonly RecordBuffer Row = new(1024);
    internal long RowFirstSeq;
    internal long RowTimestamp;

    public int Shard { get; }
    public string PersistenceId { get; }
    internal byte[] PersistenceIdUtf8 { get; }
    public long Epoch { get; private set; }
    public long LastSequenceNr => _nextSeq - 1;

    /// <summary>Events recorded since the last <see cref="Submit"/>.</summary>
    public bool HasPending => _pending.Count > 0;

    /// <summary>Bytes of events recorded since the last <see cref="Submit"/>.</summary>
    public int PendingBytes => _pending.Length;

    /// <summary>Something to hand to the writer: events, or waiters for them.</summary>
    public bool NeedsSubmit => _pending.Count > 0 || _waiters.Count > 0;

    readonly List<ICommitWaiter> _waiters = new();

    // everysec: events may wait this long (or until this many bytes) in the shard before they are
    // handed to the writer, which commits every 100 ms anyway. Under load a shard sees a slice of
    // each connection's batch; a block per slice cost a writer hand-off per event or two.
    const long CoalesceMs = 5;
    const int CoalesceBytes = 16 * 1024;
    long _pendingSinceMs;

    /// <summary>
    /// After a run of messages: whether to <see cref="Submit"/> now. Waiters (always, back-pressure)
    /// and large or old pending events go at once; a few fresh events wait for more (at most
    /// ~5 ms while the shard is busy; the region's 100 ms tick flushes an idle one).
    /// </summary>
    public bool SubmitDue()
    {
        if (_waiters.Count > 0) return true;
        if (_pending.Count == 0) return false;
        if (_pending.Length >= CoalesceBytes || _writer.Durability == Durability.Always) return true;
        long now = Environment.TickCount64;
        if (_pendingSinceMs == 0) { _pendingSinceMs = now; return false; }
        return now - _pendingSinceMs >= CoalesceMs;
    }

    /// <summary>Someone to tell when the events recorded so far are committed (at the next <see cref="Submit"/>).</summary>
    public void AddWaiter(ICommitWaiter waiter) => _waiters.Add(waiter);

    /// <summary>
    /// A message's replies wait for its events' commit: always with durability always, and with
    /// everysec while the writer is too far behind (so a slow disk pushes back on clients instead
    /// of growing memory and the window of writes a crash would lose).
    /// </summary>
    public bool AcknowledgeAfterCommit => _writer.Durability == Durability.Always || _writer.Backlogged;

    /// <summary>Raised on the writer's thread when a write of this shard was lost (always): the shard must reload.</summary>
    public event Action? WriteLost;

    internal void OnWriteLost() => WriteLost?.Invoke();

    /// <summary>Cluster mode: epochs are decided by the cluster (<see cref="BeginEpoch"/>), not defaulted here.</summary>
    internal bool ClusterEpochs;

    void Attach(CacheStore store, RecoveredShard from)
    {
        _store = store;
        _nextSeq = from.LastSequenceNr + 1;
        _sinceSnapshot = from.EventsSinceSnapshot;
        Epoch = from.Epoch;
        store.Changes = this;
        if (Epoch == 0 && !ClusterEpochs)
        {
            // a shard this node never held: it starts the first ownership epoch
            Epoch = 1;
            EventCodec.WriteEpoch(_pending, Epoch);
        }
    }

    /// <summary>Stops recording the current store and forgets what was recorded but not submitted.</summary>
    public void Detach()
    {
        _store.Changes = null;
        _pending.Reset();
        // whoever waited for what is being forgotten must not think it was stored
        foreach (var w in _waiters) w.Failed("the shard reloaded from the journal before this write was stored");
        _waiters.Clear();
    }

    /// <summary>
    /// After a lost write: the shard has rebuilt <paramref name="store"/> from the journal. Drops
    /// what was recorded since, and tells the writer to accept this shard's blocks again.
    /// </summary>
    public void Reattach(CacheStore store, RecoveredShard from)
    {
        _store.Changes = null;
        _pending.Reset();
        Attach(store, from);
        var b = _writer.RentBlock();
        b.Kind = WriteBlock.BlockKind.Resume;
        b.Owner = this;
        _writer.Enqueue(b);
    }

    public void EntryWritten(int h) => EventCodec.WriteEntry(_pending, _store, h);
    public void ExpiryChanged(int h) => EventCodec.WriteExpire(_pending, _store.KeyOf(h), _store.ExpiresAtOf(h));
    public void EntryRemoved(ReadOnlySpan<byte> key) => EventCodec.WriteDelete(_pending, key);
    public void Cleared() => EventCodec.WriteFlush(_pending);

    /// <summary>
    /// Hands the pending events to the writer, with everyone waiting for them (and
    /// <paramref name="waiter"/>, if given), who are told when they are committed (or failed).
    /// May take a snapshot afterwards.
    /// </summary>
    public void Submit(ICommitWaiter? waiter = null)
    {
        if (SubmitEvents(waiter) && _sinceSnapshot > _snapshotEvents && _sinceSnapshot > _store.Count) TakeSnapshot();
    }

    /// <summary>Queues the pending events (no snapshot); false when there were none.</summary>
    bool SubmitEvents(ICommitWaiter? waiter)
    {
        if (waiter != null) _waiters.Add(waiter);
        int count = _pending.Count;
        if (count == 0)
        {
            // nothing recorded since they started waiting: nothing to wait for
            foreach (var w in _waiters) w.Committed();
            _waiters.Clear();
            return false;
        }
        var b = _writer.RentBlock();
        b.Kind = WriteBlock.BlockKind.Events;
        b.Owner = this;
        b.Events = _pending;
        b.FirstSeq = _nextSeq;
        b.Waiters.AddRange(_waiters);
        _waiters.Clear();
        b.Timestamp = _store.NowMs;
        _nextSeq += count;
        _sinceSnapshot += count;
        _pendingSinceMs = 0;
        _pending = _writer.RentBuffer();
        _writer.Enqueue(b);
        return true;
    }

    /// <summary>
    /// Writes the whole store (least recent first, so a replay rebuilds the LRU order) as a
    /// snapshot covering every event so far. The encoding is the only pause the shard sees; the
    /// writer stores it and deletes the events it covers. <paramref name="waiter"/> is told when
    /// it is committed.
    /// </summary>
    public void TakeSnapshot(ICommitWaiter? waiter = null)
    {
        SubmitEvents(null);     // the snapshot covers every event so far: they must be numbered before it
        EnqueueSnapshot(SnapshotEncoder.Encode(_store, Epoch), waiter);
    }

    void EnqueueSnapshot(List<RecordBuffer> chunks, ICommitWaiter? waiter)
    {
        var b = _writer.RentBlock();
        b.Kind = WriteBlock.BlockKind.Snapshot;
        b.Owner = this;
        b.Chunks = chunks;
        b.SnapshotSeq = _nextSeq - 1;
        b.Timestamp = _store.NowMs;
        if (waiter != null) b.Waiters.Add(waiter);
        _sinceSnapshot = 0;
        _writer.Enqueue(b);
    }

    /// <summary>
    /// Cluster: this node starts owning the shard at <paramref name="epoch"/> with the contents of
    /// the (already attached) store. Records the epoch; when the store's contents did not come from
    /// this journal (hand-off, or a fresh start over stale local rows) a snapshot replaces
    /// everything before. <paramref name="waiter"/> is told once that is committed.
    /// </summary>
    public void BeginEpoch(long epoch, bool replacedContents, ICommitWaiter? waiter)
    {
        if (epoch != Epoch || _nextSeq == 1)
        {
            Epoch = epoch;
            EventCodec.WriteEpoch(_pending, epoch);
        }
        if (!replacedContents)
        {
            Submit(waiter);
            return;
        }
        SubmitEvents(null);     // the snapshot right after covers them: never encode the store twice
        TakeSnapshot(waiter);
    }

    /// <summary>
    /// Cluster: the shard now lives on another node. Stops recording and replaces this node's
    /// journal of it with an empty snapshot of epoch 0 (a tombstone: never claimed again).
    /// </summary>
    public void Release(ICommitWaiter? waiter = null)
    {
        Submit();
        _store.Changes = null;
        if (_nextSeq == 1)
        {
            waiter?.Committed();     // nothing was ever written for it here
            return;
        }
        Epoch = 0;
        var empty = new RecordBuffer(64);
        EventCodec.WriteSnapshotHeader(empty, 0, _store.NextCas, 0);
        EnqueueSnapshot([empty], waiter);
    }
}

