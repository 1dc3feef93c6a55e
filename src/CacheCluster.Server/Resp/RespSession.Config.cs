using System.IO.Pipelines;
using System.Text;
using CacheCluster.Core;
using CacheCluster.Protocols.Resp;
using CacheCluster.Server.Hosting;
using CacheCluster.Storage;

namespace CacheCluster.Server.Resp;

/// <summary>CONFIG GET/SET/RESETSTAT for the settings a node has.</summary>
public sealed partial class RespSession
{
    async ValueTask ConfigAsync(PipeWriter output, ArgumentList a)
    {
        if (a.Is(1, "GET"u8) && a.Count >= 3) ConfigGet(output, a);
        else if (a.Is(1, "SET"u8) && a.Count >= 4 && a.Count % 2 == 0) await ConfigSetAsync(output, a);
        else if (a.Is(1, "RESETSTAT"u8) && a.Count == 2)
        {
            _node.ResetStats();
            _aux.Clear();
            Writer(output).WriteOk();
        }
        else if (a.Is(1, "HELP"u8))
        {
            var w = Writer(output);
            WriteHelp(ref w, "CONFIG", ["GET <pattern>", "    Return parameters matching the glob-like <pattern> and their values.",
                "SET <directive> <value>", "    Set the configuration <directive> to <value>.", "RESETSTAT", "    Reset statistics reported by the INFO command."]);
        }
        else if (a.Is(1, "GET"u8) || a.Is(1, "SET"u8) || a.Is(1, "RESETSTAT"u8))
            Writer(output).WriteError(RespErrors.WrongArity("config|" + Encoding.Latin1.GetString(a[1]).ToLowerInvariant()));
        else Writer(output).WriteError(RespErrors.UnknownSubcommand(a[1], "config"));
    }

    /// <summary>Parameters in Redis's names; a few fixed ones that clients and tools ask for at start.</summary>
    List<(string Name, string Value)> ConfigParameters()
    {
        var o = _node.Options;
        return
        [
            ("maxmemory", _node.Region.MaxMemoryBytes.ToString()),
            ("maxmemory-policy", EvictionPolicies.Name(_node.Region.Policy)),
            ("port", o.RespPort.ToString()),
            ("bind", o.Bind),
            ("dir", Path.GetFullPath(o.DataDir)),
            ("databases", "1"),
            ("save", ""),
            ("appendonly", "no"),
            ("timeout", "0"),
            ("proto-max-bulk-len", CommandExecutor.MaxStringLength.ToString()),
            ("cluster-enabled", "no"),
        ];
    }

    void ConfigGet(PipeWriter output, ArgumentList a)
    {
        var matches = new List<(string, string)>();
        foreach (var p in ConfigParameters())
        {
            var name = Encoding.ASCII.GetBytes(p.Name);
            for (int i = 2; i < a.Count; i++)
            {
                if (Glob.Match(a[i], name, ignoreCase: true))
                {
                    matches.Add(p);
                    break;
                }
            }
        }
        var w = Writer(output);
        w.WriteMapHeader(matches.Count);
        foreach (var (n, v) in matches)
        {
            w.WriteBulkString(n);
            w.WriteBulkString(v);
        }
    }

    async ValueTask ConfigSetAsync(PipeWriter output, ArgumentList a)
    {
        long maxMemory = _node.Region.MaxMemoryBytes;
        var policy = _node.Region.Policy;
        for (int i = 2; i < a.Count; i += 2)
        {
            var name = Encoding.Latin1.GetString(a[i]).ToLowerInvariant();
            var value = Encoding.Latin1.GetString(a[i + 1]);
            string? error = name switch
            {
                "maxmemory" => ByteSize.TryParse(value, out maxMemory) ? null : "argument must be a memory value",
                "maxmemory-policy" => EvictionPolicies.TryParse(value, out policy) ? null : "argument(s) must be one of the following: allkeys-lru, volatile-lru, noeviction",
                _ => "unknown",
            };
            if (error == "unknown")
            {
                Writer(output).WriteError($"ERR Unknown option or number of arguments for CONFIG SET - '{name}'");
                return;
            }
            if (error != null)
            {
                Writer(output).WriteError($"ERR CONFIG SET failed (possibly related to argument '{name}') - {error}");
                return;
            }
        }
        long perShard = _node.Region.Reconfigure(maxMemory, policy);
        _aux.Clear();
        for (int s = 0; s < _node.Region.ShardCount; s++)
        {
            ref var c = ref _aux.Add(s);
            c.Op = Op.ConfigureMemory;
            c.Int1 = perShard;
            c.Int2 = (long)policy;
        }
        await _node.Region.ExecuteAsync(_aux, 0, _aux.Count);
        Writer(output).WriteOk();
    }
}
