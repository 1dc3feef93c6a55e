using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using CacheCluster.Integration.Tests.Infrastructure;
using CacheCluster.Integration.Tests.Persistence;
using Xunit.Abstractions;

namespace CacheCluster.Integration.Tests.Cluster;

/// <summary>cluster-config/local-3-node/*.json stay valid: the real server loads them and they form a working cluster.</summary>
[Collection(ClusterCollection.Name)]
public sealed class ClusterConfigFileTests
{
    private readonly ITestOutputHelper _out;

    public ClusterConfigFileTests(ITestOutputHelper output) => _out = output;

    private static string ConfigDir => Path.Combine(RepoPaths.RepoRoot, "cluster-config", "local-3-node");

    private static Dictionary<string, string> Load(string file)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(file), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        return doc.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()! : p.Value.GetRawText());
    }

    /// <summary>
    /// The three files describe the documented cluster (distinct ids, ports and data directories; one seed list naming
    /// every cluster port; one non-empty secret). Started with `serve --config nodeN.json` (working directory: a temp
    /// dir, so ./data/nodeN lands there) they pass the server's option validation, become ready, converge on 3 Up
    /// members owning all shards, and serve a key written through one node from the others. The files are used as
    /// they are when their fixed ports are free; otherwise ports and seeds are overridden by flags (later sources win).
    /// </summary>
    [Fact]
    public async Task Local3Node_ConfigFiles_StartAsAWorkingCluster()
    {
        var files = Enumerable.Range(1, 3).Select(i => Path.Combine(ConfigDir, $"node{i}.json")).ToList();
        var cfg = files.Select(Load).ToList();
        for (var i = 0; i < 3; i++)
        {
            var c = cfg[i];
            Assert.Equal($"local-node{i + 1}", c["node-id"]);
            Assert.Equal($"700{i + 1}", c["resp-port"]);
            Assert.Equal($"1131{i + 1}", c["memcached-port"]);
            Assert.Equal($"830{i + 1}", c["admin-port"]);
            Assert.Equal($"710{i + 1}", c["cluster-port"]);
            Assert.Equal($"./data/node{i + 1}", c["data-dir"]);
            Assert.Equal("127.0.0.1", c["bind"]);
            Assert.Equal(cfg[0]["seeds"], c["seeds"]);
            Assert.Equal(cfg[0]["cluster-secret"], c["cluster-secret"]);
        }
        Assert.False(string.IsNullOrWhiteSpace(cfg[0]["cluster-secret"]));
        Assert.Equal(new[] { "127.0.0.1:7101", "127.0.0.1:7102", "127.0.0.1:7103" }, cfg[0]["seeds"].Split(',').Select(s => s.Trim()).Order());
        var shards = int.Parse(cfg[0]["shards"]);

        using var work = new TempDir("cc-local3");
        var fixedPorts = cfg.SelectMany(c => new[] { "resp-port", "memcached-port", "admin-port", "cluster-port" }.Select(k => int.Parse(c[k]))).ToList();
        var verbatim = fixedPorts.All(IsFree);
        _out.WriteLine(verbatim ? "documented ports are free: files used as they are" : "some documented port is busy: ports and seeds overridden by flags");
        var ports = Enumerable.Range(0, 3).Select(i => verbatim
            ? (Resp: 7001 + i, Mc: 11311 + i, Admin: 8301 + i, Cluster: 7101 + i)
            : (Resp: PortAllocator.GetFreePort(), Mc: PortAllocator.GetFreePort(), Admin: PortAllocator.GetFreePort(), Cluster: PortAllocator.GetFreePort())).ToList();
        var seeds = string.Join(',', ports.Select(p => $"127.0.0.1:{p.Cluster}"));

        var nodes = new List<NodeProcess>();
        try
        {
            for (var i = 0; i < 3; i++)
            {
                var o = new NodeOptions
                {
                    PassStandardArgs = false,
                    WorkingDir = work.Path,
                    DataDir = Path.Combine(work.Path, "data", $"node{i + 1}"),
                    RespPort = ports[i].Resp,
                    MemcachedPort = ports[i].Mc,
                    AdminPort = ports[i].Admin,
                };
                o.ExtraArgs.AddRange(new[] { "--config", files[i] });
                if (!verbatim)
                    o.ExtraArgs.AddRange(new[]
                    {
                        "--resp-port", ports[i].Resp.ToString(), "--memcached-port", ports[i].Mc.ToString(), "--admin-port", ports[i].Admin.ToString(),
                        "--cluster-port", ports[i].Cluster.ToString(), "--seeds", seeds,
                    });
                nodes.Add(await NodeProcess.StartAsync(o, waitReady: false));
            }
            foreach (var n in nodes) await n.WaitReadyAsync(TimeSpan.FromSeconds(60));

            var ids = new HashSet<string> { "local-node1", "local-node2", "local-node3" };
            var sw = Stopwatch.StartNew();
            var last = "";
            while (true)
            {
                var problems = new List<string>();
                foreach (var n in nodes)
                {
                    var (status, body) = await n.HttpGetAsync("/cluster");
                    if (status != HttpStatusCode.OK) { problems.Add($"/cluster {(int)status}"); continue; }
                    var v = ClusterView.Parse(body);
                    if (v.ConvergenceProblem(ids, shards) is { } why) problems.Add($"{v.Self}: {why}: {v.Summary()}");
                }
                if (problems.Count == 0) break;
                last = string.Join("; ", problems);
                Assert.True(sw.Elapsed < TimeSpan.FromSeconds(60), $"the local-3-node cluster did not converge: {last}\n{string.Join("\n", nodes.Select(n => n.Describe()))}");
                await Task.Delay(250);
            }
            _out.WriteLine($"converged after {sw.Elapsed.TotalSeconds:F1}s");

            await using (var c = await nodes[0].ConnectAsync())
                await Persist.SetManyAsync(c, Cl.Items("local3:", 500));
            foreach (var n in nodes.Skip(1))
            {
                await using var c = await n.ConnectAsync();
                var bad = await Cl.VerifyRespAsync(c, Cl.Items("local3:", 500).Select(t => (t.Key, (string?)t.Value)).ToList(), n.Describe().Split('\n')[0]);
                Assert.True(bad.Count == 0, Cl.Head(bad));
            }
            for (var i = 0; i < 3; i++)
                Assert.True(File.Exists(Path.Combine(work.Path, "data", $"node{i + 1}", Persist.DbFile)), $"node {i + 1}'s data directory is not ./data/node{i + 1} under its working directory");
        }
        finally
        {
            foreach (var n in nodes)
            {
                await n.KillAsync();
                await n.DisposeAsync();
            }
        }
    }

    private static bool IsFree(int port)
    {
        try
        {
            var l = new TcpListener(IPAddress.Loopback, port);
            l.Start();
            l.Stop();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
