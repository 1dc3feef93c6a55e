using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using CacheCluster.Integration.Tests.Infrastructure;
using CacheCluster.Integration.Tests.Persistence;
using Xunit.Abstractions;

namespace CacheCluster.Integration.Tests.Cluster;

/// <summary>The cluster port only talks to peers with the shared secret and survives garbage.</summary>
[Collection(ClusterCollection.Name)]
public sealed class ClusterSecurityTests
{
    private readonly ITestOutputHelper _out;

    public ClusterSecurityTests(ITestOutputHelper output) => _out = output;

    /// <summary>
    /// A 2-node cluster (secret S). Garbage on node 1's cluster port — 4 KiB of random bytes, an HTTP request, a frame
    /// header announcing ~2 GiB, a frame of an unknown type before the handshake — gets that connection closed within
    /// 10 s each, and the node keeps serving every shard and stays Up. Then a node with a different secret, seeded with
    /// the two: for 8 s it never becomes ready, its /cluster never shows another member Up, the others' /cluster never
    /// lists it, and a log (its own or a seed's) reports the refused link. Finally a node with the right secret joins:
    /// the cluster converges on 3 members, still without the impostor.
    /// </summary>
    [Fact]
    public async Task WrongSecret_Refused_GarbageOnClusterPort_Dropped_NodeUnaffected()
    {
        await using var cluster = await ClusterProcesses.StartAsync(2);
        var (n1, n2) = (cluster[1], cluster[2]);
        var probes = cluster.OneKeyPerShard("sec:probe:");

        var rnd = new Random(42);
        var random = new byte[4096];
        rnd.NextBytes(random);
        var huge = new byte[64];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(huge, 0x7FFF_FFF0u); // a length far above the 256 MiB limit
        huge[4] = 0x02;
        var unknownType = new byte[] { 5, 0, 0, 0, 0xEE, 1, 2, 3, 4 };
        var garbage = new (string Name, byte[] Bytes)[]
        {
            ("4 KiB of random bytes", random),
            ("an HTTP request", Encoding.ASCII.GetBytes("GET /cluster HTTP/1.1\r\nHost: localhost\r\nConnection: keep-alive\r\n\r\n")),
            ("a frame header announcing 2 GiB", huge),
            ("a frame of unknown type 0xEE before the handshake", unknownType),
        };
        foreach (var (name, bytes) in garbage)
        {
            var (closed, received, elapsed) = await SendGarbageAsync(n1, bytes, TimeSpan.FromSeconds(10));
            _out.WriteLine($"{name}: {(closed ? $"closed after {elapsed.TotalMilliseconds:F0} ms" : "NOT closed")} ({received} bytes received from the node)");
            await cluster.AssertAsync(closed, $"{name} on the cluster port: connection still open after 10 s");
            await cluster.AssertAsync(!(n1.Current.HasExited), $"node 1 exited after {name}");
            foreach (var n in new[] { n1, n2 })
            {
                await using var c = await n.ConnectAsync();
                await Persist.SetManyAsync(c, probes.Select(k => (k, name)).ToList());
                var bad = await Cl.VerifyRespAsync(c, probes.Select(k => (k, (string?)name)).ToList(), n.NodeId);
                await cluster.AssertAsync(bad.Count == 0, $"after {name}: {Cl.Head(bad)}");
            }
        }
        await cluster.WaitConvergedAsync(new[] { n1, n2 }, TimeSpan.FromSeconds(20));

        // an impostor with the wrong secret, seeded with the two members
        var bad3 = cluster.AddNode("it-node-impostor");
        bad3.Secret = "not-the-cluster-secret";
        // only what the seeds log from now on counts (the garbage above was refused and logged already)
        var (mark1, mark2) = (n1.Output.Length, n2.Output.Length);
        string[] NewLogs() => new[] { n1.Output[mark1..], n2.Output[mark2..], bad3.Output };
        await cluster.StartNodeAsync(bad3, waitReady: false);
        var sw = Stopwatch.StartNew();
        var refusedLogged = false;
        var lastImpostorView = "";
        while (sw.Elapsed < TimeSpan.FromSeconds(8))
        {
            await cluster.AssertAsync(!(bad3.Current.HasExited), "the impostor exited (it should keep trying)");
            var (rs, rb) = await bad3.ReadyzAsync();
            await cluster.AssertAsync(rs != HttpStatusCode.OK, $"the node with the wrong secret became ready: {rb}");
            var (v, _) = await bad3.TryClusterAsync();
            if (v != null)
            {
                lastImpostorView = v.Summary();
                var others = v.Members.Where(m => m.Id != bad3.NodeId && m.Status == "up").ToList();
                Assert.True(others.Count == 0, $"the impostor sees {string.Join(",", others.Select(m => m.Id))} up: {v.Raw}");
                Assert.NotEqual("ok", v.State);
            }
            foreach (var n in new[] { n1, n2 })
            {
                var view = await n.ClusterAsync();
                Assert.True(view.Member(bad3.NodeId) == null, $"{n.NodeId} lists the impostor: {view.Raw}");
            }
            refusedLogged = refusedLogged || NewLogs().Any(LogsRefusal);
            await Task.Delay(500);
        }
        _out.WriteLine("impostor's /cluster: " + lastImpostorView);
        await cluster.AssertAsync(refusedLogged, "no log line reports the refused link (looked for refus/reject/denied/auth… failed/secret mismatch)");
        _out.WriteLine("refusal logged: " + string.Join(" | ", NewLogs().SelectMany(o => o.Split('\n')).Where(l => LogsRefusal(l)).Take(3)));

        // a node with the right secret still joins
        var n4 = cluster.AddNode();
        await cluster.StartNodeAsync(n4, waitReady: true);
        await cluster.WaitConvergedAsync(new[] { n1, n2, n4 }, ClusterTimes.Converge);
        foreach (var n in new[] { n1, n2, n4 })
            Assert.Null((await n.ClusterAsync()).Member(bad3.NodeId));
        Assert.True((await bad3.ReadyzAsync()).Status != HttpStatusCode.OK, "impostor ready");
        await using (var c = await n4.ConnectAsync())
        {
            var bad = await Cl.VerifyRespAsync(c, probes.Select(k => (k, (string?)garbage[^1].Name)).ToList(), n4.NodeId);
            await cluster.AssertAsync(bad.Count == 0, $"through the new node: {Cl.Head(bad)}");
        }
    }

    private static bool LogsRefusal(string log) =>
        Regex.IsMatch(log, @"refus|reject|denied|auth\w* fail|fail\w* (to )?auth|secret mismatch|wrong secret|bad secret", RegexOptions.IgnoreCase);

    /// <summary>Connects to the node's cluster port, sends <paramref name="bytes"/> and waits for the node to close the connection.</summary>
    private static async Task<(bool Closed, long Received, TimeSpan Elapsed)> SendGarbageAsync(ClusterNode n, byte[] bytes, TimeSpan timeout)
    {
        using var s = await LoopbackConnect.SocketAsync(n.Host, n.ClusterPort);
        var sw = Stopwatch.StartNew();
        try { await s.SendAsync(bytes, SocketFlags.None); }
        catch (SocketException) { return (true, 0, sw.Elapsed); }
        long received = 0;
        var buf = new byte[65536];
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            while (true)
            {
                var r = await s.ReceiveAsync(buf, SocketFlags.None, cts.Token);
                if (r == 0) return (true, received, sw.Elapsed);
                received += r;
            }
        }
        catch (OperationCanceledException) { return (false, received, sw.Elapsed); }
        catch (SocketException) { return (true, received, sw.Elapsed); }
    }
}
