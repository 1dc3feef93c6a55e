using System.Diagnostics;
using System.Net;
using CacheCluster.Integration.Tests.Infrastructure;
using CacheCluster.Integration.Tests.Memcached.Harness;
using CacheCluster.Integration.Tests.Persistence;
using Xunit.Abstractions;

namespace CacheCluster.Integration.Tests.Cluster;

/// <summary>Network partition through a fault-injecting proxy: the minority fences itself, the majority serves everything.</summary>
[Collection(ClusterCollection.Name)]
public sealed class ClusterPartitionTests
{
    private readonly ITestOutputHelper _out;

    public ClusterPartitionTests(ITestOutputHelper output) => _out = output;

    /// <summary>
    /// 3 nodes, node i listening on 127.0.0.(20+i) and advertising 127.0.0.(40+i):port, where a <see cref="FaultProxy"/>
    /// forwards to it; every node link passes through the proxy. Node 3 is isolated (its links cut, new ones refused).
    /// Asserted: within <see cref="ClusterTimes.Fence"/> nodes 1 and 2 serve every shard (SET then GET of one key per
    /// shard succeeds through both) and /cluster on both shows node 3 down or removed; within the same bound node 3
    /// answers every data command with an error (RESP: an error reply, memcached text: SERVER_ERROR) and keeps doing so
    /// — never a value — its /readyz is 503 and its /cluster state is not ok. Throughout, from the cut until 2 s after
    /// node 3 fenced itself, keys of node 3's shards are written through node 1 with increasing versions and read
    /// through node 3: node 3 never answers a version older than one node 1 had acknowledged (no split brain). After Heal, within
    /// <see cref="ClusterTimes.Rejoin"/> all three nodes are Up in every /cluster again and node 3 serves the values the
    /// majority wrote during the partition.
    /// </summary>
    [Fact]
    public async Task Isolate_MinorityFences_MajorityServesAll_HealRejoins()
    {
        await using var proxy = new FaultProxy();
        await using var cluster = await ClusterProcesses.StartAsync(3, new ClusterOptions { HostBase = 20, AdvertiseBase = 40 }, beforeStart: c =>
        {
            foreach (var n in c.Nodes)
                proxy.AddRoute($"127.0.0.{40 + n.Index}", n.ClusterPort, n.Host, n.ClusterPort);
        });
        var (n1, n2, n3) = (cluster[1], cluster[2], cluster[3]);
        await cluster.AssertAsync(proxy.Accepted >= 2, $"only {proxy.Accepted} node links went through the proxy: the nodes do not use the advertised addresses");

        var probes = cluster.OneKeyPerShard("part:probe:");
        var items = Cl.Items("part:", 2000, "v1-");
        await using (var c = await n1.ConnectAsync())
        {
            await Persist.SetManyAsync(c, items);
            await Persist.SetManyAsync(c, probes.Select(k => (k, "p1")).ToList());
        }
        // node 3 serves its shards before the partition
        await using (var c = await n3.ConnectAsync())
            Assert.Empty(await Cl.VerifyRespAsync(c, probes.Select(k => (k, (string?)"p1")).ToList(), n3.NodeId));

        // split-brain watch: keys on node 3's shards, written through node 1 with increasing versions and read through
        // node 3 the whole time; node 3 must never answer a version older than one node 1 acknowledged before the read
        var sbKeys = cluster.OneKeyPerShard("part:sb:").Where((_, s) => cluster.LastOwners[s] == n3.NodeId).ToArray();
        await using (var c = await n1.ConnectAsync())
            await Persist.SetManyAsync(c, sbKeys.Select(k => (k, "ver-0")).ToList());
        var watch = new SplitBrainWatch(n1, n3, sbKeys);
        watch.Start();

        proxy.Isolate(n3.Host);
        cluster.Note($"isolated {n3.NodeId} ({n3.Host}): {proxy.Cut} proxied connections cut");
        var sw = Stopwatch.StartNew();

        // the majority serves every shard (reads and writes)
        var round = 0;
        var majority = await cluster.WaitUntilAsync("nodes 1 and 2 serve every shard", ClusterTimes.Fence + TimeSpan.FromSeconds(15), async () =>
        {
            round++;
            foreach (var n in new[] { n1, n2 })
            {
                await using var c = await n.ConnectAsync(TimeSpan.FromSeconds(2));
                c.Timeout = TimeSpan.FromSeconds(3);
                var ms = new MemoryStream();
                foreach (var k in probes) ms.Write(RespClient.Encode(RespClient.Args("SET", k, $"maj-{round}")));
                await c.SendRawAsync(ms.ToArray());
                var failed = new List<string>();
                foreach (var k in probes)
                {
                    var r = await c.ReadAsync();
                    if (!(r.Kind == RespKind.SimpleString && r.Text == "OK")) failed.Add($"SET {k} (shard {cluster.ShardOf(k)}) -> {r}");
                }
                if (failed.Count > 0) return (false, $"{n.NodeId}: {failed.Count} shards refuse writes, e.g. {failed[0]}");
                var bad = await Cl.VerifyRespAsync(c, probes.Select(k => (k, (string?)$"maj-{round}")).ToList(), n.NodeId);
                if (bad.Count > 0) return (false, $"{bad.Count} shards: {bad[0]}");
            }
            return (true, "");
        });
        _out.WriteLine($"majority serves all shards {majority.TotalSeconds:F1}s after the partition");
        await cluster.AssertAsync(majority <= ClusterTimes.Fence, $"the majority served all shards only after {majority.TotalSeconds:F1}s (bound {ClusterTimes.Fence.TotalSeconds}s)");

        // the isolated node stops serving: errors for every shard, never a value
        string sampleError = "";
        var fenced = await cluster.WaitUntilAsync("isolated node 3 answers errors for every shard", ClusterTimes.Fence + TimeSpan.FromSeconds(15), async () =>
        {
            await using var c = await n3.ConnectAsync(TimeSpan.FromSeconds(2));
            c.Timeout = TimeSpan.FromSeconds(5);
            var replies = await Persist.GetManyAsync(c, probes);
            var served = replies.Count(r => !r.IsError);
            if (served == 0)
            {
                sampleError = replies[0].Text;
                return (true, "");
            }
            return (false, $"{served} of {probes.Length} shards still answered with a value or nil, e.g. {replies.First(r => !r.IsError)}");
        });
        _out.WriteLine($"isolated node answers errors {(sw.Elapsed).TotalSeconds:F1}s after the partition (waited {fenced.TotalSeconds:F1}s more): {sampleError}");
        await cluster.AssertAsync(sw.Elapsed <= ClusterTimes.Fence + TimeSpan.FromSeconds(5), $"the isolated node kept serving for {sw.Elapsed.TotalSeconds:F1}s");

        await Task.Delay(2000);
        await watch.StopAsync();
        _out.WriteLine($"split-brain watch on {sbKeys.Length} keys of node 3's shards: {watch.Describe()}");
        await cluster.AssertAsync(watch.Stale.IsEmpty, $"the isolated node answered values older than ones the majority had acknowledged: {watch.Describe()}");
        await cluster.AssertAsync(watch.MaxAcked > 0, $"the majority never acknowledged a write to node 3's shards during the partition: {watch.Describe()}");

        // the majority sees it down/removed and converges on itself
        await cluster.WaitUntilAsync("nodes 1 and 2 show node 3 down or removed", ClusterTimes.Converge, async () =>
        {
            foreach (var n in new[] { n1, n2 })
            {
                var m = (await n.ClusterAsync()).Member(n3.NodeId);
                if (m != null && m.Status is not ("down" or "removed")) return (false, $"{n.NodeId} shows {n3.NodeId} as {m.Status}");
            }
            return (true, "");
        });
        var owners = await cluster.WaitConvergedAsync(new[] { n1, n2 }, ClusterTimes.Converge);
        Assert.DoesNotContain(n3.NodeId, owners);

        // the majority writes new values; the isolated node keeps refusing, never answering a (stale) value
        await using (var c = await n2.ConnectAsync())
            await Persist.SetManyAsync(c, items.Select(i => (i.Key, "v2-" + i.Key)).ToList());
        var minorityReplies = 0;
        var window = Stopwatch.StartNew();
        while (window.Elapsed < TimeSpan.FromSeconds(3))
        {
            await using var c = await n3.ConnectAsync();
            var replies = await Persist.GetManyAsync(c, items.Take(300).Select(i => i.Key).Concat(probes).ToList());
            var served = replies.Select((r, i) => (r, i)).Where(t => !t.r.IsError).ToList();
            if (served.Count > 0)
                Assert.Fail($"the isolated node answered {served.Count} reads with data, e.g. GET {(served[0].i < 300 ? items[served[0].i].Key : probes[served[0].i - 300])} -> {served[0].r}\n{await cluster.DescribeAsync()}");
            var w = await c.CallAsync("SET", probes[0], "minority-write");
            Assert.True(w.IsError, $"the isolated node accepted a write: {w}");
            minorityReplies += replies.Count + 1;
            await Task.Delay(200);
        }
        await using (var mc = await n3.McConnectAsync())
        {
            var line = await McText.LineAsync(mc, $"get {probes[1]}\r\n");
            Assert.StartsWith("SERVER_ERROR", line);
            line = await McText.LineAsync(mc, $"set {probes[1]} 0 0 1\r\nx\r\n");
            Assert.StartsWith("SERVER_ERROR", line);
        }
        var (ready, readyBody) = await n3.ReadyzAsync();
        Assert.True(ready == HttpStatusCode.ServiceUnavailable, $"isolated node /readyz: {(int?)ready} {readyBody}");
        var isolatedView = await n3.ClusterAsync();
        _out.WriteLine($"{minorityReplies} error replies from the isolated node; its /readyz: {readyBody}; its /cluster: {isolatedView.Summary()}");
        Assert.NotEqual("ok", isolatedView.State);
        var info = await Cl.InfoAsync(n3);
        Assert.Equal("fail", info.GetValueOrDefault("cluster_state"));

        // heal: node 3 rejoins and serves what the majority wrote
        proxy.Heal();
        cluster.Note("healed");
        sw.Restart();
        await cluster.WaitConvergedAsync(cluster.Nodes, ClusterTimes.Rejoin + TimeSpan.FromSeconds(20));
        var rejoin = sw.Elapsed;
        _out.WriteLine($"all three Up and converged {rejoin.TotalSeconds:F1}s after healing");
        await cluster.AssertAsync(rejoin <= ClusterTimes.Rejoin, $"node 3 rejoined only {rejoin.TotalSeconds:F1}s after healing (bound {ClusterTimes.Rejoin.TotalSeconds}s)");
        foreach (var n in cluster.Nodes)
        {
            var v = await n.ClusterAsync();
            Assert.Equal("up", v.Member(n3.NodeId)?.Status);
        }
        foreach (var n in new[] { n3, n1 })
        {
            await using var c = await n.ConnectAsync();
            var bad = await Cl.VerifyRespAsync(c, items.Select(i => (i.Key, (string?)("v2-" + i.Key))).ToList(), n.NodeId);
            await cluster.AssertAsync(bad.Count == 0, $"after healing, through {n.NodeId}: {bad.Count} keys without the majority's value\n{Cl.Head(bad)}");
            var p = await Persist.GetManyAsync(c, probes);
            Assert.All(p, r => Assert.False(r.Kind == RespKind.Bulk && r.Text == "minority-write", "a write refused by the fenced node appeared after healing"));
        }
    }
}

/// <summary>
/// Writes keys through the majority node with increasing versions ("ver-N") and reads them through the isolated node,
/// recording every read that returns a version older than the newest one acknowledged before the read was sent
/// (errors and timeouts on either side are expected while the cluster reacts, and ignored).
/// </summary>
internal sealed class SplitBrainWatch(ClusterNode writer, ClusterNode reader, string[] keys)
{
    private readonly long[] _acked = new long[keys.Length];
    private readonly CancellationTokenSource _stop = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private Task? _w, _r;
    private long _writes, _reads, _readErrors, _readValues;

    public System.Collections.Concurrent.ConcurrentQueue<string> Stale { get; } = new();
    public long MaxAcked => _acked.Max();

    public void Start()
    {
        _w = Task.Run(WriteLoopAsync);
        _r = Task.Run(ReadLoopAsync);
    }

    private async Task WriteLoopAsync()
    {
        long seq = 0;
        RespClient? c = null;
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                c ??= await writer.ConnectAsync(TimeSpan.FromSeconds(2));
                c.Timeout = TimeSpan.FromSeconds(3);
                for (var i = 0; i < keys.Length && !_stop.IsCancellationRequested; i++)
                {
                    var v = ++seq;
                    var r = await c.CallAsync("SET", keys[i], $"ver-{v}");
                    if (r.Kind == RespKind.SimpleString && r.Text == "OK")
                    {
                        Volatile.Write(ref _acked[i], v);
                        Interlocked.Increment(ref _writes);
                    }
                }
            }
            catch (Exception e) when (Cl.IsTransportError(e))
            {
                c?.Dispose();
                c = null;
                await Task.Delay(100);
            }
        }
        c?.Dispose();
    }

    private async Task ReadLoopAsync()
    {
        RespClient? c = null;
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                c ??= await reader.ConnectAsync(TimeSpan.FromSeconds(2));
                c.Timeout = TimeSpan.FromSeconds(3);
                for (var i = 0; i < keys.Length && !_stop.IsCancellationRequested; i++)
                {
                    var before = Volatile.Read(ref _acked[i]);
                    var r = await c.CallAsync("GET", keys[i]);
                    Interlocked.Increment(ref _reads);
                    if (r.IsError) { Interlocked.Increment(ref _readErrors); continue; }
                    Interlocked.Increment(ref _readValues);
                    var got = r.Kind == RespKind.Bulk && r.Text.StartsWith("ver-", StringComparison.Ordinal) && long.TryParse(r.Text[4..], out var n) ? n : -1;
                    if (got < before && Stale.Count < 20)
                        Stale.Enqueue($"+{_clock.Elapsed.TotalSeconds:F2}s GET {keys[i]} via {reader.NodeId} -> {r}, but ver-{before} had been acknowledged through {writer.NodeId}");
                }
            }
            catch (Exception e) when (Cl.IsTransportError(e))
            {
                c?.Dispose();
                c = null;
                await Task.Delay(100);
            }
        }
        c?.Dispose();
    }

    public async Task StopAsync()
    {
        _stop.Cancel();
        await Task.WhenAll(_w!, _r!).WaitAsync(TimeSpan.FromSeconds(30));
    }

    public string Describe() =>
        $"{_writes} writes acknowledged (newest ver-{MaxAcked}), {_reads} reads through the isolated node ({_readValues} answered a value, {_readErrors} an error), {Stale.Count} stale" +
        (Stale.IsEmpty ? "" : ":\n  " + string.Join("\n  ", Stale));
}
