namespace CacheCluster.Core;

public enum ReplyKind : byte
{
    None = 0,   // not yet answered
    Ok,
    Nil,
    Integer,
    Bulk,       // Bulk holds the bytes (often a stored value's own array: never mutated)
    Simple,     // Text: a status word such as "string" or "none"
    Error,      // Error code (+ Text for detail)
    Keys,       // Extra = List<byte[]>
    ScanPage,   // Integer = next shard cursor, Extra = List<byte[]>
    Entry,      // Extra = EntrySnapshot
    Stats,      // Extra = ShardStats
    Status,     // memcached outcome: Integer = (long)McStatus
}

/// <summary>Why an operation failed, worded by each protocol's writer.</summary>
public enum ErrorCode : byte
{
    None = 0,
    WrongType,
    NotInteger,
    NotFloat,
    Overflow,          // increment or decrement would overflow
    NanOrInfinity,
    OutOfMemory,
    StringTooLong,
    OffsetOutOfRange,
    NoSuchKey,
    SameObject,        // COPY onto itself
    LfuNotSelected,
    InvalidExpireTime, // worded with the command's name by the protocol writer
    NonNumeric,        // memcached incr/decr on a value that is not a decimal unsigned 64-bit number
    Internal,          // an unexpected failure inside the shard (it restarted)
    Loading,           // the node is still recovering its data from the journal
    PersistenceFailed, // durability always: the write could not be stored, so it is not acknowledged
    TryAgain,          // cluster: the shard is moving or its owner is unreachable right now
    ClusterDown,       // cluster: this node is not serving (not joined, or cut off from the majority)
}

/// <summary>A shard's answer to one <see cref="Command"/>; a struct kept in the batch's array.</summary>
public struct Reply
{
    public ReplyKind Kind;
    public ErrorCode Error;
    public long Integer;
    public ReadOnlyMemory<byte> Bulk;
    public string? Text;
    public object? Extra;
    public uint Flags;
    public ulong Cas;
    public long Aux;       // McGet: seconds since last access
    public McMeta Meta;    // McGet: meta-protocol item state

    public static Reply Ok => new() { Kind = ReplyKind.Ok };
    public static Reply Nil => new() { Kind = ReplyKind.Nil };
    public static Reply Int(long v) => new() { Kind = ReplyKind.Integer, Integer = v };
    public static Reply Value(ReadOnlyMemory<byte> v) => new() { Kind = ReplyKind.Bulk, Bulk = v };
    public static Reply Status(string text) => new() { Kind = ReplyKind.Simple, Text = text };
    public static Reply Fail(ErrorCode code) => new() { Kind = ReplyKind.Error, Error = code };
    public static Reply Mc(McStatus status, ulong cas = 0) => new() { Kind = ReplyKind.Status, Integer = (long)status, Cas = cas };
}
