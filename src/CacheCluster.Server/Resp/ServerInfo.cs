using System.Diagnostics;
using System.Text;
using CacheCluster.Core;
using CacheCluster.Protocols.Resp;
using CacheCluster.Protocols.Resp.Commands;
using CacheCluster.Server.Hosting;

namespace CacheCluster.Server.Resp;

/// <summary>The INFO text, section by section, with Redis's field names.</summary>
public static class ServerInfo
{
    static readonly string[] DefaultSections = ["server", "clients", "memory", "persistence", "stats", "replication", "cpu", "cluster", "keyspace"];

    public static string Build(NodeState node, RespSession session, ShardStats stats, ArgumentList a)
    {
        var wanted = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        if (a.Count == 1) wanted.UnionWith(DefaultSections);
        for (int i = 1; i < a.Count; i++)
        {
            var s = Encoding.Latin1.GetString(a[i]).ToLowerInvariant();
            if (s is "all" or "everything") { wanted.UnionWith(DefaultSections); wanted.Add("commandstats"); }
            else if (s == "default") wanted.UnionWith(DefaultSections);
            else wanted.Add(s);
        }
        var sb = new StringBuilder();
        void Section(string name, Action<StringBuilder> body)
        {
            if (!wanted.Contains(name)) return;
            if (sb.Length > 0) sb.Append("\r\n");
            sb.Append("# ").Append(char.ToUpperInvariant(name[0])).Append(name, 1, name.Length - 1).Append("\r\n");
            body(sb);
        }
        var proc = Process.GetCurrentProcess();
        long uptime = (long)(DateTimeOffset.UtcNow - node.StartedAt).TotalSeconds;
        Section("server", s => s
            .Append("redis_version:").Append(NodeState.Version).Append("\r\n")
            .Append("cachecluster_version:").Append(NodeState.CacheClusterVersion).Append("\r\n")
            .Append("redis_mode:standalone\r\n")
            .Append("os:").Append(Environment.OSVersion.VersionString).Append("\r\n")
            .Append("arch_bits:64\r\n")
            .Append("process_id:").Append(Environment.ProcessId).Append("\r\n")
            .Append("run_id:").Append(node.Options.NodeId).Append("\r\n")
            .Append("tcp_port:").Append(node.Options.RespPort).Append("\r\n")
            .Append("server_time_usec:").Append(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000).Append("\r\n")
            .Append("uptime_in_seconds:").Append(uptime).Append("\r\n")
            .Append("uptime_in_days:").Append(uptime / 86400).Append("\r\n")
            .Append("hz:10\r\n")
            .Append("executable:").Append(Environment.ProcessPath).Append("\r\n")
            .Append("node_id:").Append(node.Options.NodeId).Append("\r\n")
            .Append("shards:").Append(node.Region.ShardCount).Append("\r\n"));
        Section("clients", s => s
            .Append("connected_clients:").Append(node.Clients.Count).Append("\r\n")
            .Append("blocked_clients:0\r\n")
            .Append("maxclients:10000\r\n"));
        Section("memory", s => s
            .Append("used_memory:").Append(stats.UsedBytes).Append("\r\n")
            .Append("used_memory_human:").Append(Human(stats.UsedBytes)).Append("\r\n")
            .Append("used_memory_rss:").Append(proc.WorkingSet64).Append("\r\n")
            .Append("used_memory_rss_human:").Append(Human(proc.WorkingSet64)).Append("\r\n")
            .Append("used_memory_peak:").Append(proc.PeakWorkingSet64).Append("\r\n")
            .Append("managed_heap_bytes:").Append(GC.GetTotalMemory(false)).Append("\r\n")
            .Append("maxmemory:").Append(node.Region.MaxMemoryBytes).Append("\r\n")
            .Append("maxmemory_human:").Append(Human(node.Region.MaxMemoryBytes)).Append("\r\n")
            .Append("maxmemory_policy:").Append(EvictionPolicies.Name(node.Region.Policy)).Append("\r\n"));
        Section("persistence", s => PersistenceInfo.Append(s, node.Journal));
        var (calls, failed) = node.CommandTotals();
        long total = 0;
        foreach (var c in calls) total += c;
        Section("stats", s => s
            .Append("total_connections_received:").Append(node.TotalConnections).Append("\r\n")
            .Append("total_commands_processed:").Append(total).Append("\r\n")
            .Append("rejected_connections:").Append(node.RejectedConnections).Append("\r\n")
            .Append("expired_keys:").Append(stats.Expired).Append("\r\n")
            .Append("evicted_keys:").Append(stats.Evicted).Append("\r\n")
            .Append("keyspace_hits:").Append(stats.Hits).Append("\r\n")
            .Append("keyspace_misses:").Append(stats.Misses).Append("\r\n")
            .Append("unknown_commands:").Append(calls[(int)RespCommandId.Unknown]).Append("\r\n"));
        Section("replication", s => s.Append("role:master\r\nconnected_slaves:0\r\n"));
        Section("cpu", s => s
            .Append("used_cpu_sys:").Append(proc.PrivilegedProcessorTime.TotalSeconds.ToString("F6", System.Globalization.CultureInfo.InvariantCulture)).Append("\r\n")
            .Append("used_cpu_user:").Append(proc.UserProcessorTime.TotalSeconds.ToString("F6", System.Globalization.CultureInfo.InvariantCulture)).Append("\r\n"));
        Section("cluster", s => ClusterInfo.AppendInfoSection(s, node));
        Section("keyspace", s =>
        {
            if (stats.Keys > 0)
                s.Append("db0:keys=").Append(stats.Keys).Append(",expires=").Append(stats.VolatileKeys).Append(",avg_ttl=0\r\n");
        });
        Section("commandstats", s =>
        {
            foreach (var def in RespCommandTable.All)
            {
                long n = calls[(int)def.Id];
                if (n == 0) continue;
                s.Append("cmdstat_").Append(def.Name).Append(":calls=").Append(n)
                 .Append(",usec=0,usec_per_call=0.00,rejected_calls=0,failed_calls=").Append(failed[(int)def.Id]).Append("\r\n");
            }
        });
        return sb.ToString();
    }

    static string Human(long bytes) => bytes switch
    {
        >= 1L << 30 => $"{bytes / (double)(1L << 30):F2}G",
        >= 1L << 20 => $"{bytes / (double)(1L << 20):F2}M",
        >= 1L << 10 => $"{bytes / 1024.0:F2}K",
        _ => $"{bytes}B",
    };
}
