namespace CacheCluster.Storage;

// Dense index of entries that carry an expiry, so expiry and volatile-lru can sample uniformly in O(1).
public sealed partial class CacheStore
{
    private void VolatileAdd(int h)
    {
        if (_volatileCount == _volatile.Length) Array.Resize(ref _volatile, _volatile.Length * 2);
        _volatile[_volatileCount] = h;
        _entries[h].VolatilePos = _volatileCount++;
    }

    // Swap-remove: the last handle takes the hole, so positions stay dense.
    private void VolatileRemove(int h)
    {
        int pos = _entries[h].VolatilePos;
        int last = _volatile[--_volatileCount];
        _volatile[pos] = last;
        _entries[last].VolatilePos = pos;
        _entries[h].VolatilePos = -1;
    }

    private void SetExpiryCore(int h, long expiresAtMs)
    {
        ref Entry e = ref _entries[h];
        if (expiresAtMs != 0)
        {
            if (e.VolatilePos < 0) VolatileAdd(h);
        }
        else if (e.VolatilePos >= 0)
        {
            VolatileRemove(h);
        }
        e.ExpiresAt = expiresAtMs;
    }
}
