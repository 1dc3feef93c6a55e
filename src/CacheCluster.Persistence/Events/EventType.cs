namespace CacheCluster.Persistence.Events;

/// <summary>
/// The first byte of every journal event and snapshot record. Values are part of the on-disk
/// format: never renumber, only add (collection operations will get their own types).
/// </summary>
public enum EventType : byte
{
    /// <summary>An entry's whole state: kind, flags, CAS, absolute expiry, key, value.</summary>
    Set = 1,
    /// <summary>A key was deleted or evicted.</summary>
    Delete = 2,
    /// <summary>Only the expiry of a key changed (0 = persistent).</summary>
    Expire = 3,
    /// <summary>The shard was emptied.</summary>
    Flush = 4,
    /// <summary>This node took ownership of the shard with this epoch.</summary>
    Epoch = 5,
    /// <summary>First record of a snapshot: format version, epoch, next CAS, entry count.</summary>
    SnapshotHeader = 64,
}
