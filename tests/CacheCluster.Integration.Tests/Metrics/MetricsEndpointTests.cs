using System.Diagnostics;
using CacheCluster.Integration.Tests.Infrastructure;
using CacheCluster.Integration.Tests.Memcached.Harness;

namespace CacheCluster.Integration.Tests.Metrics;

/// <summary>
/// GET /metrics of a real single node: the exposition is valid Prometheus text (checked by a strict parser),
/// and its counters move by exactly what the test sent over RESP and memcached.
/// </summary>
public sealed class MetricsEndpointTests
{
    /// <summary>Every family the endpoint documents, with its type (cluster families only in cluster mode).</summary>
    public static readonly (string Name, string Type)[] NodeFamilies =
    [
        ("cachecluster_up", "gauge"),
        ("cachecluster_uptime_seconds", "gauge"),
        ("cachecluster_commands_total", "counter"),
        ("cachecluster_command_errors_total", "counter"),
        ("cachecluster_request_duration_seconds", "histogram"),
        ("cachecluster_keyspace_hits_total", "counter"),
        ("cachecluster_keyspace_misses_total", "counter"),
        ("cachecluster_evicted_keys_total", "counter"),
        ("cachecluster_expired_keys_total", "counter"),
        ("cachecluster_keys", "gauge"),
        ("cachecluster_memory_used_bytes", "gauge"),
        ("cachecluster_memory_limit_bytes", "gauge"),
        ("cachecluster_connections", "gauge"),
        ("cachecluster_connections_total", "counter"),
        ("cachecluster_cluster_enabled", "gauge"),
        ("cachecluster_journal_events_pending", "gauge"),
        ("cachecluster_journal_events_written_total", "counter"),
        ("cachecluster_journal_commits_total", "counter"),
        ("cachecluster_journal_commit_events", "histogram"),
        ("cachecluster_journal_commit_duration_seconds", "histogram"),
        ("cachecluster_journal_write_errors_total", "counter"),
        ("cachecluster_journal_size_bytes", "gauge"),
        ("process_resident_memory_bytes", "gauge"),
        ("dotnet_gc_pause_seconds_total", "counter"),
        ("dotnet_gc_collections_total", "counter"),
    ];

    public static readonly (string Name, string Type)[] ClusterFamilies =
    [
        ("cachecluster_cluster_shards_owned", "gauge"),
        ("cachecluster_cluster_members", "gauge"),
        ("cachecluster_cluster_handoffs_in_progress", "gauge"),
        ("cachecluster_cluster_handoffs_total", "counter"),
        ("cachecluster_cluster_handoffs_pending", "gauge"),
        ("cachecluster_cluster_gossip_messages_total", "counter"),
        ("cachecluster_cluster_parked_requests", "gauge"),
        ("cachecluster_cluster_links", "gauge"),
        ("cachecluster_cluster_link_request_duration_seconds", "histogram"),
    ];

    internal static void AssertFamilies(PrometheusText m, IEnumerable<(string Name, string Type)> families)
    {
        foreach (var (name, type) in families)
        {
            Assert.True(m.Families.TryGetValue(name, out var f), $"family {name} missing");
            Assert.Equal(type, f!.Type);
            Assert.False(string.IsNullOrWhiteSpace(f.Help), $"{name} has an empty HELP");
            if (type == "counter") Assert.EndsWith("_total", name);
        }
        foreach (var f in m.Families.Values)
            Assert.Matches("^(cachecluster|process|dotnet)_", f.Name);
    }

    [Fact]
    public async Task FreshNode_ExpositionIsStrictlyValid_AndStartsFromZero()
    {
        await using var node = await NodeProcess.StartAsync(new NodeOptions { NodeId = "metrics-fresh" });
        var m = await MetricsScrape.GetAsync(node.Host, node.AdminPort);

        AssertFamilies(m, NodeFamilies);
        Assert.DoesNotContain(m.Families.Keys, k => ClusterFamilies.Any(c => c.Name == k));
        Assert.Equal(1, m.Value("cachecluster_up"));
        Assert.Equal(0, m.Value("cachecluster_cluster_enabled"));
        Assert.Equal(1, m.Value("cachecluster_ready"));
        Assert.Equal("metrics-fresh", m.Series("cachecluster_node_info").Single().Labels["node_id"]);
        Assert.Equal(0, m.Value("cachecluster_keys"));
        Assert.InRange(m.Value("cachecluster_uptime_seconds"), 0, 120);
        Assert.True(m.Value("process_resident_memory_bytes") > 1 << 20);
        Assert.True(m.Value("cachecluster_journal_size_bytes") > 0);

        // every command counter exists from the start (stable series), at zero: nothing was sent yet
        foreach (var s in m.Series("cachecluster_commands_total").Concat(m.Series("cachecluster_command_errors_total")))
            Assert.True(s.Value == 0, $"{s.Key} = {s.Value} on a fresh node");
        foreach (var cmd in new[] { "get", "set", "del", "mget", "incr", "unknown" })
            Assert.True(m.Has("cachecluster_commands_total", "protocol", "resp", "command", cmd), $"no resp {cmd} counter");
        foreach (var cmd in new[] { "get", "set", "delete", "incr", "decr", "touch", "flush" })
            Assert.True(m.Has("cachecluster_commands_total", "protocol", "memcached", "command", cmd), $"no memcached {cmd} counter");
        foreach (var p in new[] { "resp", "memcached" })
        {
            Assert.Equal(0, m.Histogram("cachecluster_request_duration_seconds", "protocol", p).Count);
            Assert.Equal(0, m.Value("cachecluster_connections", "protocol", p));
            Assert.Equal(0, m.Value("cachecluster_connections_total", "protocol", p));
        }
        var buckets = m.Histogram("cachecluster_request_duration_seconds", "protocol", "resp").Buckets;
        Assert.Equal(0.00005, buckets[0].Le);
        Assert.Equal(1, buckets[^2].Le);
        Assert.True(double.IsPositiveInfinity(buckets[^1].Le));
        Assert.Equal(3, m.Series("dotnet_gc_collections_total").Count());

        // a second scrape has the same families in the same order (scrapes change nothing they report)
        var again = await MetricsScrape.GetAsync(node.Host, node.AdminPort);
        Assert.Equal(m.Order, again.Order);
        Assert.Equal(0, again.Value("cachecluster_keyspace_hits_total") + again.Value("cachecluster_keyspace_misses_total"));
    }

    [Fact]
    public async Task Counters_RiseByExactlyWhatWasSent_RespAndMemcached()
    {
        await using var node = await NodeProcess.StartAsync(new NodeOptions { Shards = 8 });
        var before = await MetricsScrape.GetAsync(node.Host, node.AdminPort);
        double Delta(PrometheusText after, string name, params string[] labels) => after.Value(name, labels) - before.Value(name, labels);

        // --- RESP, one request per round trip: 20 SETs, 10 GET hits, 5 GET misses
        await using var r = await node.ConnectAsync();
        for (int i = 0; i < 20; i++) Assert.Equal("OK", (await r.CallAsync("SET", $"k{i}", $"v{i}")).Text);
        for (int i = 0; i < 10; i++) Assert.Equal($"v{i}", (await r.CallAsync("GET", $"k{i}")).Text);
        for (int i = 0; i < 5; i++) Assert.True((await r.CallAsync("GET", $"missing{i}")).IsNull);

        var m1 = await MetricsScrape.GetAsync(node.Host, node.AdminPort);
        Assert.Equal(20, Delta(m1, "cachecluster_commands_total", "protocol", "resp", "command", "set"));
        Assert.Equal(15, Delta(m1, "cachecluster_commands_total", "protocol", "resp", "command", "get"));
        Assert.Equal(10, Delta(m1, "cachecluster_keyspace_hits_total"));
        Assert.Equal(5, Delta(m1, "cachecluster_keyspace_misses_total"));
        Assert.Equal(20, m1.Value("cachecluster_keys"));
        Assert.Equal(0, m1.Series("cachecluster_command_errors_total").Sum(s => s.Value));
        // one batch per round trip: a request is only executed once it is complete, so split reads add nothing
        Assert.Equal(35, m1.Histogram("cachecluster_request_duration_seconds", "protocol", "resp").Count);
        Assert.Equal(0, m1.Histogram("cachecluster_request_duration_seconds", "protocol", "memcached").Count);
        Assert.Equal(1, m1.Value("cachecluster_connections", "protocol", "resp"));
        Assert.Equal(1, Delta(m1, "cachecluster_connections_total", "protocol", "resp"));
        Assert.True(m1.Value("cachecluster_memory_used_bytes") > 0);

        // --- RESP pipelined: 20 GETs (hits) in one write: at least one batch, at most 20
        var pipeline = new MemoryStream();
        for (int i = 0; i < 20; i++) pipeline.Write(RespClient.Encode(RespClient.Args("GET", $"k{i}")));
        await r.SendRawAsync(pipeline.ToArray());
        for (int i = 0; i < 20; i++) Assert.Equal($"v{i}", (await r.ReadAsync()).Text);

        // --- RESP errors: an arity error (refused at parse) and a WRONGTYPE-like execution error (INCR of "v0")
        Assert.Equal(RespKind.Error, (await r.CallAsync("GET")).Kind);
        Assert.Equal(RespKind.Error, (await r.CallAsync("INCR", "k0")).Kind);
        Assert.Equal(RespKind.Error, (await r.CallAsync("NOSUCHCOMMAND", "x")).Kind);

        var m2 = await MetricsScrape.GetAsync(node.Host, node.AdminPort);
        Assert.Equal(36, Delta(m2, "cachecluster_commands_total", "protocol", "resp", "command", "get"));
        Assert.Equal(30, Delta(m2, "cachecluster_keyspace_hits_total"));
        Assert.Equal(5, Delta(m2, "cachecluster_keyspace_misses_total"));
        Assert.Equal(1, Delta(m2, "cachecluster_command_errors_total", "protocol", "resp", "command", "get"));
        Assert.Equal(1, Delta(m2, "cachecluster_commands_total", "protocol", "resp", "command", "incr"));
        Assert.Equal(1, Delta(m2, "cachecluster_command_errors_total", "protocol", "resp", "command", "incr"));
        Assert.Equal(1, Delta(m2, "cachecluster_commands_total", "protocol", "resp", "command", "unknown"));
        Assert.Equal(1, Delta(m2, "cachecluster_command_errors_total", "protocol", "resp", "command", "unknown"));
        Assert.Equal(3, m2.Series("cachecluster_command_errors_total").Sum(s => s.Value));
        var batches = m2.Histogram("cachecluster_request_duration_seconds", "protocol", "resp").Count - 35;
        Assert.InRange(batches, 1 + 3, 20 + 3);

        // --- memcached text: 10 sets; a multi-get of 5 keys (4 hits, 1 miss); 3 single gets (2 hits, 1 miss)
        await using var mc = await McConnection.ConnectAsync(node.MemcachedPort);
        for (int i = 0; i < 10; i++)
        {
            await mc.SendAsync($"set mk{i} 0 0 3\r\nval\r\n");
            Assert.Equal("STORED", await mc.ReadLineTextAsync());
        }
        await mc.SendAsync("get mk0 mk1 nope0 mk2 mk3\r\n");
        Assert.Equal(4, await ReadValuesAsync(mc));
        foreach (var k in new[] { "mk4", "nope1", "mk5" })
        {
            await mc.SendAsync($"get {k}\r\n");
            await ReadValuesAsync(mc);
        }
        var m3 = await MetricsScrape.GetAsync(node.Host, node.AdminPort);
        Assert.Equal(10, Delta(m3, "cachecluster_commands_total", "protocol", "memcached", "command", "set"));
        Assert.Equal(8, Delta(m3, "cachecluster_commands_total", "protocol", "memcached", "command", "get"));
        Assert.Equal(30 + 6, Delta(m3, "cachecluster_keyspace_hits_total"));
        Assert.Equal(5 + 2, Delta(m3, "cachecluster_keyspace_misses_total"));
        Assert.Equal(14, m3.Histogram("cachecluster_request_duration_seconds", "protocol", "memcached").Count);
        Assert.Equal(1, m3.Value("cachecluster_connections", "protocol", "memcached"));
        Assert.Equal(1, Delta(m3, "cachecluster_connections_total", "protocol", "memcached"));

        // --- memcached errors: incr of a non-numeric value, and a request the codec refuses
        await mc.SendAsync("incr mk0 1\r\n");
        Assert.StartsWith("CLIENT_ERROR", await mc.ReadLineTextAsync());
        await mc.SendAsync("bogus\r\n");
        Assert.Equal("ERROR", await mc.ReadLineTextAsync());
        var m4 = await MetricsScrape.GetAsync(node.Host, node.AdminPort);
        Assert.Equal(1, Delta(m4, "cachecluster_commands_total", "protocol", "memcached", "command", "incr"));
        Assert.Equal(1, Delta(m4, "cachecluster_command_errors_total", "protocol", "memcached", "command", "incr"));
        Assert.Equal(1, Delta(m4, "cachecluster_command_errors_total", "protocol", "memcached", "command", "invalid"));

        // --- the keys gauge is DBSIZE on a single node (RESP and memcached share the keyspace)
        var dbsize = (await r.CallAsync("DBSIZE")).Integer;
        Assert.Equal(30, dbsize);
        var m5 = await MetricsScrape.GetAsync(node.Host, node.AdminPort);
        Assert.Equal(dbsize, m5.Value("cachecluster_keys"));

        // --- the journal: once idle, its histograms agree with its counters (every commit was observed)
        var sw = Stopwatch.StartNew();
        PrometheusText j;
        while (true)
        {
            j = await MetricsScrape.GetAsync(node.Host, node.AdminPort);
            var commits = j.Value("cachecluster_journal_commits_total");
            var events = j.Histogram("cachecluster_journal_commit_events");
            if (j.Value("cachecluster_journal_events_pending") == 0 && commits > 0 && events.Count == commits &&
                events.Sum == j.Value("cachecluster_journal_events_written_total")) break;
            Assert.True(sw.Elapsed < TimeSpan.FromSeconds(15),
                $"journal metrics never agreed: commits {commits}, commit_events count {events.Count} sum {events.Sum}, " +
                $"written {j.Value("cachecluster_journal_events_written_total")}, pending {j.Value("cachecluster_journal_events_pending")}");
            await Task.Delay(200);
        }
        Assert.True(j.Value("cachecluster_journal_events_written_total") >= 30);   // 20 RESP + 10 memcached sets at least
        Assert.Equal(j.Value("cachecluster_journal_commits_total"), j.Histogram("cachecluster_journal_commit_duration_seconds").Count);
        Assert.True(j.Histogram("cachecluster_journal_commit_duration_seconds").Sum > 0);
        Assert.Equal(0, j.Value("cachecluster_journal_write_errors_total"));
    }

    [Fact]
    public async Task MemoryLimit_IsTheConfiguredMaxmemory()
    {
        await using var node = await NodeProcess.StartAsync(new NodeOptions { MaxMemory = "64mb" });
        var m = await MetricsScrape.GetAsync(node.Host, node.AdminPort);
        Assert.Equal(64L << 20, m.Value("cachecluster_memory_limit_bytes"));
    }

    /// <summary>Reads a text get response up to END; returns how many VALUE items it had.</summary>
    internal static async Task<int> ReadValuesAsync(McConnection mc)
    {
        int values = 0;
        while (true)
        {
            var line = await mc.ReadLineTextAsync();
            if (line == "END") return values;
            Assert.StartsWith("VALUE ", line);
            var len = int.Parse(line.Split(' ')[3]);
            await mc.ReadExactAsync(len + 2);
            values++;
        }
    }
}
