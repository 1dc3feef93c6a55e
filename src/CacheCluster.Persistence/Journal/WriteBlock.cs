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
    public ICommitWaiter? Waiter;
    public long Timestamp;                         // Unix ms when submitted
    public bool Skipped;
    public bool ChunksSealed;                      // Snapshot: checksums appended (once, even if the write is retried)                           // not written: its shard lost an earlier write

    public int EventCount => Events?.Count ?? 0;

    public void Clear()
    {
        Owner = null!;
        Events = null;
        Chunks = null;
        Waiter = null;
        Skipped = false;
        ChunksSealed = false;
    }
}
