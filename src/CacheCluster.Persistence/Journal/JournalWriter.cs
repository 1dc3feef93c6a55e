using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using CacheCluster.Persistence.Events;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using SQLitePCL;

namespace CacheCluster.Persistence.Journal;

/// <summary>
/// The one thread that writes the journal. Shards enqueue blocks of events (never waiting on
/// disk); the writer takes everything queued and commits it in one transaction — group commit.
/// <list type="bullet">
/// <item><c>always</c>: commits as soon as there is work, synchronous=FULL (fsync per commit), then
/// tells each block's waiter; a failed commit fails its waiters, and a shard with a failed write
/// has its later blocks refused until it has reloaded from the journal (nothing is acknowledged
/// that is not stored, and nothing is stored on top of a write that was lost).</item>
/// <item><c>everysec</c>: commits at most every <see cref="JournalWriterOptions.CommitInterval"/>,
/// synchronous=NORMAL, and checkpoints (fsyncs) every second; a failed commit is logged and retried.</item>
/// </list>
/// Per shard, blocks are written in the order they were submitted.
/// </summary>
public sealed class JournalWriter : IDisposable
{
    readonly JournalDatabase _db;
    readonly JournalWriterOptions _options;
    readonly ILogger _log;
    readonly ConcurrentQueue<WriteBlock> _queue = new();
    readonly ConcurrentQueue<WriteBlock> _blockPool = new();
    readonly ConcurrentQueue<RecordBuffer> _bufferPool = new();
    readonly SemaphoreSlim _wake = new(0);
    readonly Thread _thread;
    readonly List<WriteBlock> _work = new();
    readonly HashSet<ShardJournal> _broken = new();
    readonly List<ShardJournal> _openRows = new();     // shards with events gathered in this transaction
    readonly byte[] _manifest = System.Text.Encoding.UTF8.GetBytes(EventCodec.Manifest);
    int _sleeping;
    volatile bool _stopping;
    long _submitted;                     // blocks enqueued
    long _done;                          // blocks finished (written or failed)
    readonly object _flushGate = new();

    // Histograms for the host's /metrics (it listens to this meter); a Record costs nothing without a listener.
    static readonly Meter s_meter = new("CacheCluster.Persistence");
    static readonly Histogram<double> s_commitSeconds = s_meter.CreateHistogram<double>("cachecluster.journal.commit.duration", "s",
        "Duration of committed journal transactions, BEGIN to the end of COMMIT");
    static readonly Histogram<long> s_commitEvents = s_meter.CreateHistogram<long>("cachecluster.journal.commit.events", "{event}",
        "Events per committed journal transaction");

    SqliteConnection? _conn;
    RawStatement? _insertEvent, _insertChunk, _deleteEvents, _deleteSnapshots, _begin, _commit, _rollback;

    public JournalWriter(JournalDatabase db, JournalWriterOptions options, ILogger log)
    {
        _db = db;
        _options = options;
        _log = log;
        Open();
        _thread = new Thread(Run) { IsBackground = true, Name = "journal-writer" };
        _thread.Start();
    }

    public Durability Durability => _options.Durability;

    /// <summary>More events wait for the disk than <see cref="JournalWriterOptions.BacklogEvents"/>.</summary>
    public bool Backlogged => _backlogged;
    volatile bool _backlogged;
    public JournalStats Stats { get; } = new();

    void Open()
    {
        _conn = _db.OpenConnection();
        JournalDatabase.Exec(_conn, _options.Durability == Durability.Always ? "PRAGMA synchronous=FULL;" : "PRAGMA synchronous=NORMAL;");
        // The writer checkpoints itself (every second, and when the WAL grows), off the commit path.
        JournalDatabase.Exec(_conn, "PRAGMA wal_autocheckpoint=4000; PRAGMA journal_size_limit=67108864;");
        var h = _conn.Handle!;
        _insertEvent = new RawStatement(h, JournalSchema.InsertEvent);
        _insertChunk = new RawStatement(h, JournalSchema.InsertSnapshotChunk);
        _deleteEvents = new RawStatement(h, JournalSchema.DeleteEventsUpTo);
        _deleteSnapshots = new RawStatement(h, JournalSchema.DeleteSnapshotsBefore);
        _begin = new RawStatement(h, "BEGIN");
        _commit = new RawStatement(h, "COMMIT");
        _rollback = new RawStatement(h, "ROLLBACK");
    }

    // The pools keep what a steady load reuses. A burst (a bulk load can queue ~100k blocks) is
    // not kept: measured, unbounded pools held ~80 MB per 1M keys loaded for good.
    const int MaxPooled = 1 << 16;
    const int MaxPooledBufferBytes = 16 * 1024;
    int _pooledBuffers, _pooledBlocks;

    internal RecordBuffer RentBuffer()
    {
        if (!_bufferPool.TryDequeue(out var b)) return new RecordBuffer(256); // most blocks hold one small event
        Interlocked.Decrement(ref _pooledBuffers);
        return b;
    }

    internal WriteBlock RentBlock()
    {
        if (!_blockPool.TryDequeue(out var b)) return new WriteBlock();
        Interlocked.Decrement(ref _pooledBlocks);
        return b;
    }

    /// <summary>Queues a block (any thread; never blocks).</summary>
    internal void Enqueue(WriteBlock block)
    {
        if (block.Kind == WriteBlock.BlockKind.Events) Interlocked.Add(ref Stats.EventsSubmitted, block.EventCount);
        Interlocked.Increment(ref _submitted);
        _queue.Enqueue(block);
        if (Volatile.Read(ref _sleeping) == 1 && Interlocked.Exchange(ref _sleeping, 0) == 1) _wake.Release();
    }

    /// <summary>Blocks until everything queued before the call is written (or failed).</summary>
    public void Flush(TimeSpan timeout)
    {
        long target = Interlocked.Read(ref _submitted);
        var sw = Stopwatch.StartNew();
        lock (_flushGate)
        {
            while (Interlocked.Read(ref _done) < target && sw.Elapsed < timeout)
            {
                WakeNow();
                Monitor.Wait(_flushGate, 50);
            }
        }
    }

    void WakeNow()
    {
        if (Interlocked.Exchange(ref _sleeping, 0) == 1) _wake.Release();
    }

    void Run()
    {
        var sinceCheckpoint = Stopwatch.StartNew();
        var sinceCommit = Stopwatch.StartNew();
        while (true)
        {
            bool stopping = _stopping;
            if (_queue.IsEmpty && _work.Count == 0)
            {
                if (stopping) break;
                Volatile.Write(ref _sleeping, 1);
                if (_queue.IsEmpty) _wake.Wait(1000);
                Volatile.Write(ref _sleeping, 0);
            }
            else if (_options.Durability != Durability.Always && !stopping)
            {
                // everysec: let a few milliseconds of writes gather into one transaction
                var wait = _options.CommitInterval - sinceCommit.Elapsed;
                if (wait > TimeSpan.Zero) Thread.Sleep(wait);
            }
            if (_options.Durability == Durability.Always && !stopping && _lastCommitBlocks > 1) GatherGroup();

            while (_queue.TryDequeue(out var b)) _work.Add(b);
            UpdateBacklog();
            if (_work.Count > 0)
            {
                bool ok = WriteAll();
                sinceCommit.Restart();
                if (!ok && _work.Count > 0)
                {
                    if (stopping) { FailAll("the node is stopping and the journal cannot be written"); break; }
                    _wake.Wait(1000);   // everysec: retry the same work in a second
                }
            }
            if (sinceCheckpoint.Elapsed >= TimeSpan.FromSeconds(1))
            {
                Checkpoint("PASSIVE");
                sinceCheckpoint.Restart();
            }
        }
        Checkpoint("TRUNCATE");
    }

    /// <summary>
    /// durability always, with several writers active (the last commit held more than one block):
    /// wait while blocks keep arriving, in steps of <see cref="GatherStepMicros"/>, up to
    /// <see cref="GatherMaxSteps"/> steps. The writers acknowledged by the last commit are
    /// typically about to write again; one fsync for all of them instead of one each is what
    /// makes group commit pay (PostgreSQL's commit_delay, adaptive). A lone writer never waits.
    /// </summary>
    void GatherGroup()
    {
        long seen = Interlocked.Read(ref _submitted);
        for (int i = 0; i < GatherMaxSteps; i++)
        {
            ShortSleep.Microseconds(GatherStepMicros);
            long now = Interlocked.Read(ref _submitted);
            if (now == seen) return;
            seen = now;
        }
    }

    const int GatherStepMicros = 100;
    const int GatherMaxSteps = 5;
    int _lastCommitBlocks;

    void UpdateBacklog()
    {
        bool behind = Stats.EventsPending > _options.BacklogEvents;
        if (behind == _backlogged) return;
        _backlogged = behind;
        if (behind)
            _log.LogWarning("journal {Path}: {Pending} events wait for the disk; writes are acknowledged after their commit until it catches up",
                _db.Path, Stats.EventsPending);
        else
            _log.LogInformation("journal {Path}: caught up", _db.Path);
    }

    /// <summary>Writes <see cref="_work"/> in one transaction. True when it is committed (and _work emptied).</summary>
    bool WriteAll()
    {
        long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        long events = 0;
        long started = Stopwatch.GetTimestamp();
        try
        {
            _begin!.Execute();
            foreach (var b in _work)
            {
                switch (b.Kind)
                {
                    case WriteBlock.BlockKind.Resume:
                        _broken.Remove(b.Owner);
                        break;
                    case WriteBlock.BlockKind.Events:
                        b.Skipped = _broken.Contains(b.Owner);
                        if (!b.Skipped) events += AddToRow(b);
                        break;
                    case WriteBlock.BlockKind.Snapshot:
                        b.Skipped = _broken.Contains(b.Owner);
                        if (!b.Skipped)
                        {
                            FlushRow(b.Owner);     // the rows it covers must exist before it deletes them
                            WriteSnapshot(b);
                        }
                        break;
                }
            }
            foreach (var owner in _openRows) FlushRow(owner);
            _openRows.Clear();
            _commit!.Execute();
        }
        catch (SqliteFailure ex)
        {
            foreach (var owner in _openRows) owner.Row.Reset();
            _openRows.Clear();
            try { _rollback!.Execute(); } catch (SqliteFailure) { /* no transaction left to roll back */ }
            OnWriteFailed(ex.Message);
            return false;
        }

        s_commitSeconds.Record(Stopwatch.GetElapsedTime(started).TotalSeconds);
        s_commitEvents.Record(events);
        Interlocked.Add(ref Stats.EventsWritten, events);
        Interlocked.Increment(ref Stats.Commits);
        _lastCommitBlocks = _work.Count;
        Interlocked.Exchange(ref Stats.LastCommitUnixMs, now);
        if (Interlocked.Exchange(ref Stats.LastWriteFailed, 0) == 1)
            _log.LogWarning("journal {Path}: writes succeed again", _db.Path);
        foreach (var b in _work)
        {
            if (b.Kind == WriteBlock.BlockKind.Events && b.Skipped)
            {
                // written after this shard lost a write: refused until the shard has reloaded
                b.Failed("an earlier write of this shard was not stored");
                Interlocked.Add(ref Stats.EventsDropped, b.EventCount);
            }
            else if (b.Kind == WriteBlock.BlockKind.Snapshot && !b.Skipped)
            {
                Interlocked.Increment(ref Stats.SnapshotsTaken);
                b.Committed();      // a hand-off waits for the snapshot that makes its data durable
            }
            else
            {
                b.Committed();
            }
            Recycle(b);
        }
        _work.Clear();
        SignalFlushed();
        UpdateBacklog();
        return true;
    }

    /// <summary>
    /// Adds a block's events to its shard's row for this transaction. One row holds the run of
    /// consecutive events a shard submitted since the last commit (its sequence_nr is the first
    /// one's): a row per event cost a B-tree insert and a delete per write, which is what made
    /// persistence expensive; a row per shard per commit costs that once for many writes.
    /// </summary>
    int AddToRow(WriteBlock b)
    {
        var owner = b.Owner;
        var row = owner.Row;
        if (row.Count > 0 && owner.RowFirstSeq + row.Count != b.FirstSeq) FlushRow(owner); // not contiguous (after a reload)
        if (row.Count == 0)
        {
            owner.RowFirstSeq = b.FirstSeq;
            owner.RowTimestamp = b.Timestamp;
            _openRows.Add(owner);
        }
        row.AppendRecords(b.Events!);
        return b.EventCount;
    }

    void FlushRow(ShardJournal owner)
    {
        var row = owner.Row;
        if (row.Count == 0) return;
        row.SealWithChecksum();
        _insertEvent!.BindText(1, owner.PersistenceIdUtf8).Bind(2, owner.RowFirstSeq).BindText(3, _manifest)
            .Bind(4, row.Written).Bind(5, owner.RowTimestamp).Execute();
        row.Reset();
    }

    void WriteSnapshot(WriteBlock b)
    {
        var pid = b.Owner.PersistenceIdUtf8;
        // Older snapshots go first, including one at the same sequence number (a tombstone or a
        // hand-off snapshot right after another): no chunk of it may survive under the new one.
        _deleteSnapshots!.BindText(1, pid).Bind(2, b.SnapshotSeq + 1).Execute();
        for (int i = 0; i < b.Chunks!.Count; i++)
        {
            if (!b.ChunksSealed) b.Chunks[i].SealWithChecksum();
            _insertChunk!.BindText(1, pid).Bind(2, b.SnapshotSeq).Bind(3, i).Bind(4, b.Chunks[i].Written).Bind(5, b.Timestamp).Execute();
        }
        b.ChunksSealed = true;   // a retried transaction writes the same bytes
        // what the snapshot covers is no longer needed
        _deleteEvents!.BindText(1, pid).Bind(2, b.SnapshotSeq).Execute();
    }

    void OnWriteFailed(string error)
    {
        Interlocked.Increment(ref Stats.WriteErrors);
        Volatile.Write(ref Stats.LastError, error);
        bool first = Interlocked.Exchange(ref Stats.LastWriteFailed, 1) == 0;
        if (_options.Durability == Durability.Always)
        {
            _log.LogError("journal {Path}: commit failed: {Error}; {Count} writes are answered with an error and their shards reload from the journal",
                _db.Path, error, _work.Count);
            FailAll(error);
        }
        else if (first || Stats.WriteErrorsTotal % 10 == 0)
        {
            _log.LogError("journal {Path}: commit failed: {Error}; {Events} events kept in memory, retrying every second",
                _db.Path, error, Stats.EventsPending);
        }
    }

    /// <summary>durability always: the work was not stored. Its writers get errors; its shards must reload.</summary>
    void FailAll(string error)
    {
        foreach (var b in _work)
        {
            if (b.Kind == WriteBlock.BlockKind.Events)
            {
                Interlocked.Add(ref Stats.EventsDropped, b.EventCount);
                b.Failed(error);
                if (_broken.Add(b.Owner)) b.Owner.OnWriteLost();
            }
            else if (b.Kind == WriteBlock.BlockKind.Snapshot)
            {
                b.Failed(error);
                if (_broken.Add(b.Owner)) b.Owner.OnWriteLost();
            }
            Recycle(b);
        }
        _work.Clear();
        SignalFlushed();
    }

    void Recycle(WriteBlock b)
    {
        if (b.Events != null)
        {
            if (b.Events.Capacity <= MaxPooledBufferBytes && Interlocked.Increment(ref _pooledBuffers) <= MaxPooled)
            {
                b.Events.Reset();
                _bufferPool.Enqueue(b.Events);
            }
            else
            {
                if (b.Events.Capacity <= MaxPooledBufferBytes) Interlocked.Decrement(ref _pooledBuffers);
                b.Events.Release();
            }
        }
        if (b.Chunks != null) foreach (var c in b.Chunks) c.Release();
        b.Clear();
        if (Interlocked.Increment(ref _pooledBlocks) <= MaxPooled) _blockPool.Enqueue(b);
        else Interlocked.Decrement(ref _pooledBlocks);
        Interlocked.Increment(ref _done);
    }

    void SignalFlushed()
    {
        lock (_flushGate) Monitor.PulseAll(_flushGate);
    }

    void Checkpoint(string mode)
    {
        try
        {
            JournalDatabase.Exec(_conn!, $"PRAGMA wal_checkpoint({mode});");
        }
        catch (SqliteException ex)
        {
            _log.LogWarning("journal {Path}: checkpoint failed: {Error}", _db.Path, ex.Message);
        }
    }

    /// <summary>Writes everything still queued, then closes the connection.</summary>
    public void Dispose()
    {
        if (_stopping) return;
        _stopping = true;
        WakeNow();
        _wake.Release();
        _thread.Join();
        _insertEvent?.Dispose();
        _insertChunk?.Dispose();
        _deleteEvents?.Dispose();
        _deleteSnapshots?.Dispose();
        _begin?.Dispose();
        _commit?.Dispose();
        _rollback?.Dispose();
        _conn?.Dispose();
    }
}

public sealed class JournalWriterOptions
{
    public Durability Durability = Durability.EverySec;
    /// <summary>everysec: the longest a write waits for its commit (and so the most a crash of the process can lose).</summary>
    public TimeSpan CommitInterval = TimeSpan.FromMilliseconds(100);
    /// <summary>
    /// everysec: beyond this many uncommitted events, writes wait for their commit (back-pressure).
    /// Measured: at 500k a bulk load of 1M keys left ~110 B per key of dead event buffers in the
    /// oldest GC generation; at 50k, ~3 MB wait at most and the writer still keeps up with
    /// ordinary load (it commits ~300k events/s).
    /// </summary>
    public long BacklogEvents = 500_000;
}
