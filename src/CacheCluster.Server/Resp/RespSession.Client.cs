using System.Text;
using CacheCluster.Protocols.Resp;

namespace CacheCluster.Server.Resp;

/// <summary>CLIENT subcommands.</summary>
public sealed partial class RespSession
{
    void Client(ref RespWriter w, ArgumentList a)
    {
        if (a.Is(1, "ID"u8) && a.Count == 2) w.WriteInteger(Id);
        else if (a.Is(1, "GETNAME"u8) && a.Count == 2)
        {
            if (Name is null) w.WriteNull();
            else w.WriteBulkString(Name);
        }
        else if (a.Is(1, "SETNAME"u8) && a.Count == 3)
        {
            var name = Encoding.Latin1.GetString(a[2]);
            if (!ValidClientName(name)) w.WriteError("ERR Client names cannot contain spaces, newlines or special characters.");
            else
            {
                Name = name.Length == 0 ? null : name;
                w.WriteOk();
            }
        }
        else if (a.Is(1, "SETINFO"u8) && a.Count == 4)
        {
            var value = Encoding.Latin1.GetString(a[3]);
            bool valid = ValidClientName(value);
            if (a.Is(2, "LIB-NAME"u8))
            {
                if (!valid) w.WriteError("ERR lib-name cannot contain spaces, newlines or special characters.");
                else { LibName = value; w.WriteOk(); }
            }
            else if (a.Is(2, "LIB-VER"u8))
            {
                if (!valid) w.WriteError("ERR lib-ver cannot contain spaces, newlines or special characters.");
                else { LibVersion = value; w.WriteOk(); }
            }
            else w.WriteError($"ERR Unrecognized option '{Encoding.Latin1.GetString(a[2])}'");
        }
        else if (a.Is(1, "INFO"u8) && a.Count == 2) WriteText(ref w, Describe() + "\n");
        else if (a.Is(1, "LIST"u8)) ClientList(ref w, a);
        else if (a.Is(1, "REPLY"u8) && a.Count == 3)
        {
            if (a.Is(2, "ON"u8))
            {
                // answered even when replies were off: switch the writer back to the socket first
                _replyMode = ReplyMode.On;
                w = new RespWriter(Output, Protocol);
                w.WriteOk();
            }
            else if (a.Is(2, "OFF"u8)) _replyMode = ReplyMode.Off;
            else if (a.Is(2, "SKIP"u8)) { if (_replyMode != ReplyMode.Off) _replyMode = ReplyMode.SkipPending; }
            else w.WriteError(RespErrors.Syntax);
        }
        else if (a.Is(1, "HELP"u8) && a.Count == 2)
        {
            WriteHelp(ref w, "CLIENT",
            [
                "GETNAME", "    Return the name of the current connection.",
                "ID", "    Return the ID of the current connection.",
                "INFO", "    Return information about the current client connection.",
                "LIST [TYPE (NORMAL|MASTER|REPLICA|PUBSUB)]", "    Return information about client connections.",
                "REPLY (ON|OFF|SKIP)", "    Control the replies sent to the current connection.",
                "SETNAME <name>", "    Assign the name <name> to the current connection.",
                "SETINFO <option> <value>", "    Set client meta attr. Options are: LIB-NAME, LIB-VER.",
            ]);
        }
        else if (IsKnownClientSub(a))
            w.WriteError(RespErrors.WrongArity("client|" + Encoding.Latin1.GetString(a[1]).ToLowerInvariant()));
        else w.WriteError(RespErrors.UnknownSubcommand(a[1], "client"));
    }

    /// <summary>Redis 7 sends human-readable text as a verbatim string in RESP3, a bulk in RESP2.</summary>
    void WriteText(ref RespWriter w, string text)
    {
        if (Protocol == 3) w.WriteVerbatim("txt"u8, Encoding.UTF8.GetBytes(text));
        else w.WriteBulkString(text);
    }

    static bool IsKnownClientSub(ArgumentList a) =>
        a.Is(1, "ID"u8) || a.Is(1, "GETNAME"u8) || a.Is(1, "SETNAME"u8) || a.Is(1, "SETINFO"u8) ||
        a.Is(1, "INFO"u8) || a.Is(1, "REPLY"u8) || a.Is(1, "HELP"u8);

    void ClientList(ref RespWriter w, ArgumentList a)
    {
        if (a.Count == 4 && a.Is(2, "TYPE"u8))
        {
            if (!a.Is(3, "NORMAL"u8) && !a.Is(3, "MASTER"u8) && !a.Is(3, "REPLICA"u8) && !a.Is(3, "PUBSUB"u8))
            {
                w.WriteError($"ERR Unknown client type '{Encoding.Latin1.GetString(a[3])}'");
                return;
            }
            if (!a.Is(3, "NORMAL"u8))
            {
                w.WriteBulkString("");
                return;
            }
        }
        else if (a.Count != 2)
        {
            w.WriteError(RespErrors.Syntax);
            return;
        }
        var sb = new StringBuilder();
        foreach (var s in _node.Clients.Values) sb.Append(s.Describe()).Append('\n');
        WriteText(ref w, sb.ToString());
    }

    /// <summary>One CLIENT LIST line, with Redis's field names.</summary>
    public string Describe()
    {
        long age = (long)(DateTimeOffset.UtcNow - CreatedAt).TotalSeconds;
        long idle = (Environment.TickCount64 - LastCommandAtMs) / 1000;
        return $"id={Id} addr={RemoteAddress} laddr={LocalAddress} fd=-1 name={Name} age={age} idle={idle} flags=N db=0 " +
               $"sub=0 psub=0 ssub=0 multi=-1 qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0 rbs=0 rbp=0 obl=0 oll=0 omem=0 " +
               $"tot-mem=0 events=r cmd={LastCommand} user=default redir=-1 resp={Protocol} lib-name={LibName} lib-ver={LibVersion}";
    }
}
