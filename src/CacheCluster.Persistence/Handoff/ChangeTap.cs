using CacheCluster.Persistence.Events;
using CacheCluster.Storage;

namespace CacheCluster.Persistence.Handoff;

/// <summary>
/// Records a store's changes as events while passing them on to the journal (if any): installed
/// in the same shard message that encodes the hand-off snapshot, it captures exactly the writes
/// made after that cut — the tail the new owner applies last. Used on the shard's thread only.
/// </summary>
public sealed class ChangeTap(CacheStore store, IStoreChangeSink? inner) : IStoreChangeSink
{
    public RecordBuffer Tail { get; private set; } = new(4096);
    public IStoreChangeSink? Inner => inner;

    /// <summary>Hands over what was recorded so far and starts a new buffer.</summary>
    public RecordBuffer TakeTail()
    {
        var t = Tail;
        Tail = new RecordBuffer(4096);
        return t;
    }

    public void EntryWritten(int h)
    {
        EventCodec.WriteEntry(Tail, store, h);
        inner?.EntryWritten(h);
    }

    public void ExpiryChanged(int h)
    {
        EventCodec.WriteExpire(Tail, store.KeyOf(h), store.ExpiresAtOf(h));
        inner?.ExpiryChanged(h);
    }

    public void EntryRemoved(ReadOnlySpan<byte> key)
    {
        EventCodec.WriteDelete(Tail, key);
        inner?.EntryRemoved(key);
    }

    public void Cleared()
    {
        EventCodec.WriteFlush(Tail);
        inner?.Cleared();
    }
}
