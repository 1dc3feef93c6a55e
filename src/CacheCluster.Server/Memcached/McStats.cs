using System.Diagnostics;
using System.Globalization;
using CacheCluster.Core;
using CacheCluster.Server.Hosting;

namespace CacheCluster.Server.Memcached;

/// <summary>The values behind memcached's `stats` groups, with memcached's names.</summary>
public static class McStats
{
    public const string Version = "1.6.21";

    public static async ValueTask<IReadOnlyList<KeyValuePair<string, string>>> GatherAsync(NodeState node, string? group)
    {
        var list = new List<KeyValuePair<string, string>>();
        void Add(string name, object value) =>
            list.Add(new(name, Convert.ToString(value, CultureInfo.InvariantCulture) ?? ""));
        switch (group)
        {
            case null or "":
                var s = await node.ShardStatsAsync();
                var m = node.Memcached;
                var proc = Process.GetCurrentProcess();
                var now = DateTimeOffset.UtcNow;
                Add("pid", Environment.ProcessId);
                Add("uptime", (long)(now - node.StartedAt).TotalSeconds);
                Add("time", now.ToUnixTimeSeconds());
                Add("version", Version);
                Add("libevent", "none");
                Add("pointer_size", IntPtr.Size * 8);
                Add("rusage_user", proc.UserProcessorTime.TotalSeconds.ToString("F6", CultureInfo.InvariantCulture));
                Add("rusage_system", proc.PrivilegedProcessorTime.TotalSeconds.ToString("F6", CultureInfo.InvariantCulture));
                Add("max_connections", 10000);
                Add("curr_connections", Interlocked.Read(ref m.CurrConnections));
                Add("total_connections", Interlocked.Read(ref m.TotalConnections));
                Add("rejected_connections", 0);
                Add("connection_structures", Interlocked.Read(ref m.CurrConnections));
                Add("cmd_get", Interlocked.Read(ref m.CmdGet));
                Add("cmd_set", Interlocked.Read(ref m.CmdSet));
                Add("cmd_flush", Interlocked.Read(ref m.CmdFlush));
                Add("cmd_touch", Interlocked.Read(ref m.CmdTouch));
                Add("get_hits", s.Hits);
                Add("get_misses", s.Misses);
                Add("get_expired", s.Expired);
                Add("get_flushed", 0);
                Add("delete_misses", Interlocked.Read(ref m.DeleteMisses));
                Add("delete_hits", Interlocked.Read(ref m.DeleteHits));
                Add("incr_misses", Interlocked.Read(ref m.IncrMisses));
                Add("incr_hits", Interlocked.Read(ref m.IncrHits));
                Add("decr_misses", Interlocked.Read(ref m.DecrMisses));
                Add("decr_hits", Interlocked.Read(ref m.DecrHits));
                Add("cas_misses", Interlocked.Read(ref m.CasMisses));
                Add("cas_hits", Interlocked.Read(ref m.CasHits));
                Add("cas_badval", Interlocked.Read(ref m.CasBadval));
                Add("touch_hits", Interlocked.Read(ref m.TouchHits));
                Add("touch_misses", Interlocked.Read(ref m.TouchMisses));
                Add("auth_cmds", 0);
                Add("auth_errors", 0);
                Add("bytes_read", Interlocked.Read(ref m.BytesRead));
                Add("bytes_written", Interlocked.Read(ref m.BytesWritten));
                Add("limit_maxbytes", node.Region.MaxMemoryBytes);
                Add("accepting_conns", 1);
                Add("threads", Environment.ProcessorCount);
                Add("conn_yields", 0);
                Add("bytes", s.UsedBytes);
                Add("curr_items", s.Keys);
                Add("total_items", s.TotalItems);
                Add("expired_unfetched", 0);
                Add("evicted_unfetched", 0);
                Add("evictions", s.Evicted);
                Add("reclaimed", s.Expired);
                Add("shards", node.Region.ShardCount);
                Add("cluster_shards_owned", node.Cluster?.View.ShardsOwned ?? node.Region.ShardCount);
                Add("cluster_members", node.Cluster?.View.KnownMembers ?? 1);
                break;
            case "settings":
                Add("maxbytes", node.Region.MaxMemoryBytes);
                Add("maxconns", 10000);
                Add("tcpport", node.Options.MemcachedPort);
                Add("udpport", 0);
                Add("interface", node.Options.Bind);
                Add("verbosity", 0);
                Add("oldest", 0);
                Add("evictions", node.Region.Policy == Storage.EvictionPolicy.NoEviction ? "off" : "on");
                Add("domain_socket", "NULL");
                Add("growth_factor", "1.25");
                Add("chunk_size", 48);
                Add("num_threads", Environment.ProcessorCount);
                Add("cas_enabled", "yes");
                Add("tcp_backlog", 1024);
                Add("binding_protocol", "auto-negotiate");
                Add("auth_enabled_sasl", "no");
                Add("item_size_max", node.Options.MaxItemSize);
                Add("maxconns_fast", "yes");
                Add("lru_crawler", "no");
                Add("shards", node.Region.ShardCount);
                Add("maxmemory_policy", EvictionPolicies.Name(node.Region.Policy));
                break;
            case "items":
                var items = await node.ShardStatsAsync();
                if (items.Keys > 0)
                {
                    Add("items:1:number", items.Keys);
                    Add("items:1:evicted", items.Evicted);
                    Add("items:1:reclaimed", items.Expired);
                }
                break;
            case "reset":
                node.Memcached.Reset();
                break;
            case "slabs":
                var slabs = await node.ShardStatsAsync();
                Add("active_slabs", slabs.Keys > 0 ? 1 : 0);
                Add("total_malloced", slabs.UsedBytes);
                break;
        }
        return list;
    }
}
