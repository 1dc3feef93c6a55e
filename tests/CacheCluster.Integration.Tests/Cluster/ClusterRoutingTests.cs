using System.Text;
using CacheCluster.Integration.Tests.Infrastructure;
using CacheCluster.Integration.Tests.Memcached.Harness;
using CacheCluster.Integration.Tests.Persistence;
using Xunit.Abstractions;

namespace CacheCluster.Integration.Tests.Cluster;

/// <summary>One 3-node cluster (64 shards) shared by the routing tests; they use distinct key prefixes and never flush.</summary>
public sealed class ThreeNodeClusterFixture : IAsyncLifetime
{
    private ClusterProcesses? _cluster;

    public ClusterProcesses Cluster => _cluster ?? throw new InvalidOperationException("cluster not started");

    public async Task InitializeAsync() => _cluster = await ClusterProcesses.StartAsync(3);

    public async Task DisposeAsync()
    {
        if (_cluster != null) await _cluster.DisposeAsync();
    }

    public static string Prefix(string test) => $"{test}:{Guid.NewGuid().ToString("N")[..6]}:";
}

/// <summary>
/// Any node accepts any key: requests for shards another member owns are routed over node links, multi-key
/// commands fan out and gather in order, and RESP, memcached text and memcached binary all see one keyspace.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class ClusterRoutingTests : IClassFixture<ThreeNodeClusterFixture>
{
    private readonly ClusterProcesses _c;
    private readonly ITestOutputHelper _out;

    public ClusterRoutingTests(ThreeNodeClusterFixture fx, ITestOutputHelper output)
    {
        _c = fx.Cluster;
        _out = output;
    }

    /// <summary>
    /// 20,000 keys written through node 1 (pipelined RESP SETs) read back through nodes 2 and 3 with pipelined RESP
    /// GETs and with memcached text multi-gets (100 keys per "get"): every value is there, through every node.
    /// </summary>
    [Fact]
    public async Task TwentyThousandKeys_WrittenThroughOneNode_ReadThroughTheOthers_RespAndMemcached()
    {
        var p = ThreeNodeClusterFixture.Prefix("bulk");
        var items = Cl.Items(p, 20_000);
        var owners = (await _c[1].ClusterAsync()).Owners(_c.Shards);
        var remote = items.Count(i => owners[_c.ShardOf(i.Key)] != _c[1].NodeId);
        _out.WriteLine($"{remote} of {items.Count} keys live on shards node 1 does not own");
        await _c.AssertAsync(remote > items.Count / 3, $"only {remote} keys are remote to node 1: the test would not exercise routing");

        await using (var a = await _c[1].ConnectAsync())
            await Persist.SetManyAsync(a, items);

        var expected = items.Select(i => (i.Key, (string?)i.Value)).ToList();
        foreach (var n in new[] { _c[2], _c[3] })
        {
            await using var r = await n.ConnectAsync();
            var bad = await Cl.VerifyRespAsync(r, expected, n.NodeId);
            await _c.AssertAsync(bad.Count == 0, $"RESP through {n.NodeId}: {bad.Count} wrong values\n{Cl.Head(bad)}");

            await using var mc = await n.McConnectAsync();
            var (got, _) = await Cl.McGetManyAsync(mc, items.Select(i => i.Key).ToList());
            var mbad = items.Where(i => !got.TryGetValue(i.Key, out var v) || v != i.Value)
                .Select(i => $"get {i.Key} via memcached on {n.NodeId}: expected \"{i.Value}\", got {(got.TryGetValue(i.Key, out var v) ? "\"" + v + "\"" : "miss")}").ToList();
            await _c.AssertAsync(mbad.Count == 0, $"memcached through {n.NodeId}: {mbad.Count} wrong values\n{Cl.Head(mbad)}");
        }
    }

    /// <summary>
    /// MGET of 600 keys spread over every shard (every other one missing) answers in request order through each
    /// node; MSET through one node is visible through the others; a memcached multi-get returns its hits in request
    /// order.
    /// </summary>
    [Fact]
    public async Task MultiKey_MgetMsetAndMemcachedMultiGet_FanOutAndGatherInOrder()
    {
        var p = ThreeNodeClusterFixture.Prefix("mget");
        var keys = Enumerable.Range(0, 600).Select(i => $"{p}{i}").ToList();
        Assert.True(keys.Select(_c.ShardOf).Distinct().Count() == _c.Shards, "600 keys should cover all 64 shards");
        var present = keys.Where((_, i) => i % 2 == 0).ToList();

        await using (var b = await _c[2].ConnectAsync())
        {
            var args = new List<object> { "MSET" };
            foreach (var k in present) { args.Add(k); args.Add("val-" + k); }
            var r = await b.CallAsync(args.ToArray());
            await _c.AssertAsync(r.Kind == RespKind.SimpleString && r.Text == "OK", $"MSET of {present.Count} keys through {_c[2].NodeId}: {r}");
        }

        foreach (var n in _c.Nodes)
        {
            await using var c = await n.ConnectAsync();
            var r = await c.CallAsync(new object[] { "MGET" }.Concat(keys).ToArray());
            await _c.AssertAsync(r.Kind == RespKind.Array && r.Count == keys.Count, $"MGET of {keys.Count} keys through {n.NodeId}: {r}");
            var bad = new List<string>();
            for (var i = 0; i < keys.Count; i++)
            {
                var ok = i % 2 == 0 ? r[i].Kind == RespKind.Bulk && r[i].Text == "val-" + keys[i] : r[i].IsNull;
                if (!ok) bad.Add($"MGET element {i} ({keys[i]}): {r[i]}");
            }
            await _c.AssertAsync(bad.Count == 0, $"MGET through {n.NodeId} out of order or wrong:\n{Cl.Head(bad)}");

            var ex = await c.CallAsync(new object[] { "EXISTS" }.Concat(keys).ToArray());
            Assert.True(ex.Kind == RespKind.Integer && ex.Integer == present.Count, $"EXISTS of {keys.Count} keys through {n.NodeId}: {ex}, expected {present.Count}");
        }

        // memcached text multi-get: hits come back in the order requested (here reversed), misses are skipped.
        var wanted = keys.Take(200).Reverse().ToList();
        await using (var mc = await _c[3].McConnectAsync())
        {
            var (got, order) = await Cl.McGetManyAsync(mc, wanted, batch: 200);
            var expectedOrder = wanted.Where(k => present.Contains(k)).ToList();
            Assert.True(order.SequenceEqual(expectedOrder),
                $"memcached get of 200 keys through {_c[3].NodeId}: hits in order [{string.Join(" ", order.Take(8))} …] ({order.Count}), expected [{string.Join(" ", expectedOrder.Take(8))} …] ({expectedOrder.Count})");
            Assert.All(expectedOrder, k => Assert.Equal("val-" + k, got[k]));
        }
    }

    /// <summary>
    /// DEL of 2,100 keys (2,000 present on every shard, 100 absent) through one node deletes every present key and
    /// counts exactly those; the other nodes then see none of them. memcached delete through a non-owner works too.
    /// </summary>
    [Fact]
    public async Task Del_ManyKeysAcrossShards_CountsAndDeletesEverywhere()
    {
        var p = ThreeNodeClusterFixture.Prefix("del");
        var items = Cl.Items(p, 2000);
        await using (var a = await _c[1].ConnectAsync()) await Persist.SetManyAsync(a, items);

        var absent = Enumerable.Range(0, 100).Select(i => $"{p}absent{i}");
        await using (var c = await _c[3].ConnectAsync())
        {
            var r = await c.CallAsync(new object[] { "DEL" }.Concat(items.Select(i => i.Key)).Concat(absent).ToArray());
            await _c.AssertAsync(r.Kind == RespKind.Integer && r.Integer == 2000, $"DEL of 2000 present + 100 absent keys through {_c[3].NodeId}: {r}, expected :2000");
        }
        foreach (var n in _c.Nodes)
        {
            await using var c = await n.ConnectAsync();
            var bad = await Cl.VerifyRespAsync(c, items.Select(i => (i.Key, (string?)null)).ToList(), n.NodeId);
            await _c.AssertAsync(bad.Count == 0, $"after DEL, keys still visible through {n.NodeId}:\n{Cl.Head(bad)}");
        }

        // memcached "delete" of keys owned by the other nodes, through node 2
        var owners = (await _c[2].ClusterAsync()).Owners(_c.Shards);
        var foreign = Cl.KeysOwnedBy(_c, owners, _c[1].NodeId, p + "mcdel", 20).Concat(Cl.KeysOwnedBy(_c, owners, _c[3].NodeId, p + "mcdel3-", 20)).ToList();
        await using (var a = await _c[1].ConnectAsync()) await Persist.SetManyAsync(a, foreign.Select(k => (k, "x")).ToList());
        await using (var mc = await _c[2].McConnectAsync())
        {
            foreach (var k in foreign)
                Assert.Equal("DELETED", await McText.LineAsync(mc, $"delete {k}\r\n"));
            foreach (var k in foreign.Take(3))
                Assert.Equal("NOT_FOUND", await McText.LineAsync(mc, $"delete {k}\r\n"));
        }
        await using (var c = await _c[3].ConnectAsync())
        {
            var ex = await c.CallAsync(new object[] { "EXISTS" }.Concat(foreign).ToArray());
            Assert.Equal(0, ex.Integer);
        }
    }

    /// <summary>pymemcache (text protocol) through a node that owns none of the keys it uses: set/get/get_many/incr/cas/delete.</summary>
    [Fact]
    public async Task Pymemcache_ThroughNonOwner()
    {
        var p = ThreeNodeClusterFixture.Prefix("pym");
        var owners = (await _c[2].ClusterAsync()).Owners(_c.Shards);
        var keys = Cl.KeysOwnedBy(_c, owners, _c[1].NodeId, p + "a", 30).Concat(Cl.KeysOwnedBy(_c, owners, _c[3].NodeId, p + "b", 30)).ToList();
        const string script = """
import sys
from pymemcache.client.base import Client
port = int(sys.argv[1]); keys = sys.argv[2].split(",")
c = Client((sys.argv[3], port), connect_timeout=5, timeout=10, default_noreply=False)
def eq(actual, expected, what):
    assert actual == expected, "%s: expected %r, got %r" % (what, expected, actual)
for i, k in enumerate(keys):
    eq(c.set(k, ("val%d" % i).encode(), flags=i), True, "set " + k)
for i, k in enumerate(keys):
    eq(c.get(k), ("val%d" % i).encode(), "get " + k)
got = c.get_many(keys + [keys[0] + "-missing"])
eq(len(got), len(keys), "get_many hit count")
for i, k in enumerate(keys):
    eq(got[k], ("val%d" % i).encode(), "get_many " + k)
ctr = keys[1]
c.set(ctr, b"10")
eq(c.incr(ctr, 5), 15, "incr through non-owner")
eq(c.decr(ctr, 3), 12, "decr through non-owner")
v, cas = c.gets(keys[2])
eq(c.cas(keys[2], b"new", cas), True, "cas with the current token")
eq(c.cas(keys[2], b"newer", cas), False, "cas with a stale token")
eq(c.get(keys[2]), b"new", "cas result")
eq(c.delete(keys[3]), True, "delete")
eq(c.get(keys[3]), None, "deleted")
eq(c.append(keys[4], b"+app"), True, "append")
eq(c.get(keys[4]), b"val4+app", "appended")
print("PASS")
""";
        var r = await ExternalTool.RunPythonAsync(script, new[] { _c[2].MemcachedPort.ToString(), string.Join(",", keys), _c[2].Host }, TimeSpan.FromSeconds(60));
        await _c.AssertAsync(r.ExitCode == 0 && r.Stdout.TrimEnd().EndsWith("PASS"), r.Describe());

        // The same keyspace through RESP on the third node.
        await using var c3 = await _c[3].ConnectAsync();
        Assert.Equal("12", (await c3.CallAsync("GET", keys[1])).Text);
        Assert.Equal("new", (await c3.CallAsync("GET", keys[2])).Text);
        Assert.True((await c3.CallAsync("GET", keys[3])).IsNull);
        Assert.Equal("val0", (await c3.CallAsync("GET", keys[0])).Text);
    }

    /// <summary>The Ruby dalli gem (memcached binary protocol) through a node that owns none of the keys it uses.</summary>
    [Fact]
    public async Task DalliBinary_ThroughNonOwner()
    {
        var p = ThreeNodeClusterFixture.Prefix("dalli");
        var owners = (await _c[3].ClusterAsync()).Owners(_c.Shards);
        var keys = Cl.KeysOwnedBy(_c, owners, _c[1].NodeId, p + "a", 30).Concat(Cl.KeysOwnedBy(_c, owners, _c[2].NodeId, p + "b", 30)).ToList();
        const string script = """
require "dalli"
Dalli.logger.level = Logger::ERROR
port = Integer(ARGV[0]); keys = ARGV[1].split(","); host = ARGV[2]
dc = Dalli::Client.new("#{host}:#{port}", socket_timeout: 10, socket_max_failures: 1, down_retry_delay: 0)
def eq(actual, expected, what)
  raise "#{what}: expected #{expected.inspect}, got #{actual.inspect}" unless actual == expected
end
keys.each_with_index { |k, i| dc.set(k, "val#{i}", nil, raw: true) }
keys.each_with_index { |k, i| eq(dc.get(k, raw: true), "val#{i}", "get #{k}") }
got = dc.get_multi(*keys, keys[0] + "-missing")
eq(got.size, keys.size, "get_multi (quiet gets pipelined) hit count")
keys.each_with_index { |k, i| eq(got[k], "val#{i}", "get_multi #{k}") }
eq(dc.set(keys[0], {"x" => [1, 2.5]}).is_a?(Integer), true, "set marshalled")
eq(dc.get(keys[0]), {"x" => [1, 2.5]}, "marshalled round trip")
eq(dc.incr(keys[1] + "ctr", 5, nil, 100), 100, "incr with initial value")
eq(dc.incr(keys[1] + "ctr", 5), 105, "incr")
eq(dc.decr(keys[1] + "ctr", 10), 95, "decr")
eq(dc.add(keys[2], "x", nil, raw: true), false, "add on existing")
eq(dc.replace(keys[2], "replaced", nil, raw: true) != false, true, "replace")
eq(dc.get(keys[2], raw: true), "replaced", "replaced value")
eq(dc.append(keys[3], "+tail"), true, "append")
eq(dc.get(keys[3], raw: true), "val3+tail", "appended")
eq(dc.delete(keys[4]), true, "delete")
eq(dc.get(keys[4]), nil, "deleted")
eq(dc.cas(keys[5], nil, raw: true) { |v| v + "!" } != false, true, "cas")
eq(dc.get(keys[5], raw: true), "val5!", "cas result")
eq(dc.touch(keys[6], 1000), true, "touch")
puts "PASS"
""";
        var r = await ExternalTool.RunRubyAsync(script, new[] { _c[3].MemcachedPort.ToString(), string.Join(",", keys), _c[3].Host }, TimeSpan.FromSeconds(60));
        await _c.AssertAsync(r.ExitCode == 0 && r.Stdout.TrimEnd().EndsWith("PASS"), r.Describe());

        await using var c1 = await _c[1].ConnectAsync();
        Assert.Equal("replaced", (await c1.CallAsync("GET", keys[2])).Text);
        Assert.Equal("95", (await c1.CallAsync("GET", keys[1] + "ctr")).Text.TrimEnd()); // memcached may space-pad a decremented number
        Assert.True((await c1.CallAsync("GET", keys[4])).IsNull);
        var ttl = (await c1.CallAsync("TTL", keys[6])).Integer;
        Assert.True(ttl is > 900 and <= 1000, $"TTL after a binary touch through {_c[3].NodeId}: {ttl}");
    }

    /// <summary>Raw memcached binary frames through a non-owner: SET, a pipeline of quiet GETKQs (hits in order), INCR, DELETE.</summary>
    [Fact]
    public async Task RawBinaryProtocol_ThroughNonOwner_QuietPipeline()
    {
        var p = ThreeNodeClusterFixture.Prefix("bin");
        var owners = (await _c[1].ClusterAsync()).Owners(_c.Shards);
        var keys = Cl.KeysOwnedBy(_c, owners, _c[2].NodeId, p + "a", 10).Concat(Cl.KeysOwnedBy(_c, owners, _c[3].NodeId, p + "b", 10)).ToList();
        await using var mc = await _c[1].McConnectAsync();
        for (var i = 0; i < keys.Count; i++)
        {
            var f = await McBin.CallAsync(mc, McBin.Frame(Op.Set, McBin.Key(keys[i]), McBin.StoreExtras((uint)i, 0), Encoding.UTF8.GetBytes("bv" + i), opaque: (uint)i));
            Assert.True(f.Status == St.Ok, $"binary SET {keys[i]} through {_c[1].NodeId}: {f}");
            Assert.Equal((uint)i, f.Opaque);
        }
        // quiet pipeline: GETKQ for every key plus misses in between; only hits answer, in request order
        var req = new List<byte[]>();
        var asked = new List<string>();
        for (var i = 0; i < keys.Count; i++)
        {
            req.Add(McBin.Frame(Op.GetKQ, McBin.Key(keys[i]), opaque: (uint)(100 + i)));
            req.Add(McBin.Frame(Op.GetKQ, McBin.Key(keys[i] + "-miss"), opaque: 999));
            asked.Add(keys[i]);
        }
        var (frames, closed) = await McBin.ExchangeAsync(mc, McBin.Concat(req.ToArray()));
        Assert.False(closed);
        Assert.Equal(asked, frames.Select(f => f.KeyText).ToList());
        for (var i = 0; i < keys.Count; i++)
        {
            Assert.Equal("bv" + i, frames[i].ValueText);
            Assert.Equal((uint)i, frames[i].Flags);
            Assert.Equal((uint)(100 + i), frames[i].Opaque);
        }
        var inc = await McBin.CallAsync(mc, McBin.Frame(Op.Increment, McBin.Key(keys[0] + "n"), McBin.DeltaExtras(7, 40, 0)));
        Assert.Equal(40UL, inc.Counter);
        inc = await McBin.CallAsync(mc, McBin.Frame(Op.Increment, McBin.Key(keys[0] + "n"), McBin.DeltaExtras(7, 40, 0)));
        Assert.Equal(47UL, inc.Counter);
        var del = await McBin.CallAsync(mc, McBin.Frame(Op.Delete, McBin.Key(keys[^1])));
        Assert.Equal(St.Ok, del.Status);
        var miss = await McBin.CallAsync(mc, McBin.Frame(Op.Get, McBin.Key(keys[^1])));
        Assert.Equal(St.KeyNotFound, miss.Status);
    }

    /// <summary>
    /// INFO cluster, CLUSTER INFO and memcached "stats" on every node agree with /cluster: 3 members up, 64 shards,
    /// each node's owned-shard count, the same leader everywhere (the lowest node id, per the design), state ok.
    /// </summary>
    [Fact]
    public async Task InfoCluster_ClusterInfo_McStats_AgreeWithClusterEndpoint()
    {
        var views = new List<ClusterView>();
        foreach (var n in _c.Nodes) views.Add(await n.ClusterAsync());
        var leaders = views.Select(v => v.Leader).Distinct().ToList();
        Assert.True(leaders.Count == 1 && leaders[0] == "it-node-1", $"leaders reported: [{string.Join(", ", leaders)}], expected it-node-1 (lowest id) everywhere\n{string.Join("\n", views.Select(v => v.Raw))}");
        var total = 0;
        foreach (var (n, v) in _c.Nodes.Zip(views))
        {
            Assert.Equal(n.NodeId, v.Self);
            Assert.Equal(64, v.Shards);
            Assert.Equal("ok", v.State);
            Assert.Equal(3, v.Members.Count(m => m.Status == "up"));
            var mine = v.Member(n.NodeId)!.Shards.Count;
            total += mine;
            var me = v.Member(n.NodeId)!;
            Assert.Equal(n.AdvertiseAddress, me.Address);
            Assert.True(me.Incarnation > 0, $"incarnation {me.Incarnation}");

            var info = await Cl.InfoAsync(n, "cluster");
            string F(string k) => info.TryGetValue(k, out var x) ? x : throw new Xunit.Sdk.XunitException($"INFO cluster on {n.NodeId} lacks {k}: {Persist.Describe(info)}");
            Assert.Equal("1", F("cluster_enabled"));
            Assert.Equal("ok", F("cluster_state"));
            Assert.Equal(n.NodeId, F("cluster_node_id"));
            Assert.Equal("it-node-1", F("cluster_leader"));
            Assert.Equal("3", F("cluster_known_members"));
            Assert.Equal("3", F("cluster_members_up"));
            Assert.Equal("64", F("cluster_shards"));
            Assert.Equal(mine.ToString(), F("cluster_shards_owned"));
            Assert.Equal("0", F("cluster_handoffs_in_progress"));
            Assert.True(long.TryParse(F("cluster_handoffs_done"), out _));

            await using var c = await n.ConnectAsync();
            var ci = await c.CallAsync("CLUSTER", "INFO");
            Assert.True(ci.Kind is RespKind.Bulk or RespKind.Verbatim, $"CLUSTER INFO on {n.NodeId}: {ci}");
            Assert.Contains("\r\n", ci.Text);
            var d = Persist.ParseInfo(ci.Text);
            Assert.Equal("1", d.GetValueOrDefault("cluster_enabled"));
            Assert.Equal("ok", d.GetValueOrDefault("cluster_state"));
            Assert.Equal("16384", d.GetValueOrDefault("cluster_slots_assigned"));
            Assert.Equal("3", d.GetValueOrDefault("cluster_known_nodes"));
            Assert.Equal("3", d.GetValueOrDefault("cluster_size"));
            Assert.Equal(mine.ToString(), d.GetValueOrDefault("cluster_shards_owned"));

            await using var mc = await n.McConnectAsync();
            var stats = await McText.CallAsync(mc, "stats\r\n");
            var st = stats.Select(i => i.Tokens).Where(t => t.Length == 3 && t[0] == "STAT").ToDictionary(t => t[1], t => t[2]);
            Assert.Equal(mine.ToString(), st.GetValueOrDefault("cluster_shards_owned"));
            Assert.Equal("3", st.GetValueOrDefault("cluster_members"));
        }
        Assert.Equal(64, total);
        Assert.True(views.All(v => v.Members.Where(m => m.Status == "up").All(m => m.Shards.Count > 0)), "a member owns no shard: " + views[0].Summary());
    }
}
