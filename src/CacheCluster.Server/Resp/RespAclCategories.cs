namespace CacheCluster.Server.Resp;

/// <summary>
/// Redis 7's ACL categories per command, in Redis's order (its category bit order), as COMMAND
/// INFO reports them.
/// </summary>
public static class RespAclCategories
{
    static readonly Dictionary<string, string[]> ByCommand = new()
    {
        ["get"] = ["@read", "@string", "@fast"], ["set"] = ["@write", "@string", "@slow"],
        ["setnx"] = ["@write", "@string", "@fast"], ["setex"] = ["@write", "@string", "@slow"],
        ["psetex"] = ["@write", "@string", "@slow"], ["getset"] = ["@write", "@string", "@fast"],
        ["getdel"] = ["@write", "@string", "@fast"], ["getex"] = ["@write", "@string", "@fast"],
        ["mget"] = ["@read", "@string", "@fast"], ["mset"] = ["@write", "@string", "@slow"],
        ["msetnx"] = ["@write", "@string", "@slow"], ["incr"] = ["@write", "@string", "@fast"],
        ["decr"] = ["@write", "@string", "@fast"], ["incrby"] = ["@write", "@string", "@fast"],
        ["decrby"] = ["@write", "@string", "@fast"], ["incrbyfloat"] = ["@write", "@string", "@fast"],
        ["append"] = ["@write", "@string", "@fast"], ["strlen"] = ["@read", "@string", "@fast"],
        ["getrange"] = ["@read", "@string", "@slow"], ["substr"] = ["@read", "@string", "@slow"],
        ["setrange"] = ["@write", "@string", "@slow"],
        ["del"] = ["@keyspace", "@write", "@slow"], ["unlink"] = ["@keyspace", "@write", "@fast"],
        ["exists"] = ["@keyspace", "@read", "@fast"], ["touch"] = ["@keyspace", "@read", "@fast"],
        ["expire"] = ["@keyspace", "@write", "@fast"], ["pexpire"] = ["@keyspace", "@write", "@fast"],
        ["expireat"] = ["@keyspace", "@write", "@fast"], ["pexpireat"] = ["@keyspace", "@write", "@fast"],
        ["ttl"] = ["@keyspace", "@read", "@fast"], ["pttl"] = ["@keyspace", "@read", "@fast"],
        ["expiretime"] = ["@keyspace", "@read", "@fast"], ["pexpiretime"] = ["@keyspace", "@read", "@fast"],
        ["persist"] = ["@keyspace", "@write", "@fast"], ["type"] = ["@keyspace", "@read", "@fast"],
        ["rename"] = ["@keyspace", "@write", "@slow"], ["renamenx"] = ["@keyspace", "@write", "@fast"],
        ["copy"] = ["@keyspace", "@write", "@slow"], ["keys"] = ["@keyspace", "@read", "@slow", "@dangerous"],
        ["scan"] = ["@keyspace", "@read", "@slow"], ["randomkey"] = ["@keyspace", "@read", "@slow"],
        ["dbsize"] = ["@keyspace", "@read", "@fast"], ["flushdb"] = ["@keyspace", "@write", "@slow", "@dangerous"],
        ["flushall"] = ["@keyspace", "@write", "@slow", "@dangerous"],
        ["object"] = ["@slow"], ["memory"] = ["@slow"], ["client"] = ["@slow"], ["config"] = ["@slow"],
        ["cluster"] = ["@slow"], ["command"] = ["@slow", "@connection"], ["info"] = ["@slow", "@dangerous"],
        ["time"] = ["@fast"], ["ping"] = ["@fast", "@connection"], ["echo"] = ["@fast", "@connection"],
        ["quit"] = ["@fast", "@connection"], ["hello"] = ["@fast", "@connection"], ["auth"] = ["@fast", "@connection"],
        ["reset"] = ["@fast", "@connection"], ["select"] = ["@fast", "@connection"],
    };

    public static string[] Of(string command) => ByCommand.TryGetValue(command, out var c) ? c : ["@slow"];
}
