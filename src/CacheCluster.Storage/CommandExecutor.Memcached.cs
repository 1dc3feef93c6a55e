using CacheCluster.Core;

namespace CacheCluster.Storage;

/// <summary>
/// memcached 1.6 semantics (binary, text and meta protocols share them): CAS checks, add/replace,
/// append/prepend, unsigned incr/decr, touch, and the meta protocol's stale/win item state.
/// </summary>
public sealed partial class CommandExecutor
{
    // MetaBits of an entry, private to this layer
    const byte Fetched = 1, StaleBit = 2, WinTaken = 4, KeyBase64 = 8;

    public long TotalItems { get; private set; }   // successful stores, for memcached's total_items

    Reply McGet(ref Command c)
    {
        int h = Read(c.Key.Span, touch: false);
        if (h < 0 || !IsString(h))
        {
            if ((c.Options & CommandOptions.Vivify) == 0) return Reply.Nil;
            // meta N: create an empty placeholder; this client wins the right to fill it
            h = store.Set(c.Key.Span, [], 0, c.Int3);
            store.SetMetaBits(h, WinTaken | Fetched);
            TotalItems++;
            var created = ValueReply(h);
            created.Integer = TtlSeconds(h);
            created.Meta = McMeta.Win;
            return created;
        }
        var r = ValueReply(h);
        long lastAccess = store.LastAccessOf(h);
        byte bits = store.MetaBitsOf(h);
        var meta = (bits & Fetched) != 0 ? McMeta.HitBefore : McMeta.None;
        if ((bits & KeyBase64) != 0) meta |= McMeta.Base64Key;
        if ((bits & StaleBit) != 0)
        {
            meta |= McMeta.Stale;
            if ((bits & WinTaken) == 0) { meta |= McMeta.Win; bits |= WinTaken; }
            else meta |= McMeta.AlreadyWon;
        }
        else if ((bits & WinTaken) != 0)
        {
            meta |= McMeta.AlreadyWon; // a vivified placeholder someone else is filling
        }
        store.SetMetaBits(h, (byte)(bits | Fetched));
        if ((c.Options & CommandOptions.Touch) != 0) store.SetExpiry(h, c.Int1);
        store.Touch(h);
        r.Integer = TtlSeconds(h);
        r.Aux = Math.Max(0, store.NowMs - lastAccess) / 1000;
        r.Meta = meta;
        return r;
    }

    long TtlSeconds(int h)
    {
        long exp = store.ExpiresAtOf(h);
        if (exp == 0) return -1;
        long left = exp - store.NowMs;
        // an item touched into the past is still returned once; memcached then prints its negative
        // TTL as an unsigned 32-bit number, so clients see a large positive figure, not 0
        if (left <= 0) return (uint)(int)Math.Max(int.MinValue, Math.Min(-1, left / 1000));
        return (left + 999) / 1000;
    }

    Reply McGat(ref Command c)
    {
        c.Options |= CommandOptions.Touch;
        return McGet(ref c);
    }

    Reply McTouch(ref Command c)
    {
        int h = store.Find(c.Key.Span, touch: true);
        if (h < 0) return Reply.Mc(McStatus.NotFound);
        store.SetMetaBits(h, (byte)(store.MetaBitsOf(h) | Fetched)); // memcached counts a touch as a fetch
        // memcached's binary TOUCH answers with the item's flags and CAS
        var touched = new Reply { Kind = ReplyKind.Status, Integer = (long)McStatus.Touched, Flags = store.FlagsOf(h), Cas = store.CasOf(h) };
        if (c.Int1 != 0 && c.Int1 <= store.NowMs) store.Remove(h);
        else store.SetExpiry(h, c.Int1);
        return touched;
    }

    Reply McStore(ref Command c)
    {
        var o = c.Options;
        var key = c.Key.Span;
        int h = store.Find(key, touch: false);
        if (h >= 0 && !IsString(h)) h = -1; // memcached cannot see other types: treat as absent
        ulong cas = c.Cas;

        if ((o & (CommandOptions.Append | CommandOptions.Prepend)) != 0)
        {
            if (h < 0) return Reply.Mc(McStatus.NotStored);
            if (cas != 0 && store.CasOf(h) != cas) return Reply.Mc(McStatus.Exists);
            var old = store.StringOf(h);
            var add = c.Value!;
            if ((long)old.Length + add.Length > MaxStringLength) return Reply.Fail(ErrorCode.StringTooLong);
            // Int2 = memcached's item size limit: the grown item must still fit, else NOT_STORED
            if (c.Int2 > 0 && MemcachedItem.Size(c.Key.Length, store.FlagsOf(h), old.Length + add.Length) > c.Int2)
                return Reply.Mc(McStatus.NotStored);
            var joined = new byte[old.Length + add.Length];
            bool prepend = (o & CommandOptions.Prepend) != 0;
            (prepend ? add : old).CopyTo(joined, 0);
            (prepend ? old : add).CopyTo(joined, prepend ? add.Length : old.Length);
            store.ReplaceValue(h, joined);
            store.SetMetaBits(h, (byte)(store.MetaBitsOf(h) & KeyBase64)); // memcached makes a new item: fresh state
            TotalItems++;
            return Reply.Mc(McStatus.Stored, store.CasOf(h));
        }

        bool stale = false;
        if (cas != 0)
        {
            if (h < 0) return Reply.Mc(McStatus.NotFound);
            ulong current = store.CasOf(h);
            if (current != cas)
            {
                // meta ms I: an older CAS still stores, but as a stale item
                if ((o & CommandOptions.Invalidate) == 0 || cas > current) return Reply.Mc(McStatus.Exists);
                stale = true;
            }
        }
        else if ((o & CommandOptions.Nx) != 0 && h >= 0) return Reply.Mc(McStatus.NotStored);
        else if ((o & CommandOptions.Xx) != 0 && h < 0) return Reply.Mc(McStatus.NotStored);

        // a stale store (meta ms I with an older CAS) keeps the item's TTL
        long expiresAt = stale ? store.ExpiresAtOf(h) : c.Int1;
        if (expiresAt != 0 && expiresAt <= store.NowMs)
        {
            // memcached stores an already-expired item (with a CAS of its own): it is simply never found again
            if (h >= 0) store.Remove(h);
            TotalItems++;
            return Reply.Mc(McStatus.Stored, store.TakeCas());
        }
        int nh = store.Set(key, ValueKind.String, c.Value!, c.Value!.Length, c.Flags, expiresAt, (ulong)c.Int4);
        byte bits = stale ? StaleBit : (byte)0;
        if ((o & CommandOptions.Base64Key) != 0) bits |= KeyBase64;
        if (bits != 0) store.SetMetaBits(nh, bits);
        TotalItems++;
        return Reply.Mc(McStatus.Stored, store.CasOf(nh));
    }

    Reply McDelete(ref Command c)
    {
        int h = store.Find(c.Key.Span, touch: false);
        if (h < 0) return Reply.Mc(McStatus.NotFound);
        if (c.Cas != 0 && store.CasOf(h) != c.Cas) return Reply.Mc(McStatus.Exists);
        if ((c.Options & CommandOptions.Invalidate) != 0)
        {
            // meta md I: keep the item but mark it stale (the next reader wins the recache)
            store.SetMetaBits(h, (byte)(store.MetaBitsOf(h) & (Fetched | KeyBase64) | StaleBit));
            store.BumpCas(h);
            if (c.Int1 != 0) store.SetExpiry(h, c.Int1);
            return Reply.Mc(McStatus.Deleted);
        }
        store.Remove(h);
        return Reply.Mc(McStatus.Deleted);
    }

    Reply McIncr(ref Command c)
    {
        var key = c.Key.Span;
        int h = store.Find(key, touch: true);
        if (h >= 0 && !IsString(h)) h = -1;
        if (h < 0)
        {
            if ((c.Options & CommandOptions.Create) == 0) return Reply.Mc(McStatus.NotFound);
            var initial = FormatUnsigned((ulong)c.Int2);
            if (c.Int3 != 0 && c.Int3 <= store.NowMs)
                return new Reply { Kind = ReplyKind.Integer, Integer = c.Int2, Cas = store.TakeCas(), Aux = -1, Meta = McMeta.Win };
            int created = store.Set(key, initial, 0, c.Int3);
            TotalItems++;
            // meta ma N: the client that created the item is told it won
            return new Reply { Kind = ReplyKind.Integer, Integer = c.Int2, Cas = store.CasOf(created), Aux = TtlSeconds(created), Meta = McMeta.Win };
        }
        var old = store.StringOf(h);
        if (old.Length == 0) return Reply.Fail(ErrorCode.NonNumeric); // memcached checks this before the CAS
        if (c.Cas != 0 && store.CasOf(h) != c.Cas) return Reply.Mc(McStatus.Exists);
        if (!TryParseUnsigned(old, out ulong value)) return Reply.Fail(ErrorCode.NonNumeric);
        ulong delta = (ulong)c.Int1;
        if ((c.Options & CommandOptions.Decrement) != 0) value = delta > value ? 0 : value - delta;
        else value = unchecked(value + delta);   // incr wraps at 2^64
        var text = FormatUnsigned(value);
        if (text.Length < old.Length)
        {
            // memcached rewrites a shrinking number in place, padding with spaces to the old length
            var padded = new byte[old.Length];
            text.CopyTo(padded, 0);
            padded.AsSpan(text.Length).Fill((byte)' ');
            text = padded;
        }
        store.ReplaceValue(h, text);
        if ((c.Options & CommandOptions.UpdateTtl) != 0) store.SetExpiry(h, c.Int4);
        return new Reply { Kind = ReplyKind.Integer, Integer = (long)value, Cas = store.CasOf(h), Aux = TtlSeconds(h) };
    }

    /// <summary>memcached's safe_strtoull: optional leading spaces, digits, then only spaces; no sign.</summary>
    static bool TryParseUnsigned(ReadOnlySpan<byte> s, out ulong value)
    {
        value = 0;
        int i = 0;
        while (i < s.Length && s[i] == (byte)' ') i++;
        int start = i;
        for (; i < s.Length; i++)
        {
            uint d = (uint)(s[i] - (byte)'0');
            if (d > 9) break;
            if (value > (ulong.MaxValue - d) / 10) return false;
            value = value * 10 + d;
        }
        if (i == start) return false;
        for (; i < s.Length; i++) if (s[i] != (byte)' ') return false;
        return true;
    }

    static byte[] FormatUnsigned(ulong v)
    {
        Span<byte> buf = stackalloc byte[20];
        System.Buffers.Text.Utf8Formatter.TryFormat(v, buf, out int n);
        return buf[..n].ToArray();
    }
}
