using CacheCluster.Storage;

namespace CacheCluster.Persistence.Events;

/// <summary>
/// Replays stored events into a store (recovery, and later hand-off). The store must not be
/// journaling while this runs (its <see cref="CacheStore.Changes"/> is null).
/// Events are applied exactly as recorded — nothing expires and nothing is evicted mid-replay,
/// because a later event may depend on an entry an early expiry would drop (SET PX then
/// PERSIST), and the original's own evictions are in the journal as deletes. <see cref="Finish"/>
/// then drops what has expired and applies the memory budget once.
/// </summary>
public sealed class EventApplier(CacheStore store)
{
    public CacheStore Store { get; } = store;
    public long Epoch { get; private set; }
    public long Applied { get; private set; }
    /// <summary>Entries the last snapshot header said it holds (-1 when no snapshot was read).</summary>
    public long SnapshotEntries { get; private set; } = -1;

    public void Apply(ReadOnlySpan<byte> record)
    {
        var e = StoredEvent.Decode(record);
        switch (e.Type)
        {
            case EventType.Set:
                Store.Set(e.Key, e.Kind, e.Value.ToArray(), e.Value.Length, e.Flags, e.ExpiresAt, e.Cas);
                break;
            case EventType.Delete:
            {
                int h = Store.FindIncludingExpired(e.Key);
                if (h >= 0) Store.Remove(h);
                break;
            }
            case EventType.Expire:
            {
                int h = Store.FindIncludingExpired(e.Key);
                if (h >= 0) Store.SetExpiry(h, e.ExpiresAt);
                break;
            }
            case EventType.Flush:
                Store.Clear();
                break;
            case EventType.Epoch:
                Epoch = e.Epoch;
                break;
            case EventType.SnapshotHeader:
                Epoch = e.Epoch;
                SnapshotEntries = e.Entries;
                if (e.NextCas > 1) Store.ObserveCas(e.NextCas - 1);
                break;
        }
        Applied++;
    }

    /// <summary>Applies every length-prefixed record of a snapshot chunk or journal row.</summary>
    public void ApplyRecords(ReadOnlySpan<byte> chunk)
    {
        while (RecordBuffer.TryNext(ref chunk, out var record)) Apply(record);
    }

    /// <summary>After the last event: expired entries go, then the memory budget is enforced.</summary>
    public void Finish()
    {
        Store.RemoveExpired();
        Store.EnsureMemory();
    }
}
