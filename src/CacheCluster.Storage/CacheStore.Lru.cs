namespace CacheCluster.Storage;

// Intrusive doubly-linked LRU list through Entry.LruPrev/LruNext: head = most recent, tail = next victim.
public sealed partial class CacheStore
{
    private void LinkHead(int h)
    {
        ref Entry e = ref _entries[h];
        e.LruPrev = -1;
        e.LruNext = _lruHead;
        if (_lruHead >= 0) _entries[_lruHead].LruPrev = h;
        else _lruTail = h;
        _lruHead = h;
    }

    private void UnlinkLru(int h)
    {
        ref Entry e = ref _entries[h];
        if (e.LruPrev >= 0) _entries[e.LruPrev].LruNext = e.LruNext;
        else _lruHead = e.LruNext;
        if (e.LruNext >= 0) _entries[e.LruNext].LruPrev = e.LruPrev;
        else _lruTail = e.LruPrev;
    }

    private void MoveToHead(int h)
    {
        if (_lruHead == h) return;
        UnlinkLru(h);
        LinkHead(h);
    }
}

// Walking in recency order: a snapshot writes the least recent entry first, so replaying it in
// order rebuilds the same LRU list.
public sealed partial class CacheStore
{
    /// <summary>The least recently used entry, or NotFound when empty.</summary>
    public int LeastRecent => _lruTail;

    /// <summary>The next more recently used entry after <paramref name="h"/>, or NotFound at the head.</summary>
    public int MoreRecent(int h) => _entries[h].LruPrev;
}
