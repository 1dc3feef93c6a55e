using CacheCluster.Core;

namespace CacheCluster.Protocols.Resp.Commands;

/// <summary>String command syntax: SET/GETEX options and expiry arguments, MSET pairs.</summary>
public sealed partial class RespDecoder
{
    [Flags]
    enum SetFlags
    {
        None = 0, Nx = 1, Xx = 2, Get = 4, KeepTtl = 8, Persist = 16, Ex = 32, Px = 64, ExAt = 128, PxAt = 256,
        AnyExpiry = Ex | Px | ExAt | PxAt,
    }

    void DecodeSet(ref RespRequest req, ArgumentList a, ICommandSink sink)
    {
        if (ParseExtended(a, 3, forSet: true, out var flags, out int expiryArg) is { } err)
        {
            Fail(ref req, err);
            return;
        }
        long expiresAt = 0;
        if (expiryArg > 0 && ExpiryFromFlags(a[expiryArg], flags, "set", out expiresAt) is { } expErr)
        {
            Fail(ref req, expErr);
            return;
        }
        ref var c = ref Single(ref req, sink, Op.Set, a, 1);
        c.Value = a.ToArray(2);
        c.Int1 = expiresAt;
        var o = CommandOptions.None;
        if ((flags & SetFlags.Nx) != 0) o |= CommandOptions.Nx;
        if ((flags & SetFlags.Xx) != 0) o |= CommandOptions.Xx;
        if ((flags & SetFlags.Get) != 0) o |= CommandOptions.ReturnOld;
        if ((flags & SetFlags.KeepTtl) != 0) o |= CommandOptions.KeepTtl;
        if (expiryArg > 0) o |= CommandOptions.HasExpiry;
        c.Options = o;
    }

    void DecodeGetEx(ref RespRequest req, ArgumentList a, ICommandSink sink)
    {
        if (ParseExtended(a, 2, forSet: false, out var flags, out int expiryArg) is { } err)
        {
            Fail(ref req, err);
            return;
        }
        long expiresAt = 0;
        string? expErr = expiryArg > 0 ? ExpiryFromFlags(a[expiryArg], flags, "getex", out expiresAt) : null;
        ref var c = ref Single(ref req, sink, Op.GetEx, a, 1);
        c.Int1 = expiresAt;
        if (expErr != null)
        {
            // Redis 7.0 looks the key up before validating the time: a missing key answers nil
            c.Options = CommandOptions.BadArgument;
            c.Int2 = (long)(expErr == RespErrors.NotInteger ? ErrorCode.NotInteger : ErrorCode.InvalidExpireTime);
        }
        else if (expiryArg > 0) c.Options = CommandOptions.HasExpiry;
        else if ((flags & SetFlags.Persist) != 0) c.Options = CommandOptions.Persist;
    }

    /// <summary>Redis's parseExtendedStringArgumentsOrReply, option for option.</summary>
    static string? ParseExtended(ArgumentList a, int from, bool forSet, out SetFlags flags, out int expiryArg)
    {
        flags = SetFlags.None;
        expiryArg = 0;
        for (int j = from; j < a.Count; j++)
        {
            bool hasNext = j < a.Count - 1;
            if (forSet && a.Is(j, "NX"u8) && (flags & SetFlags.Xx) == 0) flags |= SetFlags.Nx;
            else if (forSet && a.Is(j, "XX"u8) && (flags & SetFlags.Nx) == 0) flags |= SetFlags.Xx;
            else if (forSet && a.Is(j, "GET"u8)) flags |= SetFlags.Get;
            else if (forSet && a.Is(j, "KEEPTTL"u8) && (flags & (SetFlags.Persist | SetFlags.AnyExpiry)) == 0) flags |= SetFlags.KeepTtl;
            else if (!forSet && a.Is(j, "PERSIST"u8) && (flags & (SetFlags.AnyExpiry | SetFlags.KeepTtl)) == 0) flags |= SetFlags.Persist;
            else if (a.Is(j, "EX"u8) && hasNext && (flags & (SetFlags.KeepTtl | SetFlags.Persist | SetFlags.ExAt | SetFlags.Px | SetFlags.PxAt)) == 0)
            { flags |= SetFlags.Ex; expiryArg = ++j; }
            else if (a.Is(j, "PX"u8) && hasNext && (flags & (SetFlags.KeepTtl | SetFlags.Persist | SetFlags.Ex | SetFlags.ExAt | SetFlags.PxAt)) == 0)
            { flags |= SetFlags.Px; expiryArg = ++j; }
            else if (a.Is(j, "EXAT"u8) && hasNext && (flags & (SetFlags.KeepTtl | SetFlags.Persist | SetFlags.Ex | SetFlags.Px | SetFlags.PxAt)) == 0)
            { flags |= SetFlags.ExAt; expiryArg = ++j; }
            else if (a.Is(j, "PXAT"u8) && hasNext && (flags & (SetFlags.KeepTtl | SetFlags.Persist | SetFlags.Ex | SetFlags.ExAt | SetFlags.Px)) == 0)
            { flags |= SetFlags.PxAt; expiryArg = ++j; }
            else return RespErrors.Syntax;
        }
        return null;
    }

    string? ExpiryFromFlags(ReadOnlySpan<byte> arg, SetFlags flags, string command, out long expiresAt)
    {
        bool seconds = (flags & (SetFlags.Ex | SetFlags.ExAt)) != 0;
        bool relative = (flags & (SetFlags.Ex | SetFlags.Px)) != 0;
        return ParsePositiveExpiry(arg, seconds, relative, command, out expiresAt);
    }

    /// <summary>Redis's getExpireMillisecondsOrReply: positive, no overflow; returns an absolute Unix ms time.</summary>
    string? ParsePositiveExpiry(ReadOnlySpan<byte> arg, bool seconds, bool relative, string command, out long expiresAt)
    {
        expiresAt = 0;
        if (!RedisNumbers.TryParseInt64(arg, out long v)) return RespErrors.NotInteger;
        if (v <= 0 || (seconds && v > long.MaxValue / 1000)) return RespErrors.InvalidExpire(command);
        if (seconds) v *= 1000;
        if (relative)
        {
            long now = clock.NowMs;
            if (v > long.MaxValue - now) return RespErrors.InvalidExpire(command);
            v += now;
        }
        expiresAt = v;
        return null;
    }

    void DecodeSetEx(ref RespRequest req, ArgumentList a, ICommandSink sink, bool seconds)
    {
        if (ParsePositiveExpiry(a[2], seconds, relative: true, seconds ? "setex" : "psetex", out long expiresAt) is { } err)
        {
            Fail(ref req, err);
            return;
        }
        ref var c = ref Single(ref req, sink, Op.Set, a, 1);
        c.Value = a.ToArray(3);
        c.Int1 = expiresAt;
        c.Options = CommandOptions.HasExpiry;
    }

    void DecodeMSet(ref RespRequest req, ArgumentList a, ICommandSink sink, RespCommandDef def)
    {
        if (a.Count % 2 == 0)
        {
            Fail(ref req, RespErrors.WrongArity(def.Name));
            return;
        }
        req.Kind = RequestKind.AllOk;
        for (int i = 1; i < a.Count; i += 2)
            Keyed(sink, Op.Set, a, i).Value = a.ToArray(i + 1);
    }
}
