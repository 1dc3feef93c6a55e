namespace CacheCluster.Storage;

// Writes. Every value change takes a fresh CAS from a per-store counter that never goes backwards.
public sealed partial class CacheStore
{
    /// <summary>Inserts or replaces a string value; the entry becomes most recently used.</summary>
    public int Set(ReadOnlySpan<byte> key, byte[] value, uint flags, long expiresAtMs)
        => Set(key, ValueKind.String, value, value.Length, flags, expiresAtMs);

    /// <summary>
    /// Inserts or replaces an entry of any kind. <paramref name="valueBytes"/> is what the value is accounted as.
    /// <paramref name="cas"/> = 0 assigns a new CAS; otherwise the given one is kept (restore/hand-off) and the
    /// counter moves past it so it is never handed out again.
    /// </summary>
    public int Set(ReadOnlySpan<byte> key, ValueKind kind, object value, long valueBytes, uint flags, long expiresAtMs, ulong cas = 0)
    {
        ArgumentNullException.ThrowIfNull(value);
        long now = _clock.NowMs;
        int hash = HashKey(key);
        int h = Lookup(key, hash);
        if (h < 0)
        {
            h = Insert(key, hash);
        }
        else
        {
            ref Entry old = ref _entries[h];
            // Redis expires a stale key before overwriting it; count it the same way.
            if (IsExpiredAt(ref old, now)) _expiredKeys++;
            _usedBytes -= old.ValueBytes;
            MoveToHead(h);
        }

        ref Entry e = ref _entries[h];
        e.Kind = kind;
        e.Value = value;
        e.ValueBytes = valueBytes;
        e.Flags = flags;
        e.LastAccess = now;
        e.MetaBits = 0;
        _usedBytes += valueBytes;
        SetExpiryCore(h, expiresAtMs);
        if (cas == 0) cas = TakeCas();
        else ObserveCas(cas);
        e.Cas = cas;
        Changes?.EntryWritten(h);
        return h;
    }

    /// <summary>Swaps in a new string value, keeping key, flags and expiry; new CAS.</summary>
    public void ReplaceValue(int h, byte[] value) => ReplaceValue(h, ValueKind.String, value, value.Length);

    /// <summary>Swaps in a new value of any kind, keeping key, flags and expiry; new CAS.</summary>
    public void ReplaceValue(int h, ValueKind kind, object value, long valueBytes)
    {
        ArgumentNullException.ThrowIfNull(value);
        ref Entry e = ref _entries[h];
        _usedBytes += valueBytes - e.ValueBytes;
        e.Kind = kind;
        e.Value = value;
        e.ValueBytes = valueBytes;
        e.Cas = TakeCas();
        Changes?.EntryWritten(h);
    }

    /// <summary>For values mutated in place (collections): re-accounts their size and assigns a new CAS.</summary>
    public void ValueChanged(int h, long valueBytes)
    {
        ref Entry e = ref _entries[h];
        _usedBytes += valueBytes - e.ValueBytes;
        e.ValueBytes = valueBytes;
        e.Cas = TakeCas();
        Changes?.EntryWritten(h);
    }

    /// <summary>Sets the absolute expiry (Unix ms); 0 makes the entry persistent. CAS is unchanged.</summary>
    public void SetExpiry(int h, long expiresAtMs)
    {
        SetExpiryCore(h, expiresAtMs);
        Changes?.ExpiryChanged(h);
    }

    public void SetFlags(int h, uint flags)
    {
        _entries[h].Flags = flags;
        Changes?.EntryWritten(h);
    }

    /// <summary>memcached meta-protocol bits of an entry (opaque to the store; cleared by Set).</summary>
    public byte MetaBitsOf(int h) => _entries[h].MetaBits;
    public void SetMetaBits(int h, byte bits) => _entries[h].MetaBits = bits;

    /// <summary>Marks an entry used now: LRU head and last-access time (what Find(touch: true) does).</summary>
    public void Touch(int h)
    {
        ref Entry e = ref _entries[h];
        e.LastAccess = _clock.NowMs;
        MoveToHead(h);
    }

    /// <summary>Hands out a fresh CAS without storing anything (an item stored already expired still gets one).</summary>
    public ulong TakeCas()
    {
        ulong cas = _nextCas;
        _nextCas += _casStep;
        return cas;
    }

    /// <summary>Gives an entry a new CAS without changing its value (memcached's md I invalidation).</summary>
    public void BumpCas(int h)
    {
        _entries[h].Cas = TakeCas();
        Changes?.EntryWritten(h);
    }

    /// <summary>Moves the CAS counter past an externally supplied value so it is never reissued.</summary>
    public void ObserveCas(ulong cas)
    {
        if (cas < _nextCas) return;
        // the next value of this store's series above cas
        ulong steps = (cas - _nextCas) / _casStep + 1;
        _nextCas += steps * _casStep;
    }

    /// <summary>Removes an entry (a delete, reported to <see cref="Changes"/>); its handle becomes invalid and its slot is recycled.</summary>
    public void Remove(int h)
    {
        ref Entry e = ref _entries[h];
        // A double remove would corrupt the free list; fail loudly instead.
        if (e.Key is null) throw new InvalidOperationException($"Handle {h} is not a live entry.");
        Changes?.EntryRemoved(e.Key);
        RemoveCore(h);
    }

    /// <summary>Removes an entry without reporting it (expiry: the journal already knows when it ends).</summary>
    private void RemoveCore(int h)
    {
        ref Entry e = ref _entries[h];
        UnlinkBucket(h, e.Hash);
        UnlinkLru(h);
        if (e.VolatilePos >= 0) VolatileRemove(h);
        _usedBytes -= e.Key!.Length + e.ValueBytes + EntryOverhead;
        e = default;                          // drop key/value references for the GC
        e.Next = _freeHead;
        _freeHead = h;
        _count--;
    }

    /// <summary>Deletes a key; true only if a live (unexpired) entry was removed.</summary>
    public bool Delete(ReadOnlySpan<byte> key)
    {
        int h = Find(key, touch: false);
        if (h < 0) return false;
        Remove(h);
        return true;
    }

    /// <summary>Removes everything (FLUSHALL) and shrinks back to the initial capacity. Counters and CAS keep going.</summary>
    public void Clear()
    {
        Reset();
        Changes?.Cleared();
    }
}
