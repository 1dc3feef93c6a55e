namespace CacheCluster.Protocols.Resp.Commands;

/// <summary>Every command the RESP endpoint knows.</summary>
public enum RespCommandId : byte
{
    Unknown = 0,
    // connection / server (answered by the connection, not by shards)
    Ping, Echo, Quit, Hello, Select, Client, Command, Info, Config, Time, Cluster, Auth, Reset,
    // whole keyspace
    DbSize, FlushDb, FlushAll, Keys, Scan, RandomKey,
    // strings
    Get, Set, SetNx, SetEx, PSetEx, GetSet, GetDel, GetEx, MGet, MSet, MSetNx,
    Incr, Decr, IncrBy, DecrBy, IncrByFloat, Append, StrLen, GetRange, SetRange, Substr,
    // keys
    Del, Unlink, Exists, Touch, Expire, PExpire, ExpireAt, PExpireAt, Ttl, PTtl, ExpireTime, PExpireTime,
    Persist, Type, Rename, RenameNx, Copy, Object, Memory,
}
