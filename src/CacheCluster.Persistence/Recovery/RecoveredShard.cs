namespace CacheCluster.Persistence;

/// <summary>What recovering one shard found: where its journal ends and what it applied.</summary>
public readonly record struct RecoveredShard(long LastSequenceNr, long Epoch, long EventsSinceSnapshot, long SnapshotSequenceNr,
    long EventsApplied, long SnapshotRecords)
{
    public static RecoveredShard Empty => default;
}
