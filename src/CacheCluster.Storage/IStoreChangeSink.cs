namespace CacheCluster.Storage;

/// <summary>
/// Hears every change a store makes that must survive a restart, at the moment it is made (the
/// persistence layer turns these into journal events). Lazy and active expiry are not reported:
/// an entry's absolute expiry is part of what <see cref="EntryWritten"/> reports, so a replay drops
/// it on its own. Evictions are reported as removals, so an evicted key does not come back.
/// Called on the store's owner thread; must not call back into the store's mutators.
/// </summary>
public interface IStoreChangeSink
{
    /// <summary>Entry <paramref name="h"/> was created or its value, flags or CAS changed: record its whole state.</summary>
    void EntryWritten(int h);

    /// <summary>Only the expiry of entry <paramref name="h"/> changed (0 = persistent).</summary>
    void ExpiryChanged(int h);

    /// <summary>The entry with this key was deleted or evicted.</summary>
    void EntryRemoved(ReadOnlySpan<byte> key);

    /// <summary>Everything was removed (FLUSHALL, flush_all).</summary>
    void Cleared();
}
