namespace CacheCluster.Core;

/// <summary>
/// The protocol-neutral operations a shard executes. Protocol decoders (RESP, memcached) turn
/// requests into <see cref="Command"/>s carrying one of these; the field meanings per op are
/// documented on <see cref="Command"/>.
/// </summary>
public enum Op : byte
{
    None = 0,

    // ---- single key, strings
    Get,            // value or Nil; Options.NilOnWrongType for MGET
    Set,            // Options: Nx/Xx/ReturnOld/KeepTtl/HasExpiry; Value; Int1 = absolute expiry ms; Flags
    GetDel,
    GetEx,          // Options: HasExpiry (Int1 absolute ms) or Persist
    IncrBy,         // Int1 = delta
    IncrByFloat,    // Value = the increment as text (parsed by the executor to keep Redis's precision rules)
    Append,
    StrLen,
    GetRange,       // Int1 = start, Int2 = end
    SetRange,       // Int1 = offset, Value
    SetNxCount,     // SETNX: Integer 1/0

    // ---- single key, generic
    Del,            // Integer 1/0
    Exists,         // Integer 1/0
    Touch,          // Integer 1/0
    Expire,         // Int1 = absolute expiry ms; Options: Nx/Xx/Gt/Lt
    Persist,
    Ttl,            // Int1 = TtlMode
    Type,
    ObjectEncoding,
    ObjectRefCount,
    ObjectIdleTime,
    ObjectFreq,
    MemoryUsage,
    Dump,           // whole entry for RENAME/COPY/MSETNX phases: Reply.Kind=Entry
    Restore,        // Extra = EntrySnapshot; Options.Nx = only if absent (else replace)
    RenameLocal,    // both keys in one shard: Key = source, Key2 = destination; Options.Nx for RENAMENX
    CopyLocal,      // Key = source, Key2 = destination; Options.Replace

    // ---- whole shard (routed by Command.Shard, not by key)
    DbSize,
    Flush,
    Keys,           // Pattern
    Scan,           // Int1 = shard cursor, Int2 = count, Pattern (empty = all), Options.TypeFilter + Value = type name
    RandomKey,
    ShardStats,     // Reply.Extra = ShardStats
    ConfigureMemory,// Int1 = max bytes for this shard, Int2 = (int)EvictionPolicy

    // ---- memcached (binary, text and meta). Expiry fields are absolute Unix ms, 0 = never;
    // an expiry in the past (e.g. 1) means "expired at once". Replies: see McStatus.
    McStore,        // Value, Flags, Int1 = expiry, Cas (0 = none); Options: Nx = add, Xx = replace,
                    // Append/Prepend, Invalidate (meta I). Reply: Kind Status, Integer = McStatus, Cas = new CAS
    McDelete,       // Cas (0 = none); Options.Invalidate + Int1 = new expiry (meta md I/T).
                    // Reply: Status Deleted / NotFound / Exists
    McIncr,         // Int1 = delta (unsigned, as bits), Int2 = initial (unsigned), Int3 = expiry of a created
                    // item, Cas; Options: Decrement, Create (auto-create on miss), UpdateTtl + Int4 = new expiry.
                    // Reply: Integer (unsigned, as bits) + Cas, or Status NotFound / Exists, or Error NonNumeric
    McTouch,        // Int1 = new expiry. Reply: Status Touched / NotFound
    McGat,          // get and touch: Int1 = new expiry. Reply: like McGet
    McGet,          // Reply: Bulk + Flags + Cas + Integer = TTL left in s (-1 = none) + Aux = s since last
                    // access + Meta bits, or Nil. Options: Touch (Int1 = new expiry), Vivify (Int3 = expiry
                    // of the empty item created on a miss; the reply then carries Meta.Win), NoLru (meta
                    // mg without touching LRU is not needed: always touch)
}

/// <summary>Outcome of a memcached mutation, worded per protocol by its writer.</summary>
public enum McStatus : byte
{
    Stored = 0,
    NotStored,
    Exists,
    NotFound,
    Deleted,
    Touched,
}

/// <summary>Per-item meta-protocol state returned with McGet (Reply.Meta).</summary>
[Flags]
public enum McMeta : byte
{
    None = 0,
    HitBefore = 1,   // the item had been fetched before this request (mg h)
    Stale = 2,       // the item was invalidated (mg X)
    Win = 4,         // this client won the right to recache (mg W)
    AlreadyWon = 8,  // another client already holds the win token (mg Z)
    Base64Key = 16,  // the item was stored with a base64 key (ms b): echo its key in base64
}

/// <summary>Which figure TTL-like commands report.</summary>
public enum TtlMode : byte { Seconds, Milliseconds, AbsoluteSeconds, AbsoluteMilliseconds }

[Flags]
public enum CommandOptions : uint
{
    None = 0,
    Nx = 1 << 0,
    Xx = 1 << 1,
    Gt = 1 << 2,
    Lt = 1 << 3,
    ReturnOld = 1 << 4,      // SET ... GET / GETSET
    KeepTtl = 1 << 5,
    HasExpiry = 1 << 6,      // Int1 holds an absolute expiry
    Persist = 1 << 7,
    NilOnWrongType = 1 << 8, // MGET answers nil for non-strings
    Replace = 1 << 9,
    TypeFilter = 1 << 10,
    HasPattern = 1 << 11,
    BadArgument = 1 << 12,   // a validation error Redis reports only after the key lookup (GETEX); Int2 = ErrorCode
    Append = 1 << 13,        // memcached append (McStore)
    Prepend = 1 << 14,       // memcached prepend (McStore)
    Invalidate = 1 << 15,    // meta I: mark stale instead of failing/deleting
    Decrement = 1 << 16,     // McIncr decrements
    Create = 1 << 17,        // McIncr creates a missing item with Int2, expiring at Int3
    UpdateTtl = 1 << 18,     // McIncr (meta ma T): set the expiry to Int4
    Touch = 1 << 19,         // McGet (meta mg T): set the expiry to Int1
    Vivify = 1 << 20,        // McGet (meta mg N): create an empty item on a miss, expiring at Int3
    Base64Key = 1 << 21,     // McStore (meta ms b): remember that the client speaks this key in base64    // SCAN MATCH given (an empty pattern matches only the empty key)
}
