using CacheCluster.Integration.Tests.Infrastructure;

namespace CacheCluster.Integration.Tests.Differential;

/// <summary>Fixed command sequences for the edge cases called out in the contract; compared against redis-server.</summary>
public static class EdgeCases
{
    private static RespCommand X(params object[] args) => new("edge", RespClient.Args(args), ReplyRules.Exact);
    private static RespCommand CmdInfo(params string[] names) => new("edge", RespClient.Args(new object[] { "COMMAND", "INFO" }.Concat(names).ToArray()), ReplyRules.CommandInfo);
    private static RespCommand Near(long tol, params object[] args) => new("edge", RespClient.Args(args), ReplyRules.IntegerNear(tol));

    private static readonly byte[] BinKey = { (byte)'b', 0, (byte)'\r', (byte)'\n', (byte)'k' };
    private static readonly byte[] BinVal = { 0, 1, 2, (byte)'\r', (byte)'\n', 255, 0 };
    private static readonly byte[] Big = Enumerable.Repeat((byte)'q', 512 * 1024).ToArray();

    public static readonly IReadOnlyDictionary<string, Func<IEnumerable<RespCommand>>> Groups = new Dictionary<string, Func<IEnumerable<RespCommand>>>
    {
        ["arity"] = () => new[]
        {
            X("GET"), X("GET", "a", "b"), X("SET", "a"), X("SET"), X("MGET"), X("MSET", "a"), X("MSET", "a", "1", "b"), X("MSETNX", "a"),
            X("INCR"), X("INCRBY", "a"), X("DEL"), X("EXISTS"), X("EXPIRE", "a"), X("TTL"), X("GETRANGE", "a", "0"), X("SETRANGE", "a", "0"),
            X("APPEND", "a"), X("STRLEN"), X("ECHO"), X("ECHO", "a", "b"), X("PING", "a", "b"), X("DBSIZE", "x"), X("RENAME", "a"),
            X("COPY", "a"), X("TYPE"), X("KEYS"), X("SCAN"), X("OBJECT"), X("CLIENT"), X("CONFIG"), X("MEMORY"), X("GETEX"), X("GETDEL"),
            X("SETEX", "a", "10"), X("PSETEX", "a"), X("GETSET", "a"), X("SETNX", "a"), X("PERSIST"), X("TOUCH"), X("UNLINK"),
            X("EXPIRETIME"), X("PEXPIRETIME"), X("INCRBYFLOAT", "a"), X("DECRBY", "a"), X("SELECT"), X("TIME", "x"), X("RANDOMKEY", "x"),
            X("FLUSHDB", "a", "b"), X("CLUSTER"), X("HELLO", "3", "AUTH"),
        },
        ["unknown-and-case"] = () => new[]
        {
            X("foo", "a", "b"), X("FOO"), X("foo", "a b", "c\r\nd"), X("gEt", "x"), X("set", "x", "1"), X("Get", "x"), X("iNcR", "x"),
            X("OBJECT", "nope", "x"), X("object", "Nope"), X("CLIENT", "nope"), X("CONFIG", "nope"), X("COMMAND", "nope"), X("MEMORY", "nope"),
            X("CLUSTER", "nope"), X(new string('x', 200), new string('y', 200)), X("", ""),
        },
        ["incr"] = () => new[]
        {
            X("SET", "n", "9223372036854775806"), X("INCR", "n"), X("INCR", "n"), X("GET", "n"),
            X("SET", "n", "-9223372036854775807"), X("DECR", "n"), X("DECR", "n"), X("GET", "n"),
            X("SET", "m", "1"), X("INCRBY", "m", "9223372036854775807"), X("INCRBY", "m", "-9223372036854775808"), X("DECRBY", "m", "-9223372036854775808"),
            X("INCRBY", "m", "1.5"), X("INCRBY", "m", "abc"), X("INCRBY", "m", ""), X("INCRBY", "m", " 1"), X("INCRBY", "m", "99999999999999999999"),
            X("SET", "s", "abc"), X("INCR", "s"), X("SET", "s", " 1"), X("INCR", "s"), X("SET", "s", "1 "), X("INCR", "s"), X("SET", "s", "007"), X("INCR", "s"),
            X("SET", "s", "+1"), X("INCR", "s"), X("SET", "s", "-0"), X("INCR", "s"), X("SET", "s", ""), X("INCR", "s"), X("INCR", "fresh"), X("DECR", "fresh2"),
            X("SET", "b", BinVal), X("INCR", "b"), X("SET", "s", "12345678901234567890"), X("INCR", "s"),
        },
        ["incrbyfloat"] = () => new[]
        {
            X("SET", "f", "10.50"), X("INCRBYFLOAT", "f", "0.1"), X("INCRBYFLOAT", "f", "-5.0e3"), X("INCRBYFLOAT", "f", "2.0e2"),
            X("INCRBYFLOAT", "g", "3"), X("INCRBYFLOAT", "g", "1e308"), X("INCRBYFLOAT", "g", "1e308"), X("INCRBYFLOAT", "g", "inf"),
            X("INCRBYFLOAT", "g", "nan"), X("INCRBYFLOAT", "g", "-inf"), X("INCRBYFLOAT", "g", "abc"), X("INCRBYFLOAT", "g", ""),
            X("INCRBYFLOAT", "g", " 2"), X("INCRBYFLOAT", "g", "0x10"), X("INCRBYFLOAT", "g", "5.0000000000000001"), X("INCRBYFLOAT", "g", "1e-320"),
            X("INCRBYFLOAT", "h", "0.1"), X("INCRBYFLOAT", "h", "0.2"), X("INCRBYFLOAT", "h", "-0.3"), X("GET", "h"),
            X("SET", "i", "1e3"), X("INCRBYFLOAT", "i", "1"), X("SET", "i", "abc"), X("INCRBYFLOAT", "i", "1"),
            X("SET", "i", "5"), X("INCRBYFLOAT", "i", "1.5"), X("INCR", "i"), X("INCRBYFLOAT", "j", "10."), X("INCRBYFLOAT", "j", ".5"),
            X("INCRBYFLOAT", "j", "1.7976931348623157e308"), X("INCRBYFLOAT", "k", "123456789012345678"), X("INCRBYFLOAT", "k", "0.000001"),
            X("INCRBYFLOAT", "l", "-0"), X("GET", "l"), X("INCRBYFLOAT", "l", "3.0"), X("GET", "l"),
        },
        ["set-options"] = () => new[]
        {
            X("SET", "a", "1", "NX", "XX"), X("SET", "a", "1", "EX", "10", "PX", "100"), X("SET", "a", "1", "EX", "0"), X("SET", "a", "1", "EX", "-1"),
            X("SET", "a", "1", "PX", "0"), X("SET", "a", "1", "EX", "abc"), X("SET", "a", "1", "EX"), X("SET", "a", "1", "EX", "9223372036854775807"),
            X("SET", "a", "1", "PX", "9223372036854775807"), X("SET", "a", "1", "EXAT", "9223372036854775807"), X("SET", "a", "1", "EX", "10", "KEEPTTL"),
            X("SET", "a", "1", "BOGUS"), X("SET", "a", "1", "GET", "GET"), X("SET", "a", "1", "nx"), X("SET", "a", "2", "NX"), X("GET", "a"),
            X("SET", "a", "3", "XX", "GET"), X("SET", "nokey", "3", "XX"), X("SET", "nokey", "3", "XX", "GET"), X("SET", "a", "4", "NX", "GET"),
            X("SET", "a", "5", "EX", "100"), Near(2, "TTL", "a"), X("SET", "a", "6", "KEEPTTL"), Near(2, "TTL", "a"), X("SET", "a", "7"), X("TTL", "a"),
            X("SET", "a", "8", "EXAT", "1"), X("GET", "a"), X("EXISTS", "a"), X("SET", "a", "9", "PXAT", "1000"), X("GET", "a"),
            X("SET", "a", "1", "ex", "100", "get"), X("SET", "a", "1", "PXAT", "abc"), X("SETEX", "a", "0", "v"), X("SETEX", "a", "-5", "v"),
            X("PSETEX", "a", "0", "v"), X("SETEX", "a", "abc", "v"), X("SETNX", "a", "z"), X("SETNX", "new", "z"), X("GET", "new"),
        },
        ["getex"] = () => new[]
        {
            X("SET", "a", "v"), X("GETEX", "a", "PERSIST", "EX", "5"), X("GETEX", "a", "EX", "5", "PX", "100"), X("GETEX", "a", "EX", "0"),
            X("GETEX", "a", "EX", "-1"), X("GETEX", "a", "BOGUS"), X("GETEX", "a", "EX"), X("GETEX", "a", "KEEPTTL"), X("GETEX", "missing", "EX", "100"),
            X("GETEX", "a", "EX", "100"), Near(2, "TTL", "a"), X("GETEX", "a", "PERSIST"), X("TTL", "a"), X("GETEX", "a", "PXAT", "1"), X("EXISTS", "a"),
            X("SET", "b", "v"), X("GETDEL", "b"), X("GETDEL", "b"), X("GETSET", "b", "1"), X("GETSET", "b", "2"), X("GET", "b"),
            X("GETEX", "b", "EX", "9223372036854775807"), X("GETEX", "b", "PX", "9223372036854775807"), X("GETEX", "b", "EXAT", "0"),
        },
        ["expire"] = () => new[]
        {
            X("SET", "a", "v"), X("EXPIRE", "a", "100", "NX"), X("EXPIRE", "a", "200", "NX"), X("EXPIRE", "a", "300", "XX"),
            X("EXPIRE", "a", "100", "GT", "LT"), X("EXPIRE", "a", "100", "NX", "XX"), X("EXPIRE", "a", "100", "NX", "GT"), X("EXPIRE", "a", "100", "BOGUS"),
            X("EXPIREAT", "a", "4000000000", "GT"), X("EXPIREAT", "a", "3000000000", "GT"), X("EXPIREAT", "a", "3000000000", "LT"),
            X("EXPIRETIME", "a"), X("PEXPIRETIME", "a"), X("PERSIST", "a"), X("PERSIST", "a"), X("EXPIRETIME", "a"), X("EXPIREAT", "a", "4000000000", "GT"),
            X("EXPIREAT", "a", "4000000000", "LT"), X("EXPIRETIME", "a"), X("PEXPIREAT", "a", "4000000000123"), X("PEXPIRETIME", "a"), X("EXPIRETIME", "a"),
            X("EXPIRE", "a", "-1"), X("EXISTS", "a"), X("SET", "a", "v"), X("EXPIRE", "a", "0"), X("GET", "a"), X("SET", "a", "v"), X("PEXPIRE", "a", "-5"),
            X("GET", "a"), X("SET", "a", "v"), X("EXPIREAT", "a", "1"), X("GET", "a"), X("EXPIRE", "missing", "10"), X("TTL", "missing"),
            X("PTTL", "missing"), X("EXPIRETIME", "missing"), X("PERSIST", "missing"), X("SET", "a", "v"), X("TTL", "a"), X("PTTL", "a"),
            X("EXPIRE", "a", "9223372036854775807"), X("EXPIRE", "a", "9223372036854775"), X("PEXPIRE", "a", "9223372036854775807"),
            X("EXPIREAT", "a", "9223372036854775807"), X("EXPIRE", "a", "-9223372036854775808"), X("EXPIRE", "a", "abc"), X("EXPIRE", "a", "1.5"),
            X("EXISTS", "a"), X("SET", "a", "v", "EX", "100"), X("EXPIRE", "a", "50", "LT"), X("EXPIRE", "a", "5000", "LT"), X("EXPIRE", "a", "10", "GT"),
            X("SET", "p", "v"), X("EXPIRE", "p", "100", "GT"), X("TTL", "p"), X("EXPIRE", "p", "100", "LT"), Near(2, "TTL", "p"),
        },
        ["ranges"] = () => new[]
        {
            X("SET", "s", "Hello World"), X("GETRANGE", "s", "0", "4"), X("GETRANGE", "s", "-5", "-1"), X("GETRANGE", "s", "5", "2"),
            X("GETRANGE", "s", "-100", "100"), X("GETRANGE", "s", "100", "200"), X("GETRANGE", "s", "0", "-100"), X("GETRANGE", "s", "-1", "-5"),
            X("GETRANGE", "s", "0", "9223372036854775807"), X("GETRANGE", "s", "-9223372036854775808", "2"), X("GETRANGE", "s", "a", "1"),
            X("GETRANGE", "missing", "0", "-1"), X("SUBSTR", "s", "1", "3"), X("SET", "e", ""), X("GETRANGE", "e", "0", "-1"), X("GETRANGE", "e", "-1", "0"),
            X("SETRANGE", "s", "6", "Redis"), X("GET", "s"), X("SETRANGE", "s", "20", "!"), X("GET", "s"), X("SETRANGE", "s", "-1", "x"),
            X("SETRANGE", "s", "536870912", "x"), X("SETRANGE", "s", "536870911", ""), X("SETRANGE", "s", "9223372036854775807", "x"), X("SETRANGE", "s", "abc", "x"),
            X("SETRANGE", "new", "5", ""), X("EXISTS", "new"), X("SETRANGE", "new", "3", "abc"), X("GET", "new"), X("SETRANGE", "new2", "0", ""),
            X("EXISTS", "new2"), X("SETRANGE", "s", "0", ""), X("STRLEN", "s"), X("STRLEN", "missing"), X("APPEND", "ap", ""), X("EXISTS", "ap"),
            X("APPEND", "ap", "x"), X("APPEND", "ap", BinVal), X("GET", "ap"), X("SET", "i", "10"), X("APPEND", "i", "5"), X("INCR", "i"),
            X("SETRANGE", "i", "0", "9"), X("INCR", "i"), X("GETRANGE", "i", "0", "0"),
        },
        ["binary-and-big"] = () => new[]
        {
            X("SET", BinKey, BinVal), X("GET", BinKey), X("STRLEN", BinKey), X("EXISTS", BinKey), X("TYPE", BinKey), X("KEYS", "b*"),
            X("SET", "", "empty-key"), X("GET", ""), X("SET", "ev", ""), X("GET", "ev"), X("STRLEN", "ev"), X("EXISTS", "ev"),
            X("SET", "big", Big), X("STRLEN", "big"), X("GET", "big"), X("APPEND", "big", "tail"), X("GETRANGE", "big", "-4", "-1"),
            X("SETRANGE", "big", "600000", "x"), X("STRLEN", "big"), X("GETRANGE", "big", "524288", "524300"), X("MSET", BinKey, "1", "big", "small"),
            X("MGET", BinKey, "big", "", "missing"), X("ECHO", BinVal), X("PING", BinVal), X("ECHO", Big), X("RENAME", BinKey, "renamed"),
            X("GET", "renamed"), X("COPY", "renamed", BinKey), X("GET", BinKey), X("DEL", BinKey, "renamed", "", "big", "ev"), X("DBSIZE"),
        },
        ["keys-misc"] = () => new[]
        {
            X("MSET", "a", "1", "b", "2", "{x}c", "3"), X("EXISTS", "a", "a", "b", "zz"), X("TOUCH", "a", "zz"), X("TYPE", "a"), X("TYPE", "zz"),
            X("RENAME", "a", "a"), X("RENAME", "zz", "q"), X("RENAMENX", "a", "b"), X("RENAMENX", "a", "a"), X("RENAMENX", "a", "fresh"), X("GET", "fresh"),
            X("COPY", "fresh", "b"), X("COPY", "fresh", "b", "REPLACE"), X("GET", "b"), X("COPY", "zz", "y"), X("COPY", "b", "b"), X("COPY", "b", "c", "DB", "0"),
            X("COPY", "b", "c", "BOGUS"), X("COPY", "b", "d", "DB", "abc"), X("SET", "t", "v", "EX", "100"), X("COPY", "t", "t2"), Near(2, "TTL", "t2"),
            X("RENAME", "t", "t3"), Near(2, "TTL", "t3"), X("MSETNX", "n1", "1", "b", "2"), X("EXISTS", "n1"), X("MSETNX", "n1", "1", "n2", "2"),
            X("MSETNX", "n3", "1", "n4", "2"), X("MGET", "n3", "n4", "zz"), X("DEL", "n3", "n3", "n4", "zz"), X("UNLINK", "n1", "zz"), X("DBSIZE"),
            X("SELECT", "0"), X("SELECT", "abc"), X("ECHO", ""), X("PING"), X("PING", ""), X("CLIENT", "SETNAME", "good-name"), X("CLIENT", "GETNAME"),
            X("CLIENT", "SETNAME", "bad name"), X("CLIENT", "SETNAME", ""), X("CLIENT", "GETNAME"), X("CLIENT", "REPLY", "ON"),             X("CONFIG", "GET", "maxmemory-policy"), X("CONFIG", "GET", "nosuch"), X("OBJECT", "ENCODING", "missing"), X("OBJECT", "FREQ", "a"),
            X("OBJECT", "REFCOUNT", "missing"), X("OBJECT", "IDLETIME", "missing"), X("MEMORY", "USAGE", "missing"), X("FLUSHDB", "BOGUS"),
            X("FLUSHDB", "ASYNC"), X("DBSIZE"), X("FLUSHALL", "SYNC"), X("RANDOMKEY"), X("KEYS", "*"), new RespCommand("edge", RespClient.Args("SCAN", "0"), ReplyRules.ScanPage), X("SCAN", "abc"),
            X("SCAN", "0", "COUNT", "0"), X("SCAN", "0", "MATCH"), X("SCAN", "0", "BOGUS", "x"),
        },
        ["introspection"] = () => new[]
        {
            X("COMMAND", "COUNT", "extra"), X("COMMAND", "INFO", "nosuchcmd"), X("COMMAND", "DOCS", "nosuchcmd"),
            CmdInfo("get", "set", "setnx", "setex", "psetex", "getset", "getdel", "getex", "mget", "mset", "msetnx", "incr", "decr", "incrby", "decrby", "incrbyfloat"),
            CmdInfo("append", "strlen", "getrange", "setrange", "substr", "del", "unlink", "exists", "touch", "expire", "pexpire", "expireat", "pexpireat", "ttl", "pttl"),
            CmdInfo("expiretime", "pexpiretime", "persist", "type", "keys", "scan", "randomkey", "rename", "renamenx", "copy", "dbsize", "flushdb", "flushall"),
            CmdInfo("ping", "echo", "quit", "hello", "auth", "reset", "select", "client", "command", "info", "config", "time", "object", "memory", "cluster"),
            X("CLIENT", "ID", "x"), X("CLIENT", "GETNAME", "x"), X("CONFIG", "GET"), X("OBJECT", "ENCODING"), X("OBJECT", "ENCODING", "a", "b"),
            X("MEMORY", "USAGE"), X("CLUSTER", "KEYSLOT"), X("CLIENT", "SETNAME"), X("CLIENT", "REPLY"),
        },
        ["encoding"] = () => new[]
        {
            X("SET", "e1", "12345"), X("OBJECT", "ENCODING", "e1"), X("SET", "e2", "hello"), X("OBJECT", "ENCODING", "e2"),
            X("SET", "e3", new string('x', 44)), X("OBJECT", "ENCODING", "e3"), X("SET", "e4", new string('x', 45)), X("OBJECT", "ENCODING", "e4"),
            X("SET", "e5", "-9223372036854775808"), X("OBJECT", "ENCODING", "e5"), X("SET", "e6", "007"), X("OBJECT", "ENCODING", "e6"),
            X("INCR", "e7"), X("OBJECT", "ENCODING", "e7"), X("SET", "e8", "1.5"), X("OBJECT", "ENCODING", "e8"),
        },
    };
}
