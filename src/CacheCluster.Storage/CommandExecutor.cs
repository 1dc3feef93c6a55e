using CacheCluster.Core;

namespace CacheCluster.Storage;

/// <summary>
/// Applies protocol-neutral <see cref="Command"/>s to one shard's <see cref="CacheStore"/> with
/// Redis 7's semantics (memcached's variants are expressed through the same ops and options).
/// Single-threaded like the store; knows nothing of sockets, protocols or actors.
/// </summary>
public sealed partial class CommandExecutor(CacheStore store)
{
    /// <summary>Redis's proto-max-bulk-len: no string may grow past it.</summary>
    public const long MaxStringLength = 512L * 1024 * 1024;

    readonly List<int> _handles = new();

    public CacheStore Store => store;
    public long Hits { get; private set; }
    public long Misses { get; private set; }

    public Reply Execute(ref Command c)
    {
        // Like Redis's processCommand: with a budget set, evict before every command, and refuse
        // commands that may grow memory when eviction cannot get under the budget.
        if (store.MaxMemoryBytes > 0 && !store.EnsureMemory() && IsDenyOom(c.Op))
            return Reply.Fail(ErrorCode.OutOfMemory);
        return c.Op switch
        {
            Op.Get => Get(ref c),
            Op.Set => Set(ref c),
            Op.SetNxCount => SetNx(ref c),
            Op.GetDel => GetDel(ref c),
            Op.GetEx => GetEx(ref c),
            Op.IncrBy => IncrBy(ref c),
            Op.IncrByFloat => IncrByFloat(ref c),
            Op.Append => Append(ref c),
            Op.StrLen => StrLen(ref c),
            Op.GetRange => GetRange(ref c),
            Op.SetRange => SetRange(ref c),
            Op.Del => Reply.Int(store.Delete(c.Key.Span) ? 1 : 0),
            Op.Exists => Reply.Int(Read(c.Key.Span, touch: false) >= 0 ? 1 : 0),
            Op.Touch => Reply.Int(Read(c.Key.Span, touch: true) >= 0 ? 1 : 0),
            Op.Expire => Expire(ref c),
            Op.Persist => Persist(ref c),
            Op.Ttl => Ttl(ref c),
            Op.Type => Type(ref c),
            Op.ObjectEncoding => ObjectEncoding(ref c),
            Op.ObjectRefCount => ObjectRefCount(ref c),
            Op.ObjectIdleTime => ObjectIdleTime(ref c),
            Op.ObjectFreq => ObjectFreq(ref c),
            Op.MemoryUsage => MemoryUsage(ref c),
            Op.Dump => Dump(ref c),
            Op.Restore => Restore(ref c),
            Op.RenameLocal => RenameLocal(ref c),
            Op.CopyLocal => CopyLocal(ref c),
            Op.DbSize => Reply.Int(store.Count),
            Op.Flush => Flush(),
            Op.Keys => Keys(ref c),
            Op.Scan => Scan(ref c),
            Op.RandomKey => RandomKey(),
            Op.ShardStats => Stats(),
            Op.ConfigureMemory => Configure(ref c),
            Op.McGet => McGet(ref c),
            Op.McGat => McGat(ref c),
            Op.McTouch => McTouch(ref c),
            Op.McStore => McStore(ref c),
            Op.McDelete => McDelete(ref c),
            Op.McIncr => McIncr(ref c),
            _ => Reply.Fail(ErrorCode.Internal),
        };
    }

    /// <summary>Commands Redis refuses under memory pressure ("denyoom"): those that can grow memory.</summary>
    static bool IsDenyOom(Op op) => op is Op.Set or Op.SetNxCount or Op.IncrBy or Op.IncrByFloat or Op.Append
        or Op.SetRange or Op.Restore or Op.CopyLocal or Op.McStore or Op.McIncr;

    /// <summary>A read lookup that counts keyspace hits and misses, as Redis's lookupKeyRead does.</summary>
    int Read(ReadOnlySpan<byte> key, bool touch = true)
    {
        int h = store.Find(key, touch);
        if (h < 0) Misses++; else Hits++;
        return h;
    }

    bool IsString(int h) => store.KindOf(h) == ValueKind.String;

    Reply ValueReply(int h) => new()
    {
        Kind = ReplyKind.Bulk,
        Bulk = store.StringOf(h),
        Flags = store.FlagsOf(h),
        Cas = store.CasOf(h),
    };

    Reply Flush()
    {
        store.Clear();
        return Reply.Ok;
    }

    Reply Configure(ref Command c)
    {
        store.MaxMemoryBytes = c.Int1;
        store.Policy = (EvictionPolicy)c.Int2;
        return Reply.Ok;
    }

    Reply Stats() => new()
    {
        Kind = ReplyKind.Stats,
        Extra = new ShardStats
        {
            Keys = store.Count,
            VolatileKeys = store.VolatileCount,
            UsedBytes = store.UsedBytes,
            MaxBytes = store.MaxMemoryBytes,
            Hits = Hits,
            Misses = Misses,
            Expired = store.ExpiredKeys,
            Evicted = store.EvictedKeys,
            TotalItems = TotalItems,
        },
    };

    public void ResetStats()
    {
        Hits = 0;
        Misses = 0;
    }
}
