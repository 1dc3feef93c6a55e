using System.Collections.Generic;

namespace CacheCluster.Storage;

// SCAN/KEYS and RANDOMKEY support. Both walk slot indexes, which never move, so a cursor is just a slot number.
public sealed partial class CacheStore
{
    private const int RandomProbes = 64;

    /// <summary>
    /// Appends live handles from slot <paramref name="cursor"/> upward until <paramref name="count"/> were
    /// appended or the end was reached; expired entries met on the way are reclaimed. Returns the next
    /// cursor, 0 when the walk is complete. Every entry present for the whole walk is returned exactly once.
    /// </summary>
    public long Scan(long cursor, int count, List<int> handles)
    {
        if (cursor < 0 || cursor >= _highWater) return 0;
        if (count < 1) count = 1;
        long now = _clock.NowMs;
        int added = 0;
        int i = (int)cursor;
        while (i < _highWater)
        {
            ref Entry e = ref _entries[i];
            if (e.Key is not null)
            {
                if (IsExpiredAt(ref e, now))
                {
                    Expire(i);
                }
                else
                {
                    handles.Add(i);
                    if (++added >= count) { i++; break; }
                }
            }
            i++;
        }
        return i >= _highWater ? 0 : i;
    }

    /// <summary>
    /// A random live handle, or NotFound if none. Random slot probes first; on a sparse table falls back
    /// to one walk from a random slot, so the cost is bounded by the table size. Expired entries hit are reclaimed.
    /// </summary>
    public int RandomEntry()
    {
        long now = _clock.NowMs;
        for (int k = 0; k < RandomProbes && _count > 0; k++)
        {
            int h = _rng.Next(_highWater);
            if (TakeIfLive(h, now)) return h;
        }
        if (_count == 0) return NotFound;

        int n = _highWater;
        int start = _rng.Next(n);
        for (int k = 0; k < n; k++)
        {
            int h = start + k;
            if (h >= n) h -= n;
            if (TakeIfLive(h, now)) return h;
        }
        return NotFound;
    }

    private bool TakeIfLive(int h, long now)
    {
        ref Entry e = ref _entries[h];
        if (e.Key is null) return false;
        if (!IsExpiredAt(ref e, now)) return true;
        Expire(h);
        return false;
    }
}
