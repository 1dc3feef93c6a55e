using System.Text;
using CacheCluster.Integration.Tests.Infrastructure;
using static CacheCluster.Integration.Tests.Differential.GenContext;

namespace CacheCluster.Integration.Tests.Differential;

/// <summary>String commands: GET SET(+options) SETNX SETEX PSETEX GETSET GETDEL GETEX MGET MSET MSETNX INCR* DECR* APPEND STRLEN GETRANGE SETRANGE.</summary>
public sealed class StringCommands : ICommandFamily
{
    public string Name => "strings";

    public IEnumerable<CommandTemplate> Templates(GenOptions o)
    {
        var x = ReplyRules.Exact;
        yield return new("GET", 6, c => Cmd("GET", x, "GET", c.Key()));
        yield return new("SET", 8, c => Cmd("SET", x, new object[] { "SET", c.Key(), c.Value() }.Concat(SetOptions(c)).ToArray()));
        yield return new("SETNX", 1.5, c => Cmd("SETNX", x, "SETNX", c.Key(), c.Value()));
        yield return new("SETEX", 1.5, c => Cmd("SETEX", x, "SETEX", c.Key(), c.RelativeSeconds(), c.Value()));
        yield return new("PSETEX", 1, c => Cmd("PSETEX", x, "PSETEX", c.Key(), c.RelativeMillis(), c.Value()));
        yield return new("GETSET", 1, c => Cmd("GETSET", x, "GETSET", c.Key(), c.Value()));
        yield return new("GETDEL", 1.5, c => Cmd("GETDEL", x, "GETDEL", c.Key()));
        yield return new("GETEX", 3, c => Cmd("GETEX", x, new object[] { "GETEX", c.Key() }.Concat(GetExOptions(c)).ToArray()));
        yield return new("MGET", 3, c => Cmd("MGET", x, new object[] { "MGET" }.Concat(c.Keys(1, 5)).ToArray()));
        yield return new("MSET", 3, c => Cmd("MSET", x, new object[] { "MSET" }.Concat(Pairs(c)).ToArray()));
        yield return new("MSETNX", 1.5, c => Cmd("MSETNX", x, new object[] { "MSETNX" }.Concat(Pairs(c)).ToArray()));
        yield return new("INCR", 2, c => Cmd("INCR", x, c.Pick("INCR", "DECR"), c.Key()));
        yield return new("INCRBY", 3, c => Cmd("INCRBY", x, c.Pick("INCRBY", "DECRBY"), c.Key(), c.Increment()));
        yield return new("INCRBYFLOAT", 3, c => Cmd("INCRBYFLOAT", x, "INCRBYFLOAT", c.Key(), c.FloatIncrement()));
        yield return new("APPEND", 3, c => Cmd("APPEND", x, "APPEND", c.Key(), c.Value()));
        yield return new("STRLEN", 2, c => Cmd("STRLEN", x, "STRLEN", c.Key()));
        yield return new("GETRANGE", 3, c => Cmd("GETRANGE", x, c.Pick("GETRANGE", "SUBSTR"), c.Key(), c.RangeIndex(), c.RangeIndex()));
        yield return new("SETRANGE", 3, c => Cmd("SETRANGE", x, "SETRANGE", c.Key(), c.Offset(), c.Chance(0.15) ? "" : c.Pick("xyz", "\0", "A", "hello world")));
    }

    private static IEnumerable<object> Pairs(GenContext c)
    {
        var n = c.Rng.Next(1, 4);
        for (var i = 0; i < n; i++) { yield return c.Key(); yield return c.Value(); }
        if (c.Chance(0.05)) yield return c.Key(); // odd number of args
    }

    private static IEnumerable<object> SetOptions(GenContext c)
    {
        // Options are built as groups ("EX 100", "NX", "GET") and the groups are shuffled, so odd orders are
        // generated without splitting an option from its argument (except for the deliberate odd cases).
        var groups = new List<object[]>();
        if (c.Rng.Next(10) < 3) return Array.Empty<object>(); // plain SET
        switch (c.Rng.Next(8))
        {
            case 0: groups.Add(new object[] { "EX", c.RelativeSeconds() }); break;
            case 1: groups.Add(new object[] { "PX", c.RelativeMillis() }); break;
            case 2: groups.Add(new object[] { "EXAT", c.AbsoluteSeconds() }); break;
            case 3: groups.Add(new object[] { "PXAT", c.AbsoluteMillis() }); break;
            case 4: groups.Add(new object[] { "KEEPTTL" }); break;
        }
        if (c.Chance(0.3)) groups.Add(new object[] { c.Pick("NX", "XX", "nx", "xx") });
        if (c.Chance(0.25)) groups.Add(new object[] { c.Pick("GET", "get") });
        if (c.Chance(0.06)) groups.Add(new object[] { c.Pick<object>("NX", "XX", "EX", "KEEPTTL", "PX", "GET", "BOGUS", "EX 5") });
        if (c.Chance(0.04)) groups.Add(new object[] { "EX", "0" });
        return groups.OrderBy(_ => c.Rng.Next()).SelectMany(g => g).ToList();
    }

    private static IEnumerable<object> GetExOptions(GenContext c)
    {
        switch (c.Rng.Next(9))
        {
            case 0: case 1: return Array.Empty<object>();
            case 2: return new object[] { "EX", c.RelativeSeconds() };
            case 3: return new object[] { "PX", c.RelativeMillis() };
            case 4: return new object[] { "EXAT", c.AbsoluteSeconds() };
            case 5: return new object[] { "PXAT", c.AbsoluteMillis() };
            case 6: return new object[] { "PERSIST" };
            case 7: return new object[] { "PERSIST", "EX", "5" };
            default: return new object[] { c.Pick("KEEPTTL", "EX", "NX", "persist", "ex", "EX 10") };
        }
    }
}

/// <summary>Generic key commands.</summary>
public sealed class KeyCommands : ICommandFamily
{
    public string Name => "keys";

    private static readonly string[] Patterns = { "*", "k:*", "k:[0-2]", "k:?", "{t}*", "*int*", "\\*", "k:[^0]", "", "nomatch*", "bin*", "?" };

    public IEnumerable<CommandTemplate> Templates(GenOptions o)
    {
        var x = ReplyRules.Exact;
        yield return new("DEL", 2, c => Cmd("DEL", x, new object[] { c.Pick("DEL", "UNLINK") }.Concat(c.Keys(1, 3)).ToArray()));
        yield return new("EXISTS", 2, c => Cmd("EXISTS", x, new object[] { "EXISTS" }.Concat(c.Keys(1, 4)).ToArray()));
        yield return new("TOUCH", 1, c => Cmd("TOUCH", x, new object[] { "TOUCH" }.Concat(c.Keys(1, 3)).ToArray()));
        yield return new("EXPIRE", 3, c => Cmd("EXPIRE", x, new object[] { "EXPIRE", c.Key(), c.RelativeSeconds() }.Concat(Flags(c, relative: true)).ToArray()));
        yield return new("PEXPIRE", 2, c => Cmd("PEXPIRE", x, new object[] { "PEXPIRE", c.Key(), c.RelativeMillis() }.Concat(Flags(c, relative: true)).ToArray()));
        yield return new("EXPIREAT", 2, c => Cmd("EXPIREAT", x, new object[] { "EXPIREAT", c.Key(), c.AbsoluteSeconds() }.Concat(Flags(c, relative: false)).ToArray()));
        yield return new("PEXPIREAT", 2, c => Cmd("PEXPIREAT", x, new object[] { "PEXPIREAT", c.Key(), c.AbsoluteMillis() }.Concat(Flags(c, relative: false)).ToArray()));
        yield return new("TTL", 3, c => Cmd("TTL", ReplyRules.IntegerNear(2), "TTL", c.Key()));
        yield return new("PTTL", 2, c => Cmd("PTTL", ReplyRules.IntegerNear(2000), "PTTL", c.Key()));
        yield return new("EXPIRETIME", 1.5, c => Cmd("EXPIRETIME", ReplyRules.IntegerNear(2), "EXPIRETIME", c.Key()));
        yield return new("PEXPIRETIME", 1.5, c => Cmd("PEXPIRETIME", ReplyRules.IntegerNear(2000), "PEXPIRETIME", c.Key()));
        yield return new("PERSIST", 2, c => Cmd("PERSIST", x, "PERSIST", c.Key()));
        yield return new("TYPE", 2, c => Cmd("TYPE", x, "TYPE", c.Key()));
        yield return new("KEYS", 1.5, c => Cmd("KEYS", ReplyRules.Unordered, "KEYS", c.Pick(Patterns)));
        yield return new("SCAN", 1.5, ScanWalk);
        // Odd cursors: errors must match exactly; a cursor Redis accepts (e.g. -1, which strtoul wraps) returns an
        // implementation-defined page, so only its shape is compared.
        yield return new("SCAN-bad", 0.3, c => Cmd("SCAN-bad", ReplyRules.SameKind, "SCAN", c.Pick("abc", "-1", "0 COUNT 0", "18446744073709551616"), "COUNT", c.Pick("0", "-1", "abc", "10")));
        yield return new("RANDOMKEY", 1, c => Cmd("RANDOMKEY", ReplyRules.SameKind, "RANDOMKEY"));
        yield return new("RENAME", 2, c => Cmd("RENAME", x, c.Pick("RENAME", "RENAMENX"), c.Key(), c.Key()));
        yield return new("COPY", 2, c => Cmd("COPY", x, new object[] { "COPY", c.Key(), c.Key() }.Concat(c.Rng.Next(5) switch
        {
            0 => new object[] { "REPLACE" },
            1 => new object[] { "DB", "0" },
            2 => new object[] { "DB", "0", "REPLACE" },
            3 => new object[] { c.Pick("BOGUS", "DB", "DB abc") },
            _ => Array.Empty<object>(),
        }).ToArray()));
        yield return new("DBSIZE", 1, c => Cmd("DBSIZE", x, "DBSIZE") with { Prelude = c.ExpirePoolPrelude() });
    }

    private static IEnumerable<object> Flags(GenContext c, bool relative)
    {
        // GT/LT on *relative* times compare "now + ttl" across commands a few microseconds apart; whether two
        // equal relative TTLs compare greater depends on millisecond timing, so GT/LT use absolute times only.
        if (c.Chance(0.5)) return Array.Empty<object>();
        var options = relative ? new[] { "NX", "XX", "nx", "BOGUS" } : new[] { "NX", "XX", "GT", "LT", "gt", "BOGUS" };
        var first = c.Pick(options);
        if (c.Chance(0.15)) return new object[] { first, c.Pick("NX", "XX", "GT", "LT") };
        return new object[] { first };
    }

    /// <summary>A full SCAN walk (cursor until 0, bounded) with random MATCH/COUNT/TYPE; compared as a set.</summary>
    private static RespCommand ScanWalk(GenContext c)
    {
        var opts = new List<object>();
        if (c.Chance(0.5)) opts.AddRange(new object[] { "MATCH", c.Pick(Patterns) });
        if (c.Chance(0.5)) opts.AddRange(new object[] { "COUNT", c.Pick("1", "2", "5", "100") });
        // Not "TYPE none": Redis 7.0 matches logically expired keys that are still in its dict, which depends on
        // when its active expiry cycle ran.
        if (c.Chance(0.3)) opts.AddRange(new object[] { "TYPE", c.Pick("string", "list", "STRING", "hash") });
        var display = RespClient.Args(new object[] { "SCAN", "<cursor>" }.Concat(opts).ToArray());
        return new RespCommand("SCAN", display, ReplyRules.AsSet, async client =>
        {
            var all = new List<RespValue>();
            var cursor = "0";
            for (var iter = 0; iter < 10_000; iter++)
            {
                var reply = await client.CallArgsAsync(RespClient.Args(new object[] { "SCAN", cursor }.Concat(opts).ToArray()));
                if (reply.IsError) return reply;
                if (reply.Kind != RespKind.Array || reply.Count != 2 || reply[0].Kind != RespKind.Bulk || reply[1].Kind != RespKind.Array)
                    return RespValue.Err($"(harness) malformed SCAN reply {reply}");
                all.AddRange(reply[1].Items!);
                cursor = reply[0].Text;
                if (cursor == "0") return RespValue.SetOf(all);
            }
            return RespValue.Err("(harness) SCAN did not finish within 10000 iterations");
        });
    }
}

/// <summary>Connection and server commands.</summary>
public sealed class ServerCommands : ICommandFamily
{
    public string Name => "server";

    public IEnumerable<CommandTemplate> Templates(GenOptions o)
    {
        var x = ReplyRules.Exact;
        var kind = ReplyRules.SameKind;
        yield return new("PING", 1, c => c.Chance(0.5) ? Cmd("PING", x, "PING") : Cmd("PING", x, "PING", c.Value()));
        yield return new("ECHO", 1, c => Cmd("ECHO", x, "ECHO", c.Value()));
        yield return new("SELECT", 0.5, c => Cmd("SELECT", x, "SELECT", c.Pick("0", "abc", "99999999999999999999")));
        yield return new("TIME", 0.5, c => Cmd("TIME", ReplyRules.Time, "TIME"));
        yield return new("CLIENT ID", 0.3, c => Cmd("CLIENT ID", kind, "CLIENT", "ID"));
        yield return new("CLIENT SETNAME", 0.5, c => Cmd("CLIENT SETNAME", x, "CLIENT", "SETNAME", c.Pick("conn1", "", "has space", "line\nbreak", "ok-name_2")));
        yield return new("CLIENT GETNAME", 0.5, c => Cmd("CLIENT GETNAME", x, "CLIENT", "GETNAME"));
        yield return new("CLIENT LIST", 0.2, c => Cmd("CLIENT LIST", kind, "CLIENT", "LIST"));
        yield return new("CLIENT INFO", 0.2, c => Cmd("CLIENT INFO", kind, "CLIENT", "INFO"));
        // CLIENT SETINFO is Redis 7.2+, the reference redis-server is 7.0: covered by dedicated tests instead.
        yield return new("CLIENT REPLY", 0.2, c => Cmd("CLIENT REPLY", x, "CLIENT", "REPLY", "ON"));
        yield return new("CLIENT bad", 0.2, c => Cmd("CLIENT bad", x, "CLIENT", c.Pick("NOPE", "nope")));
        yield return new("COMMAND COUNT", 0.2, c => Cmd("COMMAND COUNT", kind, "COMMAND", "COUNT"));
        yield return new("COMMAND INFO", 0.3, c => Cmd("COMMAND INFO", ReplyRules.CommandInfo, new object[] { "COMMAND", "INFO" }.Concat(Enumerable.Range(0, c.Rng.Next(1, 3)).Select(_ => (object)c.Pick("get", "SET", "incrbyfloat", "mget", "del", "expire", "nosuchcmd", "ttl"))).ToArray()));
        yield return new("COMMAND DOCS", 0.2, c => Cmd("COMMAND DOCS", kind, "COMMAND", "DOCS", c.Pick("get", "set")));
        yield return new("INFO", 0.3, c => c.Chance(0.5) ? Cmd("INFO", kind, "INFO") : Cmd("INFO", kind, "INFO", c.Pick("server", "keyspace", "memory", "clients", "nosuchsection")));
        yield return new("CONFIG GET", 0.5, c => Cmd("CONFIG GET", x, "CONFIG", "GET", c.Pick("maxmemory-policy", "maxmemory", "nosuchparam")));
        // OBJECT and MEMORY USAGE look keys up without expiring them in Redis: purge expired pool keys first.
        yield return new("OBJECT ENCODING", 1, c => Cmd("OBJECT ENCODING", ReplyRules.StringEncoding, "OBJECT", "ENCODING", c.Key()) with { Prelude = c.ExpirePoolPrelude() });
        yield return new("OBJECT REFCOUNT", 0.3, c => Cmd("OBJECT REFCOUNT", kind, "OBJECT", "REFCOUNT", c.Key()) with { Prelude = c.ExpirePoolPrelude() });
        // Type only: Redis keeps small integers as shared objects whose idle time is the server's uptime.
        yield return new("OBJECT IDLETIME", 0.3, c => Cmd("OBJECT IDLETIME", kind, "OBJECT", "IDLETIME", c.Key()) with { Prelude = c.ExpirePoolPrelude() });
        yield return new("OBJECT FREQ", 0.3, c => Cmd("OBJECT FREQ", x, "OBJECT", "FREQ", c.Key()) with { Prelude = c.ExpirePoolPrelude() });
        yield return new("MEMORY USAGE", 0.5, c => Cmd("MEMORY USAGE", kind, "MEMORY", "USAGE", c.Key()) with { Prelude = c.ExpirePoolPrelude() });
        yield return new("FLUSHDB", 0.15, c => Cmd("FLUSHDB", x, new object[] { c.Pick("FLUSHDB", "FLUSHALL") }.Concat(c.Chance(0.5) ? new object[] { c.Pick("SYNC", "ASYNC", "BOGUS") } : Array.Empty<object>()).ToArray()));
        yield return new("HELLO", 0.3, c => c.Chance(0.3)
            ? Cmd("HELLO", ReplyRules.Hello, "HELLO", c.Pick("4", "abc", "1")) // errors compare exactly; an arity mutation may make it a valid HELLO
            : Cmd("HELLO", ReplyRules.Hello, "HELLO", o.Protocol.ToString()));
    }
}

/// <summary>Unknown commands and odd inputs.</summary>
public sealed class ErrorCommands : ICommandFamily
{
    public string Name => "errors";

    public IEnumerable<CommandTemplate> Templates(GenOptions o)
    {
        var x = ReplyRules.Exact;
        yield return new("unknown", 1.5, c => Cmd("unknown", x, new object[] { c.Pick("foo", "FOO", "getx", "sett", "lpushx2", "x") }.Concat(Enumerable.Range(0, c.Rng.Next(0, 4)).Select(_ => (object)c.Value())).ToArray()));
        yield return new("unknown-long", 0.2, c => Cmd("unknown-long", x, new string('z', 200), new string('a', 300), "b"));
        yield return new("empty-name", 0.2, c => Cmd("empty-name", x, "", "a"));
        yield return new("no-args", 0.5, c => Cmd("no-args", x, c.Pick("GET", "SET", "MGET", "MSET", "EXPIRE", "INCRBY", "GETRANGE", "SETRANGE", "DEL", "EXISTS", "ECHO", "COPY", "RENAME", "OBJECT", "CLIENT", "COMMAND INFO", "CONFIG", "MEMORY", "KEYS", "SCAN", "TTL")));
    }
}

public static class RespFamilies
{
    /// <summary>Everything the node implements so far (strings + keys + server + errors).</summary>
    public static IReadOnlyList<ICommandFamily> All { get; } = new ICommandFamily[] { new StringCommands(), new KeyCommands(), new ServerCommands(), new ErrorCommands() };
}
