using CacheCluster.Integration.Tests.Cluster;
using CacheCluster.Integration.Tests.Infrastructure;
using CacheCluster.Integration.Tests.Persistence;
using Xunit.Abstractions;

namespace CacheCluster.Integration.Tests.Metrics;

/// <summary>
/// /metrics of a real 2-node cluster: each node reports only the shards it serves (the keys gauges add up to
/// DBSIZE, hits are counted once, by the owner), the cluster families describe the membership, and requests
/// routed through a node that does not own their shard show up in its node-link round-trip histogram.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class ClusterMetricsTests(ITestOutputHelper output)
{
    const int Shards = 32;

    [Fact]
    public async Task TwoNodes_KeysAddUpToDbsize_MembershipIsReported_LinkRoundTripsAreTimed()
    {
        await using var c = await ClusterProcesses.StartAsync(2, new ClusterOptions { Shards = Shards });
        var (n1, n2) = (c[1], c[2]);
        Task<PrometheusText> Scrape(ClusterNode n) => MetricsScrape.GetAsync(n.Host, n.AdminPort);

        var before1 = await Scrape(n1);
        var before2 = await Scrape(n2);
        foreach (var (n, m) in new[] { (n1, before1), (n2, before2) })
        {
            MetricsEndpointTests.AssertFamilies(m, MetricsEndpointTests.NodeFamilies.Concat(MetricsEndpointTests.ClusterFamilies));
            await c.AssertAsync(m.Value("cachecluster_cluster_enabled") == 1, $"{n.NodeId}: cluster_enabled is not 1");
            await c.AssertAsync(m.Value("cachecluster_cluster_members", "status", "up") == 2,
                $"{n.NodeId}: members up = {m.Value("cachecluster_cluster_members", "status", "up")}");
            foreach (var status in new[] { "joining", "leaving", "exiting", "down", "removed" })
                await c.AssertAsync(m.Has("cachecluster_cluster_members", "status", status), $"{n.NodeId}: no members{{status={status}}} series");
            await c.AssertAsync(m.Value("cachecluster_cluster_links") >= 1, $"{n.NodeId}: no open link");
            await c.AssertAsync(m.Value("cachecluster_cluster_handoffs_in_progress") == 0, $"{n.NodeId}: hand-offs still running");
            await c.AssertAsync(m.Value("cachecluster_cluster_handoffs_pending") == 0, $"{n.NodeId}: hand-offs pending");
            await c.AssertAsync(m.Value("cachecluster_cluster_gossip_messages_total", "direction", "sent") > 0 &&
                                m.Value("cachecluster_cluster_gossip_messages_total", "direction", "received") > 0, $"{n.NodeId}: no gossip counted");
            await c.AssertAsync(m.Value("cachecluster_ready") == 1, $"{n.NodeId}: not ready");
        }
        var owned1 = before1.Value("cachecluster_cluster_shards_owned");
        var owned2 = before2.Value("cachecluster_cluster_shards_owned");
        output.WriteLine($"shards owned: {n1.NodeId} {owned1}, {n2.NodeId} {owned2}");
        await c.AssertAsync(owned1 + owned2 == Shards && owned1 > 0 && owned2 > 0, $"shards owned {owned1} + {owned2} != {Shards}");

        // 300 keys written and read through node 1: the ones on node 2's shards cross the link
        var owners = (await n1.ClusterAsync()).Owners(Shards);
        var items = Enumerable.Range(0, 300).Select(i => ($"metrics:{i}", $"value{i}")).ToList();
        var remote = items.Count(i => owners[c.ShardOf(i.Item1)] == n2.NodeId);
        output.WriteLine($"{remote} of {items.Count} keys live on {n2.NodeId}");
        await c.AssertAsync(remote > 50, $"only {remote} keys on {n2.NodeId}: the test would not exercise routing");
        await using (var r = await n1.ConnectAsync())
        {
            await Persist.SetManyAsync(r, items, batch: 50);
            var got = await Persist.GetManyAsync(r, items.Select(i => i.Item1).ToList(), batch: 50);
            await c.AssertAsync(got.Select(v => v.Text).SequenceEqual(items.Select(i => i.Item2)), "a value read back through node 1 is wrong");
        }
        long dbsize;
        await using (var r = await n2.ConnectAsync()) dbsize = (await r.CallAsync("DBSIZE")).Integer;
        await c.AssertAsync(dbsize == items.Count, $"DBSIZE {dbsize}");

        var after1 = await Scrape(n1);
        var after2 = await Scrape(n2);
        double Delta(PrometheusText a, PrometheusText b, string name, params string[] labels) => a.Value(name, labels) - b.Value(name, labels);

        var keys1 = after1.Value("cachecluster_keys");
        var keys2 = after2.Value("cachecluster_keys");
        output.WriteLine($"keys: {n1.NodeId} {keys1}, {n2.NodeId} {keys2}, DBSIZE {dbsize}");
        await c.AssertAsync(keys1 + keys2 == dbsize, $"keys {keys1} + {keys2} != DBSIZE {dbsize}");
        await c.AssertAsync(keys2 == remote, $"{n2.NodeId} reports {keys2} keys, it owns the shards of {remote}");

        // commands count where clients sent them; keyspace hits where the shard lives: once each, never twice
        await c.AssertAsync(Delta(after1, before1, "cachecluster_commands_total", "protocol", "resp", "command", "set") == items.Count, "node 1 set count");
        await c.AssertAsync(Delta(after2, before2, "cachecluster_commands_total", "protocol", "resp", "command", "set") == 0, "node 2 counted forwarded sets as its own");
        var hits = Delta(after1, before1, "cachecluster_keyspace_hits_total") + Delta(after2, before2, "cachecluster_keyspace_hits_total");
        await c.AssertAsync(hits == items.Count, $"keyspace hits over both nodes rose by {hits}, not {items.Count}");
        await c.AssertAsync(Delta(after2, before2, "cachecluster_keyspace_hits_total") == remote, "node 2's hits are not those of its shards");

        // link round trips: node 1 forwarded 12 batches (6 SET + 6 GET pipelines of 50) holding keys of node 2
        var link1 = after1.Histogram("cachecluster_cluster_link_request_duration_seconds");
        var linkBefore = before1.Histogram("cachecluster_cluster_link_request_duration_seconds");
        output.WriteLine($"{n1.NodeId} link round trips: {linkBefore.Count} -> {link1.Count}, sum {link1.Sum:F6}s");
        await c.AssertAsync(link1.Count - linkBefore.Count >= 12, $"link histogram rose by {link1.Count - linkBefore.Count}, expected ≥ 12");
        await c.AssertAsync(link1.Sum > linkBefore.Sum, "link histogram sum did not rise");
        await c.AssertAsync(after1.Value("cachecluster_cluster_link_requests_pending") == 0, "requests still pending on node 1's links");
        await c.AssertAsync(after1.Histogram("cachecluster_request_duration_seconds", "protocol", "resp").Count >= 12, "node 1 request batches");   // 12 pipelines (more if a pipeline arrived in pieces)
    }
}
