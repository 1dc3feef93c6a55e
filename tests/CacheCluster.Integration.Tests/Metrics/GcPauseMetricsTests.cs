using System.Diagnostics;
using CacheCluster.Integration.Tests.Infrastructure;
using Xunit.Abstractions;

namespace CacheCluster.Integration.Tests.Metrics;

/// <summary>
/// GC pauses on /metrics of a real node: the pause histogram and the maximum, timed from the runtime's
/// own GC events, move when real commands make the node collect, and agree with each other and with
/// the runtime's total pause time (GC.GetTotalPauseDuration, exported as dotnet_gc_pause_seconds_total).
/// </summary>
public sealed class GcPauseMetricsTests(ITestOutputHelper output)
{
    static readonly (string Name, string Type)[] GcFamilies =
    [
        ("cachecluster_gc_pause_seconds", "histogram"),
        ("cachecluster_gc_pause_max_seconds", "gauge"),
        ("dotnet_gc_heap_size_bytes", "gauge"),
        ("dotnet_gc_fragmentation_bytes", "gauge"),
        ("dotnet_gc_committed_bytes", "gauge"),
        ("dotnet_gc_pause_seconds_total", "counter"),
        ("dotnet_gc_collections_total", "counter"),
    ];

    [Fact]
    public async Task LargeSets_MakeTheNodeCollect_PausesAreTimedAndConsistent()
    {
        // no journal: 200 MB of values would only load the disk
        var options = new NodeOptions { Shards = 8 };
        options.ExtraArgs.AddRange(["--durability", "off"]);
        await using var node = await NodeProcess.StartAsync(options);

        var before = await MetricsScrape.GetAsync(node.Host, node.AdminPort);
        MetricsEndpointTests.AssertFamilies(before, GcFamilies);
        var (count0, sum0, buckets0) = before.Histogram("cachecluster_gc_pause_seconds");
        Assert.Equal(0.0001, buckets0[0].Le);
        Assert.Equal(0.1, buckets0[^2].Le);
        Assert.True(double.IsPositiveInfinity(buckets0[^1].Le));
        double gcs0 = before.Value("dotnet_gc_collections_total", "generation", "0");
        double total0 = before.Value("dotnet_gc_pause_seconds_total");
        Assert.InRange(before.Value("cachecluster_gc_pause_max_seconds"), 0, 60);

        // 2000 SETs of 100 KB values over 20 keys, 20 per write: ~200 MB of large-object allocations, ~2 MB live
        await using var r = await node.ConnectAsync();
        var value = new byte[100 * 1024];
        Random.Shared.NextBytes(value);
        for (int batch = 0; batch < 100; batch++)
        {
            var pipeline = new MemoryStream();
            for (int i = 0; i < 20; i++) pipeline.Write(RespClient.Encode(RespClient.Args("SET", $"big{i}", value)));
            await r.SendRawAsync(pipeline.ToArray());
            for (int i = 0; i < 20; i++) Assert.Equal("OK", (await r.ReadAsync()).Text);
        }
        Assert.Equal(20, (await r.CallAsync("DBSIZE")).Integer);

        // the runtime hands its GC events to the listener on its own thread: wait until the histogram has caught up
        // with the runtime's own pause total (which it reads synchronously)
        var sw = Stopwatch.StartNew();
        PrometheusText m;
        double count, sum, gcs, total;
        while (true)
        {
            m = await MetricsScrape.GetAsync(node.Host, node.AdminPort);
            (count, sum, _) = m.Histogram("cachecluster_gc_pause_seconds");
            gcs = m.Value("dotnet_gc_collections_total", "generation", "0");
            total = m.Value("dotnet_gc_pause_seconds_total");
            if (gcs > gcs0 && count > count0 && Consistent(sum - sum0, total - total0, count - count0)) break;
            Assert.True(sw.Elapsed < TimeSpan.FromSeconds(20),
                $"GC pause metrics never caught up: GCs {gcs0} -> {gcs}, pauses {count0} -> {count}, histogram sum {sum0} -> {sum} s, " +
                $"runtime pause total {total0} -> {total} s\n{node.Describe()}");
            await Task.Delay(250);
        }

        double max = m.Value("cachecluster_gc_pause_max_seconds");
        output.WriteLine($"GCs {gcs0} -> {gcs}; pauses {count0} -> {count}, sum {sum0 * 1e3:F2} -> {sum * 1e3:F2} ms, max {max * 1e3:F2} ms; " +
                         $"runtime pause total {total0 * 1e3:F2} -> {total * 1e3:F2} ms; caught up after {sw.ElapsedMilliseconds} ms");
        var buckets = m.Histogram("cachecluster_gc_pause_seconds").Buckets;
        Assert.True(count > 0 && sum > 0 && max > 0, $"count {count}, sum {sum}, max {max}");
        Assert.True(max <= sum + 1e-9, $"max {max} > sum {sum}");
        Assert.True(sum <= count * max + 1e-9, $"sum {sum} > count {count} x max {max}");
        // the maximum lies in the highest non-empty bucket: above the bound below it, within its own
        int top = buckets.FindIndex(b => b.Count == count);
        Assert.True(max <= buckets[top].Le + 1e-7, $"max {max} above the bucket le={buckets[top].Le} that holds every pause");
        if (top > 0) Assert.True(max > buckets[top - 1].Le - 1e-7, $"max {max} not above le={buckets[top - 1].Le}, yet a pause is");
        Assert.True(m.Value("cachecluster_gc_pause_max_seconds") >= before.Value("cachecluster_gc_pause_max_seconds"));
        Assert.True(m.Value("dotnet_gc_heap_size_bytes") > 0);
        Assert.InRange(m.Value("dotnet_gc_fragmentation_bytes"), 0, m.Value("dotnet_gc_heap_size_bytes"));
        Assert.True(m.Value("dotnet_gc_committed_bytes") >= m.Value("dotnet_gc_heap_size_bytes") / 2);
        Assert.True(m.Value("process_resident_memory_bytes") > m.Value("dotnet_gc_heap_size_bytes") / 2);
    }

    /// <summary>
    /// The histogram against the runtime's own total over the same stretch. The events time the whole suspension,
    /// SuspendEEBegin to RestartEEEnd; the runtime counts most GCs from their start (threads already stopped) to
    /// their end, so the two agree to within the time taken to stop and restart the threads (well under 5 ms a pause
    /// on average) and the odd GC one side has seen a moment before the other (measured: the histogram 3% below to
    /// 18% above). Missed pauses, or a suspension paired with the wrong restart, would be far off.
    /// </summary>
    static bool Consistent(double histogram, double runtime, double pauses) =>
        histogram >= 0.8 * runtime - 0.002 && histogram <= runtime + pauses * 0.005 + 0.05;
}
