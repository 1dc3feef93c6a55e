using System.Text;
using CacheCluster.Core;
using CacheCluster.Protocols.Resp;
using CacheCluster.Protocols.Resp.Commands;

namespace CacheCluster.Server.Resp;

/// <summary>Connection and server commands the connection answers itself, without a shard.</summary>
public sealed partial class RespSession
{
    void WriteLocal(ref RespWriter w, in RespRequest req)
    {
        var a = req.Args;
        switch (req.Def!.Id)
        {
            case RespCommandId.Ping:
                if (a.Count > 2) w.WriteError(RespErrors.WrongArity("ping"));
                else if (a.Count == 2) w.WriteBulk(a[1]);
                else w.WriteSimpleString("PONG"u8);
                break;
            case RespCommandId.Echo: w.WriteBulk(a[1]); break;
            case RespCommandId.Quit:
                w.WriteOk();
                _closeAfterWrite = true;
                break;
            case RespCommandId.Hello: Hello(ref w, a); break;
            case RespCommandId.Auth: Auth(ref w, a); break;
            case RespCommandId.Reset:
                Protocol = 2;
                Name = null;
                _replyMode = ReplyMode.On;
                w = new RespWriter(w.Output, 2);
                w.WriteSimpleString("RESET"u8);
                break;
            case RespCommandId.Select:
                if (!RedisNumbers.TryParseInt64(a[1], out long db)) w.WriteError(RespErrors.NotInteger);
                else if (db != 0) w.WriteError("ERR SELECT is not allowed in cluster mode");
                else w.WriteOk();
                break;
            case RespCommandId.Client: Client(ref w, a); break;
            case RespCommandId.Command: RespCommandInfo.Write(ref w, a); break;
            case RespCommandId.Time:
                long us = DateTimeOffset.UtcNow.Ticks / 10 - DateTimeOffset.UnixEpoch.Ticks / 10;
                w.WriteArrayHeader(2);
                w.WriteBulkString((us / 1_000_000).ToString());
                w.WriteBulkString((us % 1_000_000).ToString());
                break;
            case RespCommandId.Cluster: Cluster(ref w, a); break;
            case RespCommandId.Object: WriteHelp(ref w, "OBJECT", ObjectHelp); break;
            case RespCommandId.Memory: WriteHelp(ref w, "MEMORY", MemoryHelp); break;
            default: w.WriteError(RespErrors.UnknownCommand(a)); break;
        }
    }

    static readonly string[] ObjectHelp =
    [
        "ENCODING <key>", "    Return the kind of internal representation used in order to store the value", "    associated with a <key>.",
        "FREQ <key>", "    Return the access frequency index of the <key>. The returned integer is", "    proportional to the logarithm of the recent access frequency of the key.",
        "IDLETIME <key>", "    Return the idle time of the <key>, that is the approximated number of", "    seconds elapsed since the last access to the key.",
        "REFCOUNT <key>", "    Return the number of references of the value associated with the specified", "    <key>.",
    ];

    static readonly string[] MemoryHelp =
    [
        "USAGE <key> [SAMPLES <count>]", "    Return memory in bytes used by <key> and its value. Nested values are", "    sampled up to <count> times (default: 5, 0 means sample all).",
    ];

    static void WriteHelp(ref RespWriter w, string command, string[] lines)
    {
        w.WriteArrayHeader(lines.Length + 3);
        w.WriteSimpleString($"{command} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:");
        foreach (var l in lines) w.WriteSimpleString(l);
        w.WriteSimpleString("HELP");
        w.WriteSimpleString("    Print this help.");
    }

    void Hello(ref RespWriter w, ArgumentList a)
    {
        int proto = Protocol;
        string? name = null;
        if (a.Count >= 2)
        {
            if (!RedisNumbers.TryParseInt64(a[1], out long v))
            {
                w.WriteError("ERR Protocol version is not an integer or out of range");
                return;
            }
            if (v < 2 || v > 3)
            {
                w.WriteError("NOPROTO unsupported protocol version");
                return;
            }
            proto = (int)v;
            for (int j = 2; j < a.Count; j++)
            {
                if (a.Is(j, "AUTH"u8) && a.Count - j - 1 >= 2)
                {
                    if (!CheckAuth(ref w, a[j + 1], a[j + 2])) return;
                    j += 2;
                }
                else if (a.Is(j, "SETNAME"u8) && a.Count - j - 1 >= 1)
                {
                    name = Encoding.Latin1.GetString(a[++j]);
                    if (!ValidClientName(name))
                    {
                        w.WriteError("ERR Client names cannot contain spaces, newlines or special characters.");
                        return;
                    }
                }
                else
                {
                    w.WriteError($"ERR Syntax error in HELLO option '{Encoding.Latin1.GetString(a[j])}'");
                    return;
                }
            }
        }
        if (name != null) Name = name;
        Protocol = proto;
        w = new RespWriter(w.Output, proto);
        w.WriteMapHeader(7);
        w.WriteBulkString("server"); w.WriteBulkString("redis");
        w.WriteBulkString("version"); w.WriteBulkString(Hosting.NodeState.Version);
        w.WriteBulkString("proto"); w.WriteInteger(proto);
        w.WriteBulkString("id"); w.WriteInteger(Id);
        w.WriteBulkString("mode"); w.WriteBulkString("standalone");
        w.WriteBulkString("role"); w.WriteBulkString("master");
        w.WriteBulkString("modules"); w.WriteArrayHeader(0);
    }

    void Auth(ref RespWriter w, ArgumentList a)
    {
        if (a.Count == 2)
            w.WriteError("ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?");
        else if (a.Count == 3)
        {
            if (CheckAuth(ref w, a[1], a[2])) w.WriteOk();
        }
        else w.WriteError(RespErrors.Syntax);
    }

    /// <summary>Until authentication is configured (security issue) only the password-less default user exists.</summary>
    static bool CheckAuth(ref RespWriter w, ReadOnlySpan<byte> user, ReadOnlySpan<byte> password)
    {
        if (user.SequenceEqual("default"u8)) return true;
        w.WriteError("WRONGPASS invalid username-password pair or user is disabled.");
        return false;
    }

    static bool ValidClientName(string name)
    {
        foreach (char ch in name)
            if (ch < '!' || ch > '~') return false;
        return true;
    }

    void Cluster(ref RespWriter w, ArgumentList a)
    {
        if (a.Is(1, "KEYSLOT"u8))
        {
            if (a.Count != 3) w.WriteError(RespErrors.WrongArity("cluster|keyslot"));
            else w.WriteInteger(KeySlot.Of(a[2]));
        }
        else if (a.Is(1, "INFO"u8))
        {
            if (a.Count != 2) w.WriteError(RespErrors.WrongArity("cluster|info"));
            else w.WriteBulkString(ClusterInfo.ClusterInfoText(_node));
        }
        else if (a.Is(1, "HELP"u8))
        {
            WriteHelp(ref w, "CLUSTER", ["INFO", "    Return information about the cluster.", "KEYSLOT <key>", "    Return the hash slot for <key>."]);
        }
        else w.WriteError(RespErrors.UnknownSubcommand(a[1], "cluster"));
    }
}
