namespace CacheCluster.Protocols.Resp.Commands;

/// <summary>How the replies of a request's shard commands become the one reply the client sees.</summary>
public enum RequestKind : byte
{
    Error,        // answered at once with ErrorText
    Local,        // connection/server command, answered by the connection itself
    Single,       // one shard command; its reply is the answer
    Array,        // MGET: an array of the commands' replies
    Sum,          // DEL/UNLINK/EXISTS/TOUCH: the sum of integer replies
    AllOk,        // MSET: +OK once every command answered
    SumDbSize,    // DBSIZE over all shards
    FlushOk,      // FLUSHDB/FLUSHALL over all shards
    KeysConcat,   // KEYS over all shards
    RandomPick,   // RANDOMKEY: one of the shards' random keys
    ScanPage,     // SCAN: one shard's page
    Coordinated,  // multi-phase across shards (RENAME, COPY, MSETNX): run by the connection
}

/// <summary>
/// A decoded RESP request: its command, how to assemble its reply, and the range of shard
/// commands it appended to the batch.
/// </summary>
public struct RespRequest
{
    public RequestKind Kind;
    public RespCommandDef? Def;
    public ArgumentList Args;
    public int First;        // index of the first shard command in the batch
    public int Count;        // number of shard commands
    public string? ErrorText;
    public int Shard;        // SCAN: the shard whose page this is
}
