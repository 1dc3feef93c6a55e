namespace CacheCluster.Persistence;

/// <summary>
/// What recovering one shard found: where its journal ends, its ownership epoch, the events
/// replayed after its latest snapshot (which count towards the next one) and that snapshot's size.
/// </summary>
public readonly record struct RecoveredShard(long LastSequenceNr, long Epoch, long EventsSinceSnapshot, long SnapshotSequenceNr,
    long SnapshotRecords);
