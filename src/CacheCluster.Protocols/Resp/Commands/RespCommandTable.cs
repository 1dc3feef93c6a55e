using System.Buffers.Binary;

namespace CacheCluster.Protocols.Resp.Commands;

/// <summary>
/// The command table and an allocation-free, case-insensitive lookup: a name of up to 16 bytes is
/// upper-cased into two 64-bit words, which key a dictionary.
/// </summary>
public static class RespCommandTable
{
    static readonly string[] W = ["write"], WD = ["write", "denyoom"], WDF = ["write", "denyoom", "fast"], WF = ["write", "fast"];
    static readonly string[] R = ["readonly"], RF = ["readonly", "fast"];
    static readonly string[] ConnFlags = ["noscript", "loading", "stale", "fast", "no_auth", "allow_busy"];

    public static readonly RespCommandDef[] All =
    [
        new(RespCommandId.Ping, "ping", -1, ["fast"], 0, 0, 0, "connection", "1.0.0", "Returns the server's liveliness response.", "O(1)"),
        new(RespCommandId.Echo, "echo", 2, ["loading", "stale", "fast"], 0, 0, 0, "connection", "1.0.0", "Returns the given string.", "O(1)"),
        new(RespCommandId.Quit, "quit", -1, ConnFlags, 0, 0, 0, "connection", "1.0.0", "Closes the connection.", "O(1)"),
        new(RespCommandId.Hello, "hello", -1, ConnFlags, 0, 0, 0, "connection", "6.0.0", "Handshakes with the Redis server.", "O(1)"),
        new(RespCommandId.Auth, "auth", -2, ConnFlags, 0, 0, 0, "connection", "1.0.0", "Authenticates the connection.", "O(N)"),
        new(RespCommandId.Reset, "reset", 1, ConnFlags, 0, 0, 0, "connection", "6.2.0", "Resets the connection.", "O(1)"),
        new(RespCommandId.Select, "select", 2, ["loading", "stale", "fast"], 0, 0, 0, "connection", "1.0.0", "Changes the selected database.", "O(1)"),
        new(RespCommandId.Client, "client", -2, [], 0, 0, 0, "connection", "2.4.0", "A container for client connection commands.", "Depends on subcommand.")
            { Subcommands = ["id", "setname", "getname", "list", "info", "setinfo", "reply", "help"] },
        new(RespCommandId.Command, "command", -1, ["loading", "stale"], 0, 0, 0, "server", "2.8.13", "Returns detailed information about all commands.", "O(N)")
            { Subcommands = ["count", "info", "docs", "list", "help"] },
        new(RespCommandId.Info, "info", -1, ["loading", "stale"], 0, 0, 0, "server", "1.0.0", "Returns information and statistics about the server.", "O(1)"),
        new(RespCommandId.Config, "config", -2, [], 0, 0, 0, "server", "2.0.0", "A container for server configuration commands.", "Depends on subcommand.")
            { Subcommands = ["get", "set", "resetstat", "help"] },
        new(RespCommandId.Time, "time", 1, ["loading", "stale", "fast"], 0, 0, 0, "server", "2.6.0", "Returns the server time.", "O(1)"),
        new(RespCommandId.Cluster, "cluster", -2, [], 0, 0, 0, "cluster", "3.0.0", "A container for Redis Cluster commands.", "Depends on subcommand.")
            { Subcommands = ["keyslot", "help"] },
        new(RespCommandId.DbSize, "dbsize", 1, ["readonly", "fast"], 0, 0, 0, "server", "1.0.0", "Returns the number of keys in the database.", "O(1)"),
        new(RespCommandId.FlushDb, "flushdb", -1, ["write"], 0, 0, 0, "server", "1.0.0", "Removes all keys from the current database.", "O(N)"),
        new(RespCommandId.FlushAll, "flushall", -1, ["write"], 0, 0, 0, "server", "1.0.0", "Removes all keys from all databases.", "O(N)"),
        new(RespCommandId.Keys, "keys", 2, ["readonly"], 0, 0, 0, "generic", "1.0.0", "Returns all key names that match a pattern.", "O(N)"),
        new(RespCommandId.Scan, "scan", -2, ["readonly"], 0, 0, 0, "generic", "2.8.0", "Iterates over the key names in the database.", "O(1) per call."),
        new(RespCommandId.RandomKey, "randomkey", 1, ["readonly"], 0, 0, 0, "generic", "1.0.0", "Returns a random key name from the database.", "O(1)"),
        new(RespCommandId.Get, "get", 2, RF, 1, 1, 1, "string", "1.0.0", "Returns the string value of a key.", "O(1)"),
        new(RespCommandId.Set, "set", -3, WD, 1, 1, 1, "string", "1.0.0", "Sets the string value of a key, ignoring its type. The key is created if it doesn't exist.", "O(1)"),
        new(RespCommandId.SetNx, "setnx", 3, WDF, 1, 1, 1, "string", "1.0.0", "Set the string value of a key only when the key doesn't exist.", "O(1)"),
        new(RespCommandId.SetEx, "setex", 4, WD, 1, 1, 1, "string", "2.0.0", "Sets the string value and expiration time of a key.", "O(1)"),
        new(RespCommandId.PSetEx, "psetex", 4, WD, 1, 1, 1, "string", "2.6.0", "Sets both string value and expiration time in milliseconds of a key.", "O(1)"),
        new(RespCommandId.GetSet, "getset", 3, WDF, 1, 1, 1, "string", "1.0.0", "Returns the previous string value of a key after setting it to a new value.", "O(1)"),
        new(RespCommandId.GetDel, "getdel", 2, WF, 1, 1, 1, "string", "6.2.0", "Returns the string value of a key after deleting the key.", "O(1)"),
        new(RespCommandId.GetEx, "getex", -2, WF, 1, 1, 1, "string", "6.2.0", "Returns the string value of a key after setting its expiration time.", "O(1)"),
        new(RespCommandId.MGet, "mget", -2, RF, 1, -1, 1, "string", "1.0.0", "Atomically returns the string values of one or more keys.", "O(N)"),
        new(RespCommandId.MSet, "mset", -3, WD, 1, -1, 2, "string", "1.0.1", "Atomically creates or modifies the string values of one or more keys.", "O(N)"),
        new(RespCommandId.MSetNx, "msetnx", -3, WD, 1, -1, 2, "string", "1.0.1", "Atomically modifies the string values of one or more keys only when all keys don't exist.", "O(N)"),
        new(RespCommandId.Incr, "incr", 2, WDF, 1, 1, 1, "string", "1.0.0", "Increments the integer value of a key by one.", "O(1)"),
        new(RespCommandId.Decr, "decr", 2, WDF, 1, 1, 1, "string", "1.0.0", "Decrements the integer value of a key by one.", "O(1)"),
        new(RespCommandId.IncrBy, "incrby", 3, WDF, 1, 1, 1, "string", "1.0.0", "Increments the integer value of a key by a number.", "O(1)"),
        new(RespCommandId.DecrBy, "decrby", 3, WDF, 1, 1, 1, "string", "1.0.0", "Decrements a number from the integer value of a key.", "O(1)"),
        new(RespCommandId.IncrByFloat, "incrbyfloat", 3, WDF, 1, 1, 1, "string", "2.6.0", "Increment the floating point value of a key by a number.", "O(1)"),
        new(RespCommandId.Append, "append", 3, WDF, 1, 1, 1, "string", "2.0.0", "Appends a string to the value of a key.", "O(1)"),
        new(RespCommandId.StrLen, "strlen", 2, RF, 1, 1, 1, "string", "2.2.0", "Returns the length of a string value.", "O(1)"),
        new(RespCommandId.GetRange, "getrange", 4, R, 1, 1, 1, "string", "2.4.0", "Returns a substring of the string stored at a key.", "O(N)"),
        new(RespCommandId.Substr, "substr", 4, R, 1, 1, 1, "string", "1.0.0", "Returns a substring from a string value.", "O(N)"),
        new(RespCommandId.SetRange, "setrange", 4, WD, 1, 1, 1, "string", "2.2.0", "Overwrites a part of a string value with another by an offset.", "O(1)"),
        new(RespCommandId.Del, "del", -2, W, 1, -1, 1, "generic", "1.0.0", "Deletes one or more keys.", "O(N)"),
        new(RespCommandId.Unlink, "unlink", -2, WF, 1, -1, 1, "generic", "4.0.0", "Asynchronously deletes one or more keys.", "O(1)"),
        new(RespCommandId.Exists, "exists", -2, RF, 1, -1, 1, "generic", "1.0.0", "Determines whether one or more keys exist.", "O(N)"),
        new(RespCommandId.Touch, "touch", -2, RF, 1, -1, 1, "generic", "3.2.1", "Returns the number of existing keys out of those specified after updating the time they were last accessed.", "O(N)"),
        new(RespCommandId.Expire, "expire", -3, WF, 1, 1, 1, "generic", "1.0.0", "Sets the expiration time of a key in seconds.", "O(1)"),
        new(RespCommandId.PExpire, "pexpire", -3, WF, 1, 1, 1, "generic", "2.6.0", "Sets the expiration time of a key in milliseconds.", "O(1)"),
        new(RespCommandId.ExpireAt, "expireat", -3, WF, 1, 1, 1, "generic", "1.2.0", "Sets the expiration time of a key to a Unix timestamp.", "O(1)"),
        new(RespCommandId.PExpireAt, "pexpireat", -3, WF, 1, 1, 1, "generic", "2.6.0", "Sets the expiration time of a key to a Unix milliseconds timestamp.", "O(1)"),
        new(RespCommandId.Ttl, "ttl", 2, RF, 1, 1, 1, "generic", "1.0.0", "Returns the expiration time in seconds of a key.", "O(1)"),
        new(RespCommandId.PTtl, "pttl", 2, RF, 1, 1, 1, "generic", "2.6.0", "Returns the expiration time in milliseconds of a key.", "O(1)"),
        new(RespCommandId.ExpireTime, "expiretime", 2, RF, 1, 1, 1, "generic", "7.0.0", "Returns the expiration time of a key as a Unix timestamp.", "O(1)"),
        new(RespCommandId.PExpireTime, "pexpiretime", 2, RF, 1, 1, 1, "generic", "7.0.0", "Returns the expiration time of a key as a Unix milliseconds timestamp.", "O(1)"),
        new(RespCommandId.Persist, "persist", 2, WF, 1, 1, 1, "generic", "2.2.0", "Removes the expiration time of a key.", "O(1)"),
        new(RespCommandId.Type, "type", 2, RF, 1, 1, 1, "generic", "1.0.0", "Determines the type of value stored at a key.", "O(1)"),
        new(RespCommandId.Rename, "rename", 3, W, 1, 2, 1, "generic", "1.0.0", "Renames a key and overwrites the destination.", "O(1)"),
        new(RespCommandId.RenameNx, "renamenx", 3, WF, 1, 2, 1, "generic", "1.0.0", "Renames a key only when the target key name doesn't exist.", "O(1)"),
        new(RespCommandId.Copy, "copy", -3, WD, 1, 2, 1, "generic", "6.2.0", "Copies the value of a key to a new key.", "O(N)"),
        new(RespCommandId.Object, "object", -2, [], 0, 0, 0, "generic", "2.2.3", "A container for object introspection commands.", "Depends on subcommand.")
            { Subcommands = ["encoding", "refcount", "idletime", "freq", "help"] },
        new(RespCommandId.Memory, "memory", -2, [], 0, 0, 0, "server", "4.0.0", "A container for memory diagnostics commands.", "Depends on subcommand.")
            { Subcommands = ["usage", "help"] },
    ];

    static readonly Dictionary<(ulong, ulong, int), RespCommandDef> ByName = Build();

    static Dictionary<(ulong, ulong, int), RespCommandDef> Build()
    {
        var d = new Dictionary<(ulong, ulong, int), RespCommandDef>();
        foreach (var c in All)
        {
            Pack(c.NameBytes, out var key);
            d.Add(key, c);
        }
        return d;
    }

    /// <summary>Upper-cases a name of at most 16 bytes into two words plus its length; false when longer.</summary>
    static bool Pack(ReadOnlySpan<byte> name, out (ulong, ulong, int) key)
    {
        key = default;
        if (name.Length == 0 || name.Length > 16) return false;
        Span<byte> buf = stackalloc byte[16];
        buf.Clear();
        for (int i = 0; i < name.Length; i++)
        {
            byte b = name[i];
            buf[i] = b is >= (byte)'a' and <= (byte)'z' ? (byte)(b - 32) : b;
        }
        key = (BinaryPrimitives.ReadUInt64LittleEndian(buf), BinaryPrimitives.ReadUInt64LittleEndian(buf[8..]), name.Length);
        return true;
    }

    public static bool TryFind(ReadOnlySpan<byte> name, out RespCommandDef def)
    {
        def = null!;
        return Pack(name, out var key) && ByName.TryGetValue(key, out def!);
    }

    public static RespCommandDef Get(RespCommandId id)
    {
        foreach (var c in All) if (c.Id == id) return c;
        throw new ArgumentOutOfRangeException(nameof(id));
    }
}
