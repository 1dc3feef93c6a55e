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
}

/// <summary>Which figure TTL-like commands report.</summary>
public enum TtlMode : byte { Seconds, Milliseconds, AbsoluteSeconds, AbsoluteMilliseconds }

[Flags]
public enum CommandOptions : ushort
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
    BadArgument = 1 << 12,   // a validation error Redis reports only after the key lookup (GETEX); Int2 = ErrorCode    // SCAN MATCH given (an empty pattern matches only the empty key)
}
