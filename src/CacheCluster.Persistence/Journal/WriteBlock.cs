using CacheCluster.Persistence.Events;

namespace CacheCluster.Persistence.Journal;

/// <summary>What the journal writer's queue carries; pooled by the writer.</summary>
internal sealed class WriteBlock
{
    public enum BlockKind : byte { Events, Snapshot, Resume }

    public BlockKind Kind;
    public ShardJournal Owner = null!;
    public long FirstSeq;                          // Events: sequence number of the first record
    public RecordBuffer? Events;                   // Events: length-prefixed event records
    public List<RecordBuffer>? Chunks;             // Snapshot: chunk 0 starts with the header record
    public long SnapshotSeq;                       // Snapshot: the last event it covers
    public readonly List<ICommitWaiter> Waiters = new();   // told once the events are committed (always)
    public long Timestamp;                         // Unix ms when submitted
    public bool Skipped;
    public bool ChunksSealed;                      // Snapshot: checksums appended (once, even if the write is retried)                           // not written: its shard lost an earlier write

    public int EventCount => Events?.Count ?? 0;

    public void Committed()
    {
        foreach (var w in Waiters) w.Committed();
    }

    public void Failed(string reason)
    {
        foreach (var w in Waiters) w.Failed(reason);
    }

    public void Clear()
    {
        Owner = null!;
        Events = null;
        Chunks = null;
        Waiters.Clear();
        Skipped = false;
        ChunksSealed = false;
    }
}
