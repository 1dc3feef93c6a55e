using System.Diagnostics;
using CacheCluster.Integration.Tests.Infrastructure;
using CacheCluster.Integration.Tests.Persistence;
using Xunit.Abstractions;

namespace CacheCluster.Integration.Tests.Cluster;

/// <summary>A node joins or leaves a loaded cluster: shards move with their data and clients see no errors.</summary>
[Collection(ClusterCollection.Name)]
public sealed class ClusterMembershipTests
{
    private readonly ITestOutputHelper _out;

    public ClusterMembershipTests(ITestOutputHelper output) => _out = output;

    /// <summary>
    /// Join under load. 3 nodes, 30,000 pre-written 200-byte values (so hand-offs carry data), 6 client workers (each writes its own 300 keys through one
    /// node and reads them back through another, verifying every value). A 4th node starts with the initial seed list;
    /// once it is ready, two more workers use it. Asserted: /cluster converges on 4 members Up with the new node owning
    /// between 0.5·S/4 and 1.5·S/4 shards and no hand-off in progress; zero client-visible errors (no error reply, no
    /// timeout, no dropped connection, no wrong value) during the whole run; afterwards every pre-written key and every
    /// acknowledged latest value reads back through each of the 4 nodes.
    /// </summary>
    [Fact]
    public async Task Join_UnderLoad_ShardsMoveWithTheirData_NoClientErrors()
    {
        await using var cluster = await ClusterProcesses.StartAsync(3);
        var pre = Cl.Items("join:pre:", 30_000, valueSize: 200);
        await using (var c = await cluster[1].ConnectAsync()) await Persist.SetManyAsync(c, pre);

        await using var load = new ClusterWorkload();
        var (n1, n2, n3) = (cluster[1], cluster[2], cluster[3]);
        load.Start("w12", n1, n2);
        load.Start("w23", n2, n3);
        load.Start("w31", n3, n1);
        load.Start("w11", n1, n1);
        load.Start("w22", n2, n2);
        load.Start("w33", n3, n3);
        await Task.Delay(1500);
        var before = load.TotalBatches;
        await cluster.AssertAsync(before > 0, "no load got through before the join\n" + load.Describe());

        var n4 = cluster.AddNode();
        var sw = Stopwatch.StartNew();
        var atJoin = load.TotalBatches;
        await cluster.StartNodeAsync(n4, waitReady: true);
        _out.WriteLine($"node 4 ready after {sw.Elapsed.TotalSeconds:F1}s");
        load.Start("w41", n4, n1);
        load.Start("w24", n2, n4);
        var owners = await cluster.WaitConvergedAsync(cluster.Nodes, ClusterTimes.Converge);
        var duringJoin = load.TotalBatches - atJoin;
        _out.WriteLine($"converged on 4 members after {sw.Elapsed.TotalSeconds:F1}s; {duringJoin} load batches completed meanwhile");
        await Task.Delay(1000);
        await load.StopAsync();
        _out.WriteLine(load.Describe());

        var ctx = await cluster.DescribeAsync();
        var mine = owners.Count(o => o == n4.NodeId);
        _out.WriteLine($"new node owns {mine} of {cluster.Shards} shards; per node: {string.Join(", ", owners.GroupBy(o => o).Select(g => g.Key + "=" + g.Count()))}");
        Assert.True(load.ErrorCount == 0, "client-visible errors during the join:\n" + load.Describe() + "\n" + ctx);
        Assert.True(duringJoin >= 100, $"only {duringJoin} load batches ran while the node joined: the load did not overlap the hand-offs\n{load.Describe()}");
        var quarter = cluster.Shards / 4.0;
        Assert.True(mine >= quarter * 0.5 && mine <= quarter * 1.5, $"new node owns {mine} shards, expected {quarter * 0.5}..{quarter * 1.5}\n{ctx}");
        var view = await n4.ClusterAsync();
        Assert.True(view.Handoffs.Done + (await n1.ClusterAsync()).Handoffs.Done + (await n2.ClusterAsync()).Handoffs.Done + (await n3.ClusterAsync()).Handoffs.Done >= mine,
            $"fewer hand-offs counted than shards moved to the new node ({mine})\n{ctx}");

        var bad = await load.VerifyAsync(cluster.Nodes);
        Assert.True(bad.Count == 0, $"acknowledged values missing or wrong after the join: {bad.Count}\n{Cl.Head(bad)}\n{load.Describe()}\n{ctx}");
        foreach (var n in cluster.Nodes)
        {
            await using var c = await n.ConnectAsync();
            var b = await Cl.VerifyRespAsync(c, pre.Select(i => (i.Key, (string?)i.Value)).ToList(), n.NodeId);
            Assert.True(b.Count == 0, $"pre-written keys missing or wrong through {n.NodeId} after the join: {b.Count}\n{Cl.Head(b)}\n{ctx}");
        }
        var info = await Cl.InfoAsync(n4);
        Assert.Equal(mine.ToString(), info.GetValueOrDefault("cluster_shards_owned"));
        Assert.Equal("4", info.GetValueOrDefault("cluster_members_up"));
    }

    /// <summary>
    /// Graceful leave under load. 3 nodes, 30,000 pre-written 200-byte values; workers use only nodes 1 and 2 (a client of the
    /// leaving node may see its connection close, so none is connected to it — nothing is asserted about such
    /// clients). SIGTERM node 3: its process exits with code 0 after handing every shard off; nodes 1 and 2 converge
    /// on 2 members owning all shards, node 3 shown removed (or no longer listed); zero client-visible errors on
    /// nodes 1 and 2; every pre-written key and acknowledged value reads back through both.
    /// </summary>
    [Fact]
    public async Task GracefulLeave_Sigterm_HandsOffEveryShard_ExitsZero_NoClientErrors()
    {
        await using var cluster = await ClusterProcesses.StartAsync(3);
        var pre = Cl.Items("leave:pre:", 30_000, valueSize: 200);
        await using (var c = await cluster[1].ConnectAsync()) await Persist.SetManyAsync(c, pre);
        var (n1, n2, n3) = (cluster[1], cluster[2], cluster[3]);
        var owned3 = (await n1.ClusterAsync()).Member(n3.NodeId)!.Shards.Count;
        await cluster.AssertAsync(owned3 > 0, "node 3 owns nothing before leaving");

        await using var load = new ClusterWorkload();
        load.Start("w12", n1, n2);
        load.Start("w21", n2, n1);
        load.Start("w11", n1, n1);
        load.Start("w22", n2, n2);
        await Task.Delay(1500);

        var sw = Stopwatch.StartNew();
        var atLeave = load.TotalBatches;
        var code = await cluster.TerminateAsync(n3, ClusterTimes.Leave);
        var duringLeave = load.TotalBatches - atLeave;
        _out.WriteLine($"node 3 (owned {owned3} shards) exited with {code?.ToString() ?? "nothing"} after {sw.Elapsed.TotalSeconds:F1}s; {duringLeave} load batches completed meanwhile");
        await cluster.AssertAsync(code == 0, $"SIGTERM: node 3 {(code == null ? $"still running after {ClusterTimes.Leave.TotalSeconds}s" : $"exited with {code}")}");

        var owners = await cluster.WaitConvergedAsync(new[] { n1, n2 }, ClusterTimes.Converge);
        await Task.Delay(1000);
        await load.StopAsync();
        _out.WriteLine(load.Describe());
        var ctx = await cluster.DescribeAsync();
        Assert.True(load.ErrorCount == 0, "client-visible errors on the remaining nodes during the leave:\n" + load.Describe() + "\n" + ctx);
        Assert.True(duringLeave >= 20, $"only {duringLeave} load batches ran while node 3 left: the load did not overlap the hand-offs\n{load.Describe()}");
        Assert.DoesNotContain(n3.NodeId, owners);
        foreach (var n in new[] { n1, n2 })
        {
            var m = (await n.ClusterAsync()).Member(n3.NodeId);
            Assert.True(m == null || m.Status == "removed", $"{n.NodeId} lists the departed node as {m?.Status}\n{ctx}");
        }

        var bad = await load.VerifyAsync(new[] { n1, n2 });
        Assert.True(bad.Count == 0, $"acknowledged values lost or wrong after the leave: {bad.Count}\n{Cl.Head(bad)}\n{ctx}");
        foreach (var n in new[] { n1, n2 })
        {
            await using var c = await n.ConnectAsync();
            var b = await Cl.VerifyRespAsync(c, pre.Select(i => (i.Key, (string?)i.Value)).ToList(), n.NodeId);
            Assert.True(b.Count == 0, $"pre-written keys lost through {n.NodeId} after node 3 left: {b.Count}\n{Cl.Head(b)}\n{ctx}");
        }
        Assert.Contains(n3.Output.Split('\n'), l => l.Contains("stopped", StringComparison.OrdinalIgnoreCase) || l.Contains("left", StringComparison.OrdinalIgnoreCase) || l.Contains("leav", StringComparison.OrdinalIgnoreCase));
    }
}
