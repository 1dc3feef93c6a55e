using CacheCluster.Core;

namespace CacheCluster.Protocols.Resp.Commands;

/// <summary>Generic key command syntax, whole-keyspace commands and the SCAN cursor.</summary>
public sealed partial class RespDecoder
{
    /// <summary>SCAN cursors carry the shard in the low 14 bits and the shard's own cursor above.</summary>
    public const int ScanShardBits = 14;

    void DecodeKeys(ref RespRequest req, RespCommandDef def, ArgumentList a, ICommandSink sink)
    {
        switch (def.Id)
        {
            case RespCommandId.Del: case RespCommandId.Unlink: MultiKey(ref req, a, sink, Op.Del); break;
            case RespCommandId.Exists: MultiKey(ref req, a, sink, Op.Exists); break;
            case RespCommandId.Touch: MultiKey(ref req, a, sink, Op.Touch); break;
            case RespCommandId.Expire: DecodeExpire(ref req, a, sink, seconds: true, relative: true, def.Name); break;
            case RespCommandId.PExpire: DecodeExpire(ref req, a, sink, seconds: false, relative: true, def.Name); break;
            case RespCommandId.ExpireAt: DecodeExpire(ref req, a, sink, seconds: true, relative: false, def.Name); break;
            case RespCommandId.PExpireAt: DecodeExpire(ref req, a, sink, seconds: false, relative: false, def.Name); break;
            case RespCommandId.Ttl: Single(ref req, sink, Op.Ttl, a, 1).Int1 = (long)TtlMode.Seconds; break;
            case RespCommandId.PTtl: Single(ref req, sink, Op.Ttl, a, 1).Int1 = (long)TtlMode.Milliseconds; break;
            case RespCommandId.ExpireTime: Single(ref req, sink, Op.Ttl, a, 1).Int1 = (long)TtlMode.AbsoluteSeconds; break;
            case RespCommandId.PExpireTime: Single(ref req, sink, Op.Ttl, a, 1).Int1 = (long)TtlMode.AbsoluteMilliseconds; break;
            case RespCommandId.Persist: Single(ref req, sink, Op.Persist, a, 1); break;
            case RespCommandId.Type: Single(ref req, sink, Op.Type, a, 1); break;
            case RespCommandId.Rename: DecodeRename(ref req, a, sink, nx: false); break;
            case RespCommandId.RenameNx: DecodeRename(ref req, a, sink, nx: true); break;
            case RespCommandId.Copy: DecodeCopy(ref req, a, sink); break;
            case RespCommandId.Object: DecodeObject(ref req, a, sink); break;
            case RespCommandId.Memory: DecodeMemory(ref req, a, sink); break;
            case RespCommandId.DbSize: req.Kind = RequestKind.SumDbSize; Broadcast(sink, Op.DbSize); break;
            case RespCommandId.FlushDb: case RespCommandId.FlushAll:
                if (a.Count > 2 || (a.Count == 2 && !a.Is(1, "ASYNC"u8) && !a.Is(1, "SYNC"u8))) { Fail(ref req, RespErrors.Syntax); break; }
                req.Kind = RequestKind.FlushOk;
                Broadcast(sink, Op.Flush);
                break;
            case RespCommandId.Keys:
                req.Kind = RequestKind.KeysConcat;
                for (int s = 0; s < Map.ShardCount; s++)
                {
                    ref var c = ref sink.Add(s);
                    c.Op = Op.Keys;
                    c.Pattern = a.Memory(1);
                }
                break;
            case RespCommandId.Scan: DecodeScan(ref req, a, sink); break;
            case RespCommandId.RandomKey: req.Kind = RequestKind.RandomPick; Broadcast(sink, Op.RandomKey); break;
            default: Fail(ref req, RespErrors.UnknownCommand(a)); break;
        }
    }

    void MultiKey(ref RespRequest req, ArgumentList a, ICommandSink sink, Op op)
    {
        req.Kind = RequestKind.Sum;
        for (int i = 1; i < a.Count; i++) Keyed(sink, op, a, i);
    }

    void DecodeExpire(ref RespRequest req, ArgumentList a, ICommandSink sink, bool seconds, bool relative, string name)
    {
        var o = CommandOptions.None;
        for (int j = 3; j < a.Count; j++)
        {
            if (a.Is(j, "NX"u8)) o |= CommandOptions.Nx;
            else if (a.Is(j, "XX"u8)) o |= CommandOptions.Xx;
            else if (a.Is(j, "GT"u8)) o |= CommandOptions.Gt;
            else if (a.Is(j, "LT"u8)) o |= CommandOptions.Lt;
            else
            {
                Fail(ref req, $"ERR Unsupported option {System.Text.Encoding.Latin1.GetString(a[j])}");
                return;
            }
        }
        if ((o & CommandOptions.Nx) != 0 && (o & (CommandOptions.Xx | CommandOptions.Gt | CommandOptions.Lt)) != 0)
        {
            Fail(ref req, "ERR NX and XX, GT or LT options at the same time are not compatible");
            return;
        }
        if ((o & CommandOptions.Gt) != 0 && (o & CommandOptions.Lt) != 0)
        {
            Fail(ref req, "ERR GT and LT options at the same time are not compatible");
            return;
        }
        if (!RedisNumbers.TryParseInt64(a[2], out long when))
        {
            Fail(ref req, RespErrors.NotInteger);
            return;
        }
        // EXPIRE accepts negative times (the key is deleted) but not overflowing ones
        if (seconds)
        {
            if (when > long.MaxValue / 1000 || when < long.MinValue / 1000) { Fail(ref req, RespErrors.InvalidExpire(name)); return; }
            when *= 1000;
        }
        if (relative)
        {
            long now = clock.NowMs;
            if (when > long.MaxValue - now) { Fail(ref req, RespErrors.InvalidExpire(name)); return; }
            when += now;
        }
        ref var c = ref Single(ref req, sink, Op.Expire, a, 1);
        c.Int1 = when;
        c.Options = o;
    }

    void DecodeRename(ref RespRequest req, ArgumentList a, ICommandSink sink, bool nx)
    {
        if (Map.ShardOf(a[1]) == Map.ShardOf(a[2]))
        {
            ref var c = ref Single(ref req, sink, Op.RenameLocal, a, 1);
            c.Key2 = a.Memory(2);
            if (nx) c.Options = CommandOptions.Nx;
            return;
        }
        req.Kind = RequestKind.Coordinated;
    }

    void DecodeCopy(ref RespRequest req, ArgumentList a, ICommandSink sink)
    {
        var o = CommandOptions.None;
        for (int j = 3; j < a.Count; j++)
        {
            if (a.Is(j, "REPLACE"u8)) o |= CommandOptions.Replace;
            else if (a.Is(j, "DB"u8) && j + 1 < a.Count)
            {
                if (!RedisNumbers.TryParseInt64(a[++j], out long db)) { Fail(ref req, RespErrors.NotInteger); return; }
                if (db != 0) { Fail(ref req, RespErrors.DbIndexOutOfRange); return; }
            }
            else { Fail(ref req, RespErrors.Syntax); return; }
        }
        if (a[1].SequenceEqual(a[2])) { Fail(ref req, RespErrors.SameObject); return; }
        if (Map.ShardOf(a[1]) == Map.ShardOf(a[2]))
        {
            ref var c = ref Single(ref req, sink, Op.CopyLocal, a, 1);
            c.Key2 = a.Memory(2);
            c.Options = o;
            return;
        }
        req.Kind = RequestKind.Coordinated;
    }

    void DecodeObject(ref RespRequest req, ArgumentList a, ICommandSink sink)
    {
        Op op;
        if (a.Is(1, "ENCODING"u8)) op = Op.ObjectEncoding;
        else if (a.Is(1, "REFCOUNT"u8)) op = Op.ObjectRefCount;
        else if (a.Is(1, "IDLETIME"u8)) op = Op.ObjectIdleTime;
        else if (a.Is(1, "FREQ"u8)) op = Op.ObjectFreq;
        else if (a.Is(1, "HELP"u8))
        {
            if (a.Count == 2) req.Kind = RequestKind.Local;
            else Fail(ref req, RespErrors.WrongArity("object|help"));
            return;
        }
        else { Fail(ref req, RespErrors.UnknownSubcommand(a[1], "object")); return; }
        if (a.Count != 3)
        {
            Fail(ref req, RespErrors.WrongArity("object|" + LowerAscii(a[1])));
            return;
        }
        Single(ref req, sink, op, a, 2);
    }

    void DecodeMemory(ref RespRequest req, ArgumentList a, ICommandSink sink)
    {
        if (a.Is(1, "HELP"u8))
        {
            if (a.Count == 2) req.Kind = RequestKind.Local;
            else Fail(ref req, RespErrors.WrongArity("memory|help"));
            return;
        }
        if (!a.Is(1, "USAGE"u8)) { Fail(ref req, RespErrors.UnknownSubcommand(a[1], "memory")); return; }
        if (a.Count < 3) { Fail(ref req, RespErrors.WrongArity("memory|usage")); return; }
        for (int j = 3; j < a.Count; j++)
        {
            if (a.Is(j, "SAMPLES"u8) && j + 1 < a.Count)
            {
                if (!RedisNumbers.TryParseInt64(a[++j], out _)) { Fail(ref req, RespErrors.NotInteger); return; }
            }
            else { Fail(ref req, RespErrors.Syntax); return; }
        }
        Single(ref req, sink, Op.MemoryUsage, a, 2);
    }

    void DecodeScan(ref RespRequest req, ArgumentList a, ICommandSink sink)
    {
        if (!TryParseCursor(a[1], out ulong cursor)) { Fail(ref req, RespErrors.InvalidCursor); return; }
        long count = 10;
        ReadOnlyMemory<byte> pattern = default, type = default;
        bool hasType = false, hasPattern = false;
        for (int j = 2; j < a.Count; j++)
        {
            bool hasNext = j + 1 < a.Count;
            if (a.Is(j, "COUNT"u8) && hasNext)
            {
                if (!RedisNumbers.TryParseInt64(a[++j], out count)) { Fail(ref req, RespErrors.NotInteger); return; }
                if (count < 1) { Fail(ref req, RespErrors.Syntax); return; }
            }
            else if (a.Is(j, "MATCH"u8) && hasNext) { pattern = a.Memory(++j); hasPattern = true; }
            else if (a.Is(j, "TYPE"u8) && hasNext) { type = a.Memory(++j); hasType = true; }
            else { Fail(ref req, RespErrors.Syntax); return; }
        }
        int shard = (int)(cursor & ((1UL << ScanShardBits) - 1));
        req.Kind = RequestKind.ScanPage;
        req.Shard = shard;
        if (shard >= Map.ShardCount) return; // a cursor we never issued: an empty, final page
        ref var c = ref sink.Add(shard);
        c.Op = Op.Scan;
        c.Int1 = (long)(cursor >> ScanShardBits);
        c.Int2 = count;
        // "*" matches everything: skip the matcher
        if (hasPattern && !(pattern.Length == 1 && pattern.Span[0] == (byte)'*'))
        {
            c.Pattern = pattern;
            c.Options |= CommandOptions.HasPattern;
        }
        if (hasType)
        {
            c.Options |= CommandOptions.TypeFilter;
            c.Value = LowerAscii(type.Span) is var t ? System.Text.Encoding.ASCII.GetBytes(t) : null;
        }
    }

    /// <summary>
    /// Redis 7.0's parseScanCursorOrReply is strtoul: an optional sign (a negative value wraps),
    /// decimal digits, nothing else; overflow is an invalid cursor.
    /// </summary>
    static bool TryParseCursor(ReadOnlySpan<byte> s, out ulong cursor)
    {
        cursor = 0;
        bool negative = false;
        if (s.Length > 0 && (s[0] == (byte)'+' || s[0] == (byte)'-'))
        {
            negative = s[0] == (byte)'-';
            s = s[1..];
        }
        if (s.Length == 0) return false;
        foreach (byte b in s)
        {
            uint d = (uint)(b - '0');
            if (d > 9) return false;
            if (cursor > (ulong.MaxValue - d) / 10) return false;
            cursor = cursor * 10 + d;
        }
        if (negative) cursor = 0 - cursor;
        return true;
    }

    static string LowerAscii(ReadOnlySpan<byte> s) => System.Text.Encoding.Latin1.GetString(s).ToLowerInvariant();
}
