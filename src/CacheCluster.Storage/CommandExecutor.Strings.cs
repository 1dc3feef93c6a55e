using CacheCluster.Core;

namespace CacheCluster.Storage;

/// <summary>String commands: GET/SET family, counters, APPEND, ranges.</summary>
public sealed partial class CommandExecutor
{
    Reply Get(ref Command c)
    {
        int h = Read(c.Key.Span);
        if (h < 0) return Reply.Nil;
        if (!IsString(h))
            return (c.Options & CommandOptions.NilOnWrongType) != 0 ? Reply.Nil : Reply.Fail(ErrorCode.WrongType);
        return ValueReply(h);
    }

    Reply Set(ref Command c)
    {
        var o = c.Options;
        int h = store.Find(c.Key.Span, touch: false);
        bool returnOld = (o & CommandOptions.ReturnOld) != 0;
        Reply old = Reply.Nil;
        if (returnOld && h >= 0)
        {
            if (!IsString(h)) return Reply.Fail(ErrorCode.WrongType);
            old = ValueReply(h);
        }
        if (((o & CommandOptions.Nx) != 0 && h >= 0) || ((o & CommandOptions.Xx) != 0 && h < 0))
            return returnOld ? old : Reply.Nil;

        long expiresAt = 0;
        if ((o & CommandOptions.HasExpiry) != 0) expiresAt = c.Int1;
        else if ((o & CommandOptions.KeepTtl) != 0 && h >= 0) expiresAt = store.ExpiresAtOf(h);
        WriteString(c.Key.Span, h, c.Value!, c.Flags, expiresAt);
        return returnOld ? old : Reply.Ok;
    }

    /// <summary>Stores a value; an expiry already in the past deletes the key instead, as Redis does.</summary>
    void WriteString(ReadOnlySpan<byte> key, int existing, byte[] value, uint flags, long expiresAt)
    {
        if (expiresAt != 0 && expiresAt <= store.NowMs)
        {
            if (existing >= 0) store.Remove(existing);
            return;
        }
        store.Set(key, value, flags, expiresAt);
    }

    Reply SetNx(ref Command c)
    {
        if (store.Find(c.Key.Span, touch: false) >= 0) return Reply.Int(0);
        store.Set(c.Key.Span, c.Value!, c.Flags, 0);
        return Reply.Int(1);
    }

    Reply GetDel(ref Command c)
    {
        int h = Read(c.Key.Span);
        if (h < 0) return Reply.Nil;
        if (!IsString(h)) return Reply.Fail(ErrorCode.WrongType);
        var r = ValueReply(h);
        store.Remove(h);
        return r;
    }

    Reply GetEx(ref Command c)
    {
        int h = Read(c.Key.Span);
        if (h < 0) return Reply.Nil;
        if (!IsString(h)) return Reply.Fail(ErrorCode.WrongType);
        if ((c.Options & CommandOptions.BadArgument) != 0) return Reply.Fail((ErrorCode)c.Int2);
        var r = ValueReply(h);
        if ((c.Options & CommandOptions.HasExpiry) != 0)
        {
            if (c.Int1 <= store.NowMs) store.Remove(h);
            else store.SetExpiry(h, c.Int1);
        }
        else if ((c.Options & CommandOptions.Persist) != 0)
        {
            store.SetExpiry(h, 0);
        }
        return r;
    }

    Reply IncrBy(ref Command c)
    {
        int h = store.Find(c.Key.Span, touch: true);
        long current = 0;
        if (h >= 0)
        {
            if (!IsString(h)) return Reply.Fail(ErrorCode.WrongType);
            if (!RedisNumbers.TryParseInt64(store.StringOf(h), out current)) return Reply.Fail(ErrorCode.NotInteger);
        }
        long delta = c.Int1;
        if ((delta < 0 && current < 0 && delta < long.MinValue - current) ||
            (delta > 0 && current > 0 && delta > long.MaxValue - current))
            return Reply.Fail(ErrorCode.Overflow);
        long result = current + delta;
        var bytes = RedisNumbers.FormatInt64(result);
        if (h >= 0) store.ReplaceValue(h, bytes);
        else store.Set(c.Key.Span, bytes, 0, 0);
        return Reply.Int(result);
    }

    Reply IncrByFloat(ref Command c)
    {
        int h = store.Find(c.Key.Span, touch: true);
        var current = new RedisFloat.Number(0m);
        if (h >= 0)
        {
            if (!IsString(h)) return Reply.Fail(ErrorCode.WrongType);
            if (!RedisFloat.TryParse(store.StringOf(h), out current)) return Reply.Fail(ErrorCode.NotFloat);
        }
        if (!RedisFloat.TryParse(c.Value, out var increment)) return Reply.Fail(ErrorCode.NotFloat);
        if (!RedisFloat.TryAdd(current, increment, out var sum)) return Reply.Fail(ErrorCode.NanOrInfinity);
        var bytes = RedisFloat.Format(sum);
        if (h >= 0) store.ReplaceValue(h, bytes);
        else store.Set(c.Key.Span, bytes, 0, 0);
        return Reply.Value(bytes);
    }

    Reply Append(ref Command c)
    {
        var add = c.Value!;
        int h = store.Find(c.Key.Span, touch: true);
        if (h < 0)
        {
            // memcached's append (Xx) only works on an existing item
            if ((c.Options & CommandOptions.Xx) != 0) return Reply.Nil;
            store.Set(c.Key.Span, add, 0, 0);
            return Reply.Int(add.Length);
        }
        if (!IsString(h)) return Reply.Fail(ErrorCode.WrongType);
        var old = store.StringOf(h);
        long total = (long)old.Length + add.Length;
        if (total > MaxStringLength) return Reply.Fail(ErrorCode.StringTooLong);
        if (add.Length == 0) return Reply.Int(old.Length);
        var joined = new byte[total];
        // Prepend (memcached) is Append with the Replace option: new bytes go first
        if ((c.Options & CommandOptions.Replace) != 0)
        {
            add.CopyTo(joined, 0);
            old.CopyTo(joined, add.Length);
        }
        else
        {
            old.CopyTo(joined, 0);
            add.CopyTo(joined, old.Length);
        }
        store.ReplaceValue(h, joined);
        return Reply.Int(total);
    }

    Reply StrLen(ref Command c)
    {
        int h = Read(c.Key.Span);
        if (h < 0) return Reply.Int(0);
        if (!IsString(h)) return Reply.Fail(ErrorCode.WrongType);
        return Reply.Int(store.StringOf(h).Length);
    }

    Reply GetRange(ref Command c)
    {
        int h = Read(c.Key.Span);
        if (h < 0) return Reply.Value(ReadOnlyMemory<byte>.Empty);
        if (!IsString(h)) return Reply.Fail(ErrorCode.WrongType);
        var value = store.StringOf(h);
        long len = value.Length, start = c.Int1, end = c.Int2;
        if (start < 0 && end < 0 && start > end) return Reply.Value(ReadOnlyMemory<byte>.Empty);
        if (start < 0) start = len + start;
        if (end < 0) end = len + end;
        if (start < 0) start = 0;
        if (end < 0) end = 0;
        if (end >= len) end = len - 1;
        if (start > end || len == 0) return Reply.Value(ReadOnlyMemory<byte>.Empty);
        return Reply.Value(new ReadOnlyMemory<byte>(value, (int)start, (int)(end - start + 1)));
    }

    Reply SetRange(ref Command c)
    {
        var add = c.Value!;
        long offset = c.Int1;
        int h = store.Find(c.Key.Span, touch: true);
        if (h < 0)
        {
            if (add.Length == 0) return Reply.Int(0);
            if (offset > MaxStringLength - add.Length) return Reply.Fail(ErrorCode.StringTooLong);
            var fresh = new byte[offset + add.Length];
            add.CopyTo(fresh, offset);
            store.Set(c.Key.Span, fresh, 0, 0);
            return Reply.Int(fresh.Length);
        }
        if (!IsString(h)) return Reply.Fail(ErrorCode.WrongType);
        var old = store.StringOf(h);
        if (add.Length == 0) return Reply.Int(old.Length);
        if (offset > MaxStringLength - add.Length) return Reply.Fail(ErrorCode.StringTooLong);
        var updated = new byte[Math.Max(old.Length, offset + add.Length)];
        old.CopyTo(updated, 0);
        add.CopyTo(updated, offset);
        store.ReplaceValue(h, updated);
        return Reply.Int(updated.Length);
    }
}
