using CacheCluster.Storage;

namespace CacheCluster.Persistence.Events;

/// <summary>
/// Replays stored events into a store (recovery, and later hand-off). The store must not be
/// journaling while this runs (its <see cref="CacheStore.Changes"/> is null). Entries whose
/// absolute expiry has passed are dropped; the memory budget is enforced as data arrives.
/// </summary>
public sealed class EventApplier(CacheStore store)
{
    public CacheStore Store { get; } = store;
    public long Epoch { get; private set; }
    public long Applied { get; private set; }

    public void Apply(ReadOnlySpan<byte> record)
    {
        var e = StoredEvent.Decode(record);
        long now = Store.NowMs;
        switch (e.Type)
        {
            case EventType.Set:
                if (e.ExpiresAt != 0 && e.ExpiresAt <= now)
                {
                    Store.Delete(e.Key);
                    Store.ObserveCas(e.Cas);
                }
                else
                {
                    Store.Set(e.Key, e.Kind, e.Value.ToArray(), e.Value.Length, e.Flags, e.ExpiresAt, e.Cas);
                    Store.EnsureMemory();
                }
                break;
            case EventType.Delete:
                Store.Delete(e.Key);
                break;
            case EventType.Expire:
            {
                int h = Store.Find(e.Key, touch: false);
                if (h < 0) break;
                if (e.ExpiresAt != 0 && e.ExpiresAt <= now) Store.Remove(h);
                else Store.SetExpiry(h, e.ExpiresAt);
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
                if (e.NextCas > 1) Store.ObserveCas(e.NextCas - 1);
                break;
        }
        Applied++;
    }

    /// <summary>Applies every length-prefixed record of a snapshot chunk.</summary>
    public void ApplyRecords(ReadOnlySpan<byte> chunk)
    {
        while (RecordBuffer.TryNext(ref chunk, out var record)) Apply(record);
    }
}
