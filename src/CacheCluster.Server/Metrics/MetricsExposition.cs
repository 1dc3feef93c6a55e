using System.Diagnostics;
using CacheCluster.Actors.Shards;
using CacheCluster.Cluster.Membership;
using CacheCluster.Core;
using CacheCluster.Protocols.Resp.Commands;
using CacheCluster.Server.Hosting;
using Microsoft.AspNetCore.Http;

namespace CacheCluster.Server.Metrics;

/// <summary>GET /metrics on the admin port: the node's metrics in the Prometheus text format 0.0.4.</summary>
public static class MetricsEndpoint
{
    /// <summary>
    /// The handler; made when the admin port is mapped (at start-up, before recovery), so the
    /// histograms fed by the journal and the node links see every observation from then on.
    /// </summary>
    public static RequestDelegate Handler(NodeState node)
    {
        var metrics = NodeMetrics.For(node);
        return async ctx =>
        {
            var text = await MetricsExposition.BuildAsync(node, metrics);
            ctx.Response.ContentType = PrometheusTextWriter.ContentType;
            ctx.Response.Headers.CacheControl = "no-store";
            await ctx.Response.WriteAsync(text, ctx.RequestAborted);
        };
    }
}

/// <summary>
/// Builds the exposition from what the node keeps: per-connection RESP command counts, the
/// memcached counters, this node's own shards' counters (asked of the local shard actors only, so
/// a cluster's nodes never count a shard twice), the cluster view, the journal's statistics, the
/// histograms of <see cref="NodeMetrics"/>, and the process.
/// </summary>
public static class MetricsExposition
{
    public static async ValueTask<string> BuildAsync(NodeState node, NodeMetrics metrics)
    {
        var shards = await LocalShardStatsAsync(node.Region);
        var w = new PrometheusTextWriter();
        WriteNode(w, node);
        WriteCommands(w, node, metrics);
        WriteKeyspace(w, node, shards);
        WriteConnections(w, node);
        WriteCluster(w, node, metrics);
        WriteJournal(w, node, metrics);
        WriteProcess(w, node);
        metrics.GcPauses.Write(w);
        return w.ToString();
    }

    /// <summary>
    /// Counters of the shards this node serves itself, summed: only shards whose actor is here and
    /// routed to locally (a shard in the middle of a hand-off is left out for that scrape rather than
    /// asked of another node or parked).
    /// </summary>
    public static async ValueTask<ShardStats> LocalShardStatsAsync(ShardRegion region)
    {
        var batch = new CommandBatch();
        for (int s = 0; s < region.ShardCount; s++)
            if (region.IsLocal(s) && region.Route(s) is LocalShardRoute)
                batch.Add(s).Op = Op.ShardStats;
        var total = new ShardStats();
        if (batch.Count == 0 || !region.Started) return total;
        await region.ExecuteAsync(batch, 0, batch.Count);
        for (int i = 0; i < batch.Count; i++)
            if (batch.Replies[i].Extra is ShardStats st) total.Add(st);
        return total;
    }

    static void WriteNode(PrometheusTextWriter w, NodeState node)
    {
        w.Family("cachecluster_up", MetricType.Gauge, "1 while the node process answers.").Sample(1);
        w.Family("cachecluster_node_info", MetricType.Gauge, "Constant 1, labelled with the node id and versions.")
            .Sample(1, "node_id", node.Options.NodeId, "version", NodeState.CacheClusterVersion, "redis_version", NodeState.Version);
        w.Family("cachecluster_ready", MetricType.Gauge, "1 when /readyz answers 200 (recovered; in a cluster: up and serving its shards).")
            .Sample(node.Ready ? 1 : 0);
        w.Family("cachecluster_loading", MetricType.Gauge, "1 while the shards are being recovered from the journal.")
            .Sample(node.Region.Started ? 0 : 1);
        w.Family("cachecluster_uptime_seconds", MetricType.Gauge, "Seconds since the node started.")
            .Sample((DateTimeOffset.UtcNow - node.StartedAt).TotalSeconds);
        w.Family("cachecluster_shards", MetricType.Gauge, "Shard count of the keyspace (--shards).").Sample(node.Region.ShardCount);
    }

    static void WriteCommands(PrometheusTextWriter w, NodeState node, NodeMetrics metrics)
    {
        var (calls, failed) = node.CommandTotals();
        var mc = node.Memcached;
        long Read(ref long field) => Interlocked.Read(ref field);
        (string Name, long Count)[] mcCommands =
        [
            ("get", Read(ref mc.CmdGet)),
            ("set", Read(ref mc.CmdSet)),
            ("touch", Read(ref mc.CmdTouch)),
            ("flush", Read(ref mc.CmdFlush)),
            ("delete", Read(ref mc.DeleteHits) + Read(ref mc.DeleteMisses)),
            ("incr", Read(ref mc.IncrHits) + Read(ref mc.IncrMisses)),
            ("decr", Read(ref mc.DecrHits) + Read(ref mc.DecrMisses)),
        ];

        w.Family("cachecluster_commands_total", MetricType.Counter,
            "Commands received, by protocol and command (RESP: every command, as INFO commandstats; memcached: as stats cmd_*, one per key of a multi-get).");
        foreach (var def in RespCommandTable.All) w.Sample(calls[(int)def.Id], "protocol", "resp", "command", def.Name);
        w.Sample(calls[(int)RespCommandId.Unknown], "protocol", "resp", "command", "unknown");
        foreach (var (name, count) in mcCommands) w.Sample(count, "protocol", "memcached", "command", name);

        w.Family("cachecluster_command_errors_total", MetricType.Counter,
            "Commands answered with an error, by protocol and command (memcached command=\"invalid\": requests refused before execution).");
        foreach (var def in RespCommandTable.All) w.Sample(failed[(int)def.Id], "protocol", "resp", "command", def.Name);
        w.Sample(failed[(int)RespCommandId.Unknown], "protocol", "resp", "command", "unknown");
        for (int i = 0; i < McErrorCounters.Labels.Length; i++)
            w.Sample(metrics.McErrors[i], "protocol", "memcached", "command", McErrorCounters.Labels[i]);

        w.Family("cachecluster_request_duration_seconds", MetricType.Histogram,
            "Request batches (every request of one read of a connection) from the read to the flush of their replies.");
        w.Histogram(metrics.RespBatchSeconds.Snapshot(), "protocol", "resp");
        w.Histogram(metrics.McBatchSeconds.Snapshot(), "protocol", "memcached");
    }

    static void WriteKeyspace(PrometheusTextWriter w, NodeState node, ShardStats s)
    {
        w.Family("cachecluster_keyspace_hits_total", MetricType.Counter, "Key lookups that found the key, in the shards this node serves.").Sample(s.Hits);
        w.Family("cachecluster_keyspace_misses_total", MetricType.Counter, "Key lookups that did not find the key, in the shards this node serves.").Sample(s.Misses);
        w.Family("cachecluster_evicted_keys_total", MetricType.Counter, "Keys evicted to stay within maxmemory, in the shards this node serves.").Sample(s.Evicted);
        w.Family("cachecluster_expired_keys_total", MetricType.Counter, "Keys removed because their TTL passed, in the shards this node serves.").Sample(s.Expired);
        w.Family("cachecluster_keys", MetricType.Gauge, "Keys in the shards this node serves.").Sample(s.Keys);
        w.Family("cachecluster_expiring_keys", MetricType.Gauge, "Keys with a TTL in the shards this node serves.").Sample(s.VolatileKeys);
        w.Family("cachecluster_memory_used_bytes", MetricType.Gauge, "Bytes of data (keys, values, entry overhead) in the shards this node serves.").Sample(s.UsedBytes);
        w.Family("cachecluster_memory_limit_bytes", MetricType.Gauge, "The node's data budget (maxmemory); 0 = unlimited.").Sample(node.Region.MaxMemoryBytes);
    }

    static void WriteConnections(PrometheusTextWriter w, NodeState node)
    {
        var mc = node.Memcached;
        w.Family("cachecluster_connections", MetricType.Gauge, "Client connections open now, by protocol.")
            .Sample(node.Clients.Count, "protocol", "resp")
            .Sample(Interlocked.Read(ref mc.CurrConnections), "protocol", "memcached");
        w.Family("cachecluster_connections_total", MetricType.Counter, "Client connections accepted, by protocol.")
            .Sample(node.TotalConnections, "protocol", "resp")
            .Sample(Interlocked.Read(ref mc.TotalConnections), "protocol", "memcached");
    }

    static readonly MemberStatus[] Statuses = Enum.GetValues<MemberStatus>();

    static void WriteCluster(PrometheusTextWriter w, NodeState node, NodeMetrics metrics)
    {
        w.Family("cachecluster_cluster_enabled", MetricType.Gauge, "1 when the node runs as a cluster member (--cluster-port).")
            .Sample(node.Options.ClusterEnabled ? 1 : 0);
        if (node.Cluster is not { } cluster) return;
        var view = cluster.View;

        w.Family("cachecluster_cluster_shards_owned", MetricType.Gauge, "Shards this node serves.").Sample(view.ShardsOwned);
        w.Family("cachecluster_cluster_members", MetricType.Gauge, "Members this node knows, by status.");
        var byStatus = new long[Statuses.Length];
        foreach (var m in view.Members) byStatus[Array.IndexOf(Statuses, m.Status)]++;
        for (int i = 0; i < Statuses.Length; i++) w.Sample(byStatus[i], "status", Statuses[i].ToString().ToLowerInvariant());
        w.Family("cachecluster_cluster_unreachable_members", MetricType.Gauge, "Live members this node sees as unreachable.")
            .Sample(view.Members.Count(m => !m.Reachable && m.Status <= MemberStatus.Exiting));
        w.Family("cachecluster_cluster_handoffs_in_progress", MetricType.Gauge, "Shard hand-offs (outgoing and incoming) running on this node.").Sample(view.HandoffsInProgress);
        w.Family("cachecluster_cluster_handoffs_total", MetricType.Counter, "Shard hand-offs this node completed.").Sample(view.HandoffsDone);
        w.Family("cachecluster_cluster_handoffs_pending", MetricType.Gauge, "Shards whose owner is not yet their placement (hand-offs to come).").Sample(view.MovesPending);
        var (sent, received) = cluster.GossipCounts;
        w.Family("cachecluster_cluster_gossip_messages_total", MetricType.Counter, "Gossip messages (full cluster states) sent to and received from peers.")
            .Sample(sent, "direction", "sent")
            .Sample(received, "direction", "received");
        w.Family("cachecluster_cluster_parked_requests", MetricType.Gauge, "Request slices waiting for a shard whose owner is unknown or moving.")
            .Sample(node.Region.ParkedCount);
        int links = 0, pending = 0;
        foreach (var p in cluster.Peers)
        {
            if (!p.IsOpen) continue;
            links++;
            pending += p.Pending;
        }
        w.Family("cachecluster_cluster_links", MetricType.Gauge, "Open links to peer nodes.").Sample(links);
        w.Family("cachecluster_cluster_link_requests_pending", MetricType.Gauge, "Requests forwarded to peers and not answered yet.").Sample(pending);
        w.Family("cachecluster_cluster_link_request_duration_seconds", MetricType.Histogram,
            "Round trips of requests forwarded over node links (one request per shard per batch), from send to response.");
        w.Histogram(metrics.LinkRequestSeconds.Snapshot());
    }

    static void WriteJournal(PrometheusTextWriter w, NodeState node, NodeMetrics metrics)
    {
        var j = node.Journal.Stats;
        w.Family("cachecluster_journal_events_pending", MetricType.Gauge, "Journal events submitted and not yet committed.").Sample(j.EventsPending);
        w.Family("cachecluster_journal_events_written_total", MetricType.Counter, "Journal events committed.").Sample(j.EventsWrittenTotal);
        w.Family("cachecluster_journal_events_dropped_total", MetricType.Counter, "Journal events refused or lost by a failed commit (durability always).").Sample(j.EventsDroppedTotal);
        w.Family("cachecluster_journal_commits_total", MetricType.Counter, "Journal transactions committed (group commits).").Sample(j.CommitsTotal);
        w.Family("cachecluster_journal_commit_events", MetricType.Histogram, "Events per committed journal transaction.");
        w.Histogram(metrics.JournalCommitEventCounts.Snapshot());
        w.Family("cachecluster_journal_commit_duration_seconds", MetricType.Histogram,
            "Duration of committed journal transactions, from BEGIN to the end of COMMIT (fsync included with durability always).");
        w.Histogram(metrics.JournalCommitSeconds.Snapshot());
        w.Family("cachecluster_journal_write_errors_total", MetricType.Counter, "Journal transactions that failed.").Sample(j.WriteErrorsTotal);
        w.Family("cachecluster_journal_snapshots_total", MetricType.Counter, "Shard snapshots committed.").Sample(j.SnapshotsTotal);
        w.Family("cachecluster_journal_last_commit_timestamp_seconds", MetricType.Gauge, "Unix time of the last commit; 0 = none yet.")
            .Sample(j.LastCommitAtUnixMs / 1000.0);
        w.Family("cachecluster_journal_size_bytes", MetricType.Gauge, "Size of the journal database and its write-ahead log.").Sample(node.Journal.Database.SizeBytes);
    }

    static void WriteProcess(PrometheusTextWriter w, NodeState node)
    {
        using var proc = Process.GetCurrentProcess();
        w.Family("process_resident_memory_bytes", MetricType.Gauge, "Resident memory size in bytes.").Sample(proc.WorkingSet64);
        w.Family("process_cpu_seconds_total", MetricType.Counter, "User and system CPU time spent in seconds.").Sample(proc.TotalProcessorTime.TotalSeconds);
        w.Family("process_start_time_seconds", MetricType.Gauge, "Start time of the process since the Unix epoch in seconds.")
            .Sample(new DateTimeOffset(proc.StartTime).ToUnixTimeMilliseconds() / 1000.0);
        w.Family("dotnet_gc_pause_seconds_total", MetricType.Counter, "Time the garbage collector paused the process.")
            .Sample(GC.GetTotalPauseDuration().TotalSeconds);
        w.Family("dotnet_gc_collections_total", MetricType.Counter, "Garbage collections, by generation.");
        for (int g = 0; g <= GC.MaxGeneration; g++) w.Sample(GC.CollectionCount(g), "generation", g.ToString(System.Globalization.CultureInfo.InvariantCulture));
        w.Family("dotnet_gc_allocated_bytes_total", MetricType.Counter, "Bytes allocated on the managed heap.").Sample(GC.GetTotalAllocatedBytes());
        w.Family("dotnet_threadpool_threads", MetricType.Gauge, "Thread pool threads.").Sample(ThreadPool.ThreadCount);
    }
}
