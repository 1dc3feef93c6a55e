using CacheCluster.Protocols.Resp;
using CacheCluster.Protocols.Resp.Commands;

namespace CacheCluster.Server.Resp;

/// <summary>COMMAND, COMMAND COUNT/INFO/DOCS/LIST, in Redis 7's reply shapes.</summary>
public static class RespCommandInfo
{
    public static void Write(ref RespWriter w, ArgumentList a)
    {
        if (a.Count == 1)
        {
            w.WriteArrayHeader(RespCommandTable.All.Length);
            foreach (var c in RespCommandTable.All) WriteInfo(ref w, c);
        }
        else if (a.Is(1, "COUNT"u8) && a.Count == 2) w.WriteInteger(RespCommandTable.All.Length);
        else if (a.Is(1, "LIST"u8) && a.Count == 2)
        {
            w.WriteArrayHeader(RespCommandTable.All.Length);
            foreach (var c in RespCommandTable.All) w.WriteBulkString(c.Name);
        }
        else if (a.Is(1, "INFO"u8))
        {
            if (a.Count == 2)
            {
                w.WriteArrayHeader(RespCommandTable.All.Length);
                foreach (var c in RespCommandTable.All) WriteInfo(ref w, c);
                return;
            }
            w.WriteArrayHeader(a.Count - 2);
            for (int i = 2; i < a.Count; i++)
            {
                if (RespCommandTable.TryFind(a[i], out var c)) WriteInfo(ref w, c);
                else w.WriteNull();
            }
        }
        else if (a.Is(1, "DOCS"u8)) WriteDocs(ref w, a);
        else if (a.Is(1, "COUNT"u8) || a.Is(1, "LIST"u8))
            w.WriteError(RespErrors.WrongArity("command|" + System.Text.Encoding.Latin1.GetString(a[1]).ToLowerInvariant()));
        else if (a.Is(1, "HELP"u8))
        {
            w.WriteArrayHeader(1);
            w.WriteSimpleString("COMMAND [COUNT|INFO|DOCS|LIST] ...");
        }
        else w.WriteError(RespErrors.UnknownSubcommand(a[1], "command"));
    }

    static void WriteInfo(ref RespWriter w, RespCommandDef c)
    {
        w.WriteArrayHeader(10);
        w.WriteBulkString(c.Name);
        w.WriteInteger(c.Arity);
        w.WriteSetHeader(c.Flags.Length);
        foreach (var f in c.Flags) w.WriteSimpleString(f);
        w.WriteInteger(c.FirstKey);
        w.WriteInteger(c.LastKey);
        w.WriteInteger(c.Step);
        var acl = RespAclCategories.Of(c.Name);
        w.WriteSetHeader(acl.Length);
        foreach (var cat in acl) w.WriteSimpleString(cat);
        w.WriteArrayHeader(0); // tips
        w.WriteArrayHeader(0); // key specs
        w.WriteArrayHeader(c.Subcommands.Length);
        foreach (var s in c.Subcommands)
        {
            w.WriteArrayHeader(10);
            w.WriteBulkString(c.Name + "|" + s);
            w.WriteInteger(-2);
            w.WriteSetHeader(0);
            w.WriteInteger(0); w.WriteInteger(0); w.WriteInteger(0);
            w.WriteSetHeader(0);
            w.WriteArrayHeader(0); w.WriteArrayHeader(0); w.WriteArrayHeader(0);
        }
    }

    static void WriteDocs(ref RespWriter w, ArgumentList a)
    {
        int n = 0;
        if (a.Count == 2) n = RespCommandTable.All.Length;
        else for (int i = 2; i < a.Count; i++) if (RespCommandTable.TryFind(a[i], out _)) n++;
        w.WriteMapHeader(n);
        if (a.Count == 2)
        {
            foreach (var c in RespCommandTable.All) WriteDoc(ref w, c);
            return;
        }
        for (int i = 2; i < a.Count; i++)
            if (RespCommandTable.TryFind(a[i], out var c)) WriteDoc(ref w, c);
    }

    static void WriteDoc(ref RespWriter w, RespCommandDef c)
    {
        w.WriteBulkString(c.Name);
        w.WriteMapHeader(4);
        w.WriteBulkString("summary"); w.WriteBulkString(c.Summary);
        w.WriteBulkString("since"); w.WriteBulkString(c.Since);
        w.WriteBulkString("group"); w.WriteBulkString(c.Group);
        w.WriteBulkString("complexity"); w.WriteBulkString(c.Complexity);
    }
}
