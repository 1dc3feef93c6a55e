using System.Net;
using CacheCluster.Integration.Tests.Infrastructure;
using CacheCluster.Integration.Tests.Memcached.Harness;
using CacheCluster.Integration.Tests.Persistence;
using Xunit.Abstractions;

namespace CacheCluster.Integration.Tests.Cluster;

/// <summary>The cluster options of `serve`: a cluster of one, DNS discovery, and refused values.</summary>
[Collection(ClusterCollection.Name)]
public sealed class ClusterOptionsTests
{
    private readonly ITestOutputHelper _out;

    public ClusterOptionsTests(ITestOutputHelper output) => _out = output;

    /// <summary>
    /// --cluster-port without --seeds forms a single-member cluster: /readyz 200, /cluster lists the node alone, Up,
    /// owning all 64 shards, leader itself, state ok; INFO cluster / CLUSTER INFO / memcached stats say so; every
    /// shard serves RESP and memcached.
    /// </summary>
    [Fact]
    public async Task ClusterPort_WithoutSeeds_FormsSingleMemberClusterServingEverything()
    {
        await using var cluster = await ClusterProcesses.StartAsync(0);
        var n = cluster.AddNode("it-solo");
        Assert.Empty(n.Seeds);
        await cluster.StartNodeAsync(n, waitReady: true);
        await AssertSoloAsync(cluster, n);
    }

    /// <summary>--discovery dns --dns-name localhost: the seeds are localhost's A records at the cluster port, i.e. the node itself, so it forms a cluster alone.</summary>
    [Fact]
    public async Task DnsDiscovery_NameResolvingToItself_FormsSingleMemberCluster()
    {
        await using var cluster = await ClusterProcesses.StartAsync(0);
        var n = cluster.AddNode("it-dns");
        n.ExtraArgs.AddRange(new[] { "--discovery", "dns", "--dns-name", "localhost" });
        await cluster.StartNodeAsync(n, waitReady: true);
        await AssertSoloAsync(cluster, n);
    }

    private async Task AssertSoloAsync(ClusterProcesses cluster, ClusterNode n)
    {
        await cluster.WaitConvergedAsync(new[] { n }, TimeSpan.FromSeconds(30));
        var v = await n.ClusterAsync();
        _out.WriteLine(v.Raw);
        Assert.Equal(n.NodeId, v.Self);
        Assert.Equal(n.NodeId, v.Leader);
        Assert.Equal("ok", v.State);
        var me = Assert.Single(v.Members);
        Assert.Equal("up", me.Status);
        Assert.True(me.Reachable);
        Assert.Equal(Enumerable.Range(0, 64), me.Shards.Order());
        Assert.Equal(n.AdvertiseAddress, me.Address);

        var info = await Cl.InfoAsync(n);
        Assert.Equal("1", info.GetValueOrDefault("cluster_enabled"));
        Assert.Equal("ok", info.GetValueOrDefault("cluster_state"));
        Assert.Equal("1", info.GetValueOrDefault("cluster_members_up"));
        Assert.Equal("1", info.GetValueOrDefault("cluster_known_members"));
        Assert.Equal("64", info.GetValueOrDefault("cluster_shards_owned"));
        await using var c = await n.ConnectAsync();
        var ci = Persist.ParseInfo((await c.CallAsync("CLUSTER", "INFO")).Text);
        Assert.Equal("1", ci.GetValueOrDefault("cluster_known_nodes"));
        Assert.Equal("1", ci.GetValueOrDefault("cluster_size"));
        Assert.Equal("64", ci.GetValueOrDefault("cluster_shards_owned"));

        var probes = cluster.OneKeyPerShard("solo:");
        await Persist.SetManyAsync(c, probes.Select(k => (k, "v-" + k)).ToList());
        Assert.Empty(await Cl.VerifyRespAsync(c, probes.Select(k => (k, (string?)("v-" + k))).ToList(), n.NodeId));
        await using var mc = await n.McConnectAsync();
        var (got, _) = await Cl.McGetManyAsync(mc, probes);
        Assert.Equal(probes.Length, got.Count);
        var stats = (await McText.CallAsync(mc, "stats\r\n")).Select(i => i.Tokens).Where(t => t.Length == 3 && t[0] == "STAT").ToDictionary(t => t[1], t => t[2]);
        Assert.Equal("64", stats.GetValueOrDefault("cluster_shards_owned"));
        Assert.Equal("1", stats.GetValueOrDefault("cluster_members"));
    }

    /// <summary>A bad cluster option (flag or environment) stops the node with one "cachecluster: ..." line naming it and a non-zero exit.</summary>
    [Theory]
    [InlineData("--cluster-port", "70000", "cluster-port")]
    [InlineData("--cluster-port", "seven", "cluster-port")]
    [InlineData("--discovery", "carrier-pigeon", "discovery")]
    [InlineData("env:CACHECLUSTER_CLUSTER_PORT", "-1", "CACHECLUSTER_CLUSTER_PORT")]
    [InlineData("env:CACHECLUSTER_DISCOVERY", "mdns", "CACHECLUSTER_DISCOVERY")]
    public async Task BadClusterOption_RefusesToStart(string option, string value, string named)
    {
        using var dir = new TempDir("cc-cluster-opt");
        var args = Persist.ServeArgs(dir.Path, 4);
        Dictionary<string, string?>? env = null;
        if (option.StartsWith("env:", StringComparison.Ordinal)) env = new() { [option[4..]] = value };
        else args.AddRange(new[] { option, value });
        var line = await Persist.AssertRefusesToStartAsync(args, $"{option} {value}", env);
        Assert.Contains(named, line);
        Assert.Contains(value, line);
    }

    /// <summary>Without --cluster-port a node is the single node of before: INFO cluster says cluster_enabled:0 and /readyz is 200.</summary>
    [Fact]
    public async Task NoClusterPort_SingleNodeAsBefore()
    {
        await using var node = await NodeProcess.StartAsync(new NodeOptions { Shards = 8 });
        var info = await Persist.InfoAsync(node, "cluster");
        Assert.Equal("0", info.GetValueOrDefault("cluster_enabled"));
        Assert.Equal(HttpStatusCode.OK, (await node.HttpGetAsync("/readyz")).Status);
        await using var c = await node.ConnectAsync();
        Assert.Equal("OK", (await c.CallAsync("SET", "k", "v")).Text);
        Assert.Equal("v", (await c.CallAsync("GET", "k")).Text);
    }
}
