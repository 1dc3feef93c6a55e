using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using CacheCluster.Integration.Tests.Memcached.Harness;

namespace CacheCluster.Integration.Tests.Infrastructure;

/// <summary>Settings shared by every node of a <see cref="ClusterProcesses"/>.</summary>
public sealed class ClusterOptions
{
    public int Shards { get; set; } = 64;
    public string Durability { get; set; } = "everysec";
    /// <summary>--cluster-secret of every node (null: the flag is not passed, the server's default applies).</summary>
    public string? Secret { get; set; } = "it-cluster-secret";
    /// <summary>
    /// When set, node i (1-based) listens on 127.0.0.(HostBase + i) for all its ports instead of 127.0.0.1, so its
    /// outgoing node links come from that source address too.
    /// </summary>
    public int? HostBase { get; set; }
    /// <summary>
    /// When set, node i advertises 127.0.0.(AdvertiseBase + i):its-cluster-port (where a <see cref="FaultProxy"/>
    /// listens) and the seed list is made of those advertised addresses.
    /// </summary>
    public int? AdvertiseBase { get; set; }
    /// <summary>Arguments added to every node's command line.</summary>
    public List<string> ExtraArgs { get; } = new();
    public TimeSpan ReadyTimeout { get; set; } = TimeSpan.FromSeconds(60);
    public TimeSpan ConvergeTimeout { get; set; } = TimeSpan.FromSeconds(60);
}

/// <summary>
/// One member slot of a test cluster: identity, addresses, ports and data directory stay the same across
/// kill/terminate/restart; <see cref="Process"/> is the current incarnation (null before the first start).
/// </summary>
public sealed class ClusterNode
{
    internal ClusterNode(int index, string nodeId, string host, string dataDir, int clusterPort, string advertise)
    {
        Index = index;
        NodeId = nodeId;
        Host = host;
        DataDir = dataDir;
        ClusterPort = clusterPort;
        AdvertiseAddress = advertise;
    }

    /// <summary>1-based position in the cluster.</summary>
    public int Index { get; }
    public string NodeId { get; }
    public string Host { get; }
    public string DataDir { get; }
    public int RespPort { get; } = PortAllocator.GetFreePort();
    public int MemcachedPort { get; } = PortAllocator.GetFreePort();
    public int AdminPort { get; } = PortAllocator.GetFreePort();
    public int ClusterPort { get; }
    /// <summary>host:port peers use to reach this node's cluster port.</summary>
    public string AdvertiseAddress { get; }
    /// <summary>The --seeds of this node.</summary>
    public List<string> Seeds { get; set; } = new();
    /// <summary>--cluster-secret of this node (null: not passed).</summary>
    public string? Secret { get; set; }
    /// <summary>Arguments added to this node's command line only.</summary>
    public List<string> ExtraArgs { get; } = new();

    public NodeProcess? Process { get; internal set; }
    /// <summary>Earlier incarnations (killed or stopped), kept for their logs.</summary>
    public List<NodeProcess> Previous { get; } = new();

    public NodeProcess Current => Process ?? throw new InvalidOperationException($"{NodeId} is not running");
    public bool IsRunning => Process is { HasExited: false };

    public Task<RespClient> ConnectAsync(TimeSpan? timeout = null) => LoopbackConnect.RespAsync(Host, RespPort, timeout);
    public Task<McConnection> McConnectAsync(TimeSpan? timeout = null) => LoopbackConnect.McAsync(Host, MemcachedPort, timeout);

    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(5) };

    public async Task<(HttpStatusCode Status, string Body)> HttpGetAsync(string path)
    {
        using var resp = await Http.GetAsync($"http://{Host}:{AdminPort}{path}");
        return (resp.StatusCode, await resp.Content.ReadAsStringAsync());
    }

    /// <summary>GET /cluster, parsed. Throws when the endpoint is not 200 or not the documented JSON.</summary>
    public async Task<ClusterView> ClusterAsync()
    {
        var (status, body) = await HttpGetAsync("/cluster");
        if (status != HttpStatusCode.OK) throw new InvalidDataException($"{NodeId}: GET /cluster answered HTTP {(int)status}: {body}");
        return ClusterView.Parse(body);
    }

    /// <summary>GET /cluster, or null (with the reason) when the node does not answer.</summary>
    public async Task<(ClusterView? View, string Error)> TryClusterAsync()
    {
        try { return (await ClusterAsync(), ""); }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or InvalidDataException or JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return (null, e.GetType().Name + ": " + e.Message);
        }
    }

    public async Task<(HttpStatusCode? Status, string Body)> ReadyzAsync()
    {
        try
        {
            var (s, b) = await HttpGetAsync("/readyz");
            return (s, b);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return (null, e.GetType().Name + ": " + e.Message);
        }
    }

    public string Output => Process?.Output ?? "";

    /// <summary>All output of every incarnation (oldest first).</summary>
    public string AllOutput => string.Join("\n--- restart ---\n", Previous.Select(p => p.Output).Append(Output));

    public override string ToString() => $"{NodeId}({Host}:{RespPort})";
}

/// <summary>
/// A multi-process test cluster: N real servers with distinct node ids, ports and data directories (and, on
/// request, distinct loopback addresses), one seed list; waits until every member is Up and the shard owners have
/// converged (as seen on /cluster of every node). Kill/terminate/restart a member keeping its data directory.
/// Disposing SIGKILLs every process still running and deletes the data directories, whatever the test's outcome.
/// </summary>
public sealed class ClusterProcesses : IAsyncDisposable
{
    private readonly TempDir _root = new("cc-cluster");
    private readonly List<ClusterNode> _nodes = new();
    private readonly List<string> _notes = new();

    public ClusterOptions Options { get; }
    public IReadOnlyList<ClusterNode> Nodes => _nodes;
    public ClusterNode this[int index1] => _nodes[index1 - 1];
    public int Shards => Options.Shards;
    /// <summary>The seed list of the initial members.</summary>
    public List<string> Seeds { get; private set; } = new();
    /// <summary>The most recent owner map (shard → node id) a convergence wait saw.</summary>
    public string[] LastOwners { get; private set; } = Array.Empty<string>();

    private ClusterProcesses(ClusterOptions options) => Options = options;

    /// <summary>
    /// Starts <paramref name="count"/> nodes at once with the same seed list; by default waits until they converged.
    /// <paramref name="beforeStart"/> sees the member slots (addresses, ports) before any process starts, e.g. to set up
    /// a <see cref="FaultProxy"/> in front of them.
    /// </summary>
    public static async Task<ClusterProcesses> StartAsync(int count, ClusterOptions? options = null, bool waitConverged = true, Action<ClusterProcesses>? beforeStart = null)
    {
        var c = new ClusterProcesses(options ?? new ClusterOptions());
        try
        {
            for (var i = 0; i < count; i++) c.AddNode();
            c.Seeds = c._nodes.Select(n => n.AdvertiseAddress).ToList();
            foreach (var n in c._nodes) n.Seeds = c.Seeds.ToList();
            beforeStart?.Invoke(c);
            await Task.WhenAll(c._nodes.Select(n => c.StartNodeAsync(n, waitReady: false)));
            if (waitConverged && count > 0)
            {
                await Task.WhenAll(c._nodes.Select(n => c.WaitReadyAsync(n, c.Options.ReadyTimeout)));
                await c.WaitConvergedAsync(c._nodes, c.Options.ConvergeTimeout);
            }
            return c;
        }
        catch
        {
            await c.DisposeAsync();
            throw;
        }
    }

    /// <summary>Creates the next member slot (not started); its seeds default to the initial members' addresses.</summary>
    public ClusterNode AddNode(string? nodeId = null)
    {
        var index = _nodes.Count + 1;
        var host = Options.HostBase is { } hb ? $"127.0.0.{hb + index}" : "127.0.0.1";
        var clusterPort = PortAllocator.GetFreePort();
        var advertise = Options.AdvertiseBase is { } ab ? $"127.0.0.{ab + index}:{clusterPort}" : $"{host}:{clusterPort}";
        var dir = Path.Combine(_root.Path, $"node{index}");
        Directory.CreateDirectory(dir);
        var node = new ClusterNode(index, nodeId ?? $"it-node-{index}", host, dir, clusterPort, advertise)
        {
            Seeds = Seeds.ToList(),
            Secret = Options.Secret,
        };
        _nodes.Add(node);
        return node;
    }

    public List<string> ServeArgs(ClusterNode n)
    {
        var args = new List<string>
        {
            "--durability", Options.Durability,
            "--cluster-port", n.ClusterPort.ToString(),
        };
        if (n.Seeds.Count > 0) args.AddRange(new[] { "--seeds", string.Join(',', n.Seeds) });
        if (Options.AdvertiseBase != null || n.AdvertiseAddress != $"{n.Host}:{n.ClusterPort}") args.AddRange(new[] { "--advertise", n.AdvertiseAddress });
        if (n.Secret != null) args.AddRange(new[] { "--cluster-secret", n.Secret });
        args.AddRange(Options.ExtraArgs);
        args.AddRange(n.ExtraArgs);
        return args;
    }

    /// <summary>Starts (or restarts) the node's process on its data directory. A previous incarnation must have exited.</summary>
    public async Task<NodeProcess> StartNodeAsync(ClusterNode n, bool waitReady = true, TimeSpan? readyTimeout = null)
    {
        if (n.Process != null)
        {
            if (!n.Process.HasExited) throw new InvalidOperationException($"{n.NodeId} is still running");
            n.Previous.Add(n.Process);
            n.Process = null;
        }
        var o = new NodeOptions
        {
            Host = n.Host,
            RespPort = n.RespPort,
            AdminPort = n.AdminPort,
            MemcachedPort = n.MemcachedPort,
            DataDir = n.DataDir,
            Shards = Options.Shards,
            NodeId = n.NodeId,
            ReadyTimeout = readyTimeout ?? Options.ReadyTimeout,
        };
        o.ExtraArgs.AddRange(ServeArgs(n));
        n.Process = await NodeProcess.StartAsync(o, waitReady: false);
        Note($"started {n.NodeId} (pid {n.Process.Process.Pid}) on {n.Host} resp={n.RespPort} mc={n.MemcachedPort} admin={n.AdminPort} cluster={n.ClusterPort} advertise={n.AdvertiseAddress} seeds={string.Join(',', n.Seeds)}");
        if (waitReady) await WaitReadyAsync(n, o.ReadyTimeout);
        return n.Process;
    }

    public Task<NodeProcess> RestartAsync(ClusterNode n, bool waitReady = true) => StartNodeAsync(n, waitReady);

    /// <summary>Waits for /readyz 200 on the node; on timeout fails with every node's log.</summary>
    public async Task WaitReadyAsync(ClusterNode n, TimeSpan timeout)
    {
        try
        {
            await n.Current.WaitReadyAsync(timeout);
        }
        catch (Exception e) when (e is TimeoutException or InvalidOperationException)
        {
            throw new TimeoutException($"{n.NodeId} did not become ready: {e.Message.Split('\n')[0]}\n{await DescribeAsync()}", e);
        }
    }

    /// <summary>SIGKILL.</summary>
    public async Task KillAsync(ClusterNode n)
    {
        Note($"SIGKILL {n.NodeId}");
        await n.Current.KillAsync();
    }

    /// <summary>SIGTERM and wait; the exit code, or null if it did not exit in time (it is then left running).</summary>
    public async Task<int?> TerminateAsync(ClusterNode n, TimeSpan timeout)
    {
        Note($"SIGTERM {n.NodeId}");
        var code = await n.Current.Process.TerminateAsync(timeout);
        Note($"{n.NodeId} exit code {code?.ToString() ?? "(still running)"}");
        return code;
    }

    public void Note(string s)
    {
        lock (_notes) _notes.Add($"{DateTime.Now:HH:mm:ss.fff} {s}");
    }

    /// <summary>
    /// Waits until every node in <paramref name="members"/> answers /readyz 200 and its /cluster says: state ok; the
    /// members that are joining/up/leaving/exiting are exactly <paramref name="members"/>, all up and reachable;
    /// every shard is owned by exactly one of them; no hand-off in progress; and all of them report the same owner of
    /// every shard. The condition must hold on three consecutive polls at least 1.5 s apart (so a pause between two
    /// hand-offs does not count as done). Returns the owner (node id) of each shard.
    /// </summary>
    public async Task<string[]> WaitConvergedAsync(IEnumerable<ClusterNode> members, TimeSpan timeout)
    {
        var set = members.ToList();
        var sw = Stopwatch.StartNew();
        string last = "no poll yet";
        string? stableKey = null;
        var stableSince = TimeSpan.Zero;
        var stableCount = 0;
        while (sw.Elapsed < timeout)
        {
            var (ok, reason, owners, key) = await CheckConvergedAsync(set);
            if (ok)
            {
                if (key == stableKey) stableCount++;
                else { stableKey = key; stableCount = 1; stableSince = sw.Elapsed; }
                if (stableCount >= 3 && sw.Elapsed - stableSince >= TimeSpan.FromSeconds(1.5))
                {
                    LastOwners = owners!;
                    Note($"converged on [{string.Join(",", set.Select(n => n.NodeId))}] after {sw.Elapsed.TotalSeconds:F1}s");
                    return owners!;
                }
            }
            else
            {
                stableKey = null;
                stableCount = 0;
                last = reason;
            }
            await Task.Delay(250);
        }
        throw new TimeoutException($"cluster did not converge on [{string.Join(", ", set.Select(n => n.NodeId))}] within {timeout.TotalSeconds:F0}s; last: {last}\n{await DescribeAsync()}");
    }

    /// <summary>One convergence check (see <see cref="WaitConvergedAsync"/>); key identifies the converged state (owner map + done counters).</summary>
    public async Task<(bool Ok, string Reason, string[]? Owners, string Key)> CheckConvergedAsync(IReadOnlyList<ClusterNode> set)
    {
        var ids = set.Select(n => n.NodeId).ToHashSet(StringComparer.Ordinal);
        string[]? reference = null;
        var key = new StringBuilder();
        foreach (var n in set)
        {
            if (!n.IsRunning) return (false, $"{n.NodeId} is not running", null, "");
            var (rs, rb) = await n.ReadyzAsync();
            if (rs != HttpStatusCode.OK) return (false, $"{n.NodeId} /readyz: {(rs == null ? "" : (int)rs + " ")}{rb}", null, "");
            var (v, err) = await n.TryClusterAsync();
            if (v == null) return (false, $"{n.NodeId} /cluster: {err}", null, "");
            var why = v.ConvergenceProblem(ids, Shards);
            if (why != null) return (false, $"{n.NodeId} /cluster: {why}: {v.Summary()}", null, "");
            var owners = v.Owners(Shards);
            if (reference == null) reference = owners;
            else
            {
                var diff = Enumerable.Range(0, Shards).Where(s => owners[s] != reference[s]).ToList();
                if (diff.Count > 0)
                    return (false, $"{n.NodeId} disagrees with {set[0].NodeId} on the owner of shards [{string.Join(",", diff.Take(10))}]: {owners[diff[0]]} vs {reference[diff[0]]}", null, "");
            }
            key.Append(n.NodeId).Append(':').Append(v.Handoffs.Done).Append(';');
        }
        return (true, "", reference, string.Join(",", reference!) + "|" + key);
    }

    /// <summary>Waits until <paramref name="check"/> holds (polled every 250 ms); fails with every node's log on timeout.</summary>
    public async Task<TimeSpan> WaitUntilAsync(string what, TimeSpan timeout, Func<Task<(bool Ok, string State)>> check)
    {
        var (elapsed, last) = await Poll.UntilAsync(timeout, check);
        if (elapsed is { } took)
        {
            Note($"{what}: after {took.TotalSeconds:F1}s");
            return took;
        }
        throw new TimeoutException($"not within {timeout.TotalSeconds:F0}s: {what}; last: {last}\n{await DescribeAsync()}");
    }

    /// <summary>The shard a key lives in (the server's slot function and slot → shard map).</summary>
    public int ShardOf(string key) => ShardOf(key, Shards);

    public static int ShardOf(string key, int shards) => new CacheCluster.Core.ShardMap(shards).ShardOf(Encoding.UTF8.GetBytes(key));

    /// <summary>For each shard one key (prefix + n) that lands on it.</summary>
    public string[] OneKeyPerShard(string prefix)
    {
        var map = new CacheCluster.Core.ShardMap(Shards);
        var keys = new string?[Shards];
        var left = Shards;
        for (var i = 0; left > 0; i++)
        {
            var k = prefix + i;
            var s = map.ShardOf(Encoding.UTF8.GetBytes(k));
            if (keys[s] == null) { keys[s] = k; left--; }
        }
        return keys!;
    }

    /// <summary>Fails the test with <paramref name="message"/> and <see cref="DescribeAsync"/> (which is only gathered on failure).</summary>
    public async Task AssertAsync(bool condition, string message)
    {
        if (!condition) Assert.Fail(message + "\n" + await DescribeAsync());
    }

    /// <summary>Every node's recent log, /cluster and the harness's own notes, for failure messages.</summary>
    public async Task<string> DescribeAsync()
    {
        var sb = new StringBuilder();
        sb.AppendLine("=== cluster harness notes ===");
        lock (_notes) foreach (var n in _notes) sb.AppendLine(n);
        foreach (var n in _nodes)
        {
            sb.AppendLine($"=== {n.NodeId} {n.Host} resp={n.RespPort} mc={n.MemcachedPort} admin={n.AdminPort} cluster={n.ClusterPort} advertise={n.AdvertiseAddress} ===");
            if (n.Process == null) { sb.AppendLine("(never started)"); continue; }
            if (n.IsRunning)
            {
                var (v, err) = await n.TryClusterAsync();
                sb.AppendLine("/cluster: " + (v?.Raw ?? err));
            }
            else sb.AppendLine($"(exited, code {SafeExitCode(n.Process)})");
            sb.AppendLine("$ " + n.Process.Process.Description);
            sb.AppendLine(Tail(n.AllOutput, 6000));
        }
        return sb.ToString();
    }

    private static string SafeExitCode(NodeProcess p)
    {
        try { return p.ExitCode.ToString(); } catch { return "?"; }
    }

    private static string Tail(string s, int max) => s.Length > max ? "…" + s[^max..] : s;

    public async ValueTask DisposeAsync()
    {
        // SIGKILL first: a SIGTERM would make every node hand its shards to the others, slowly and for nothing.
        await Task.WhenAll(_nodes.Where(n => n.Process != null).Select(async n =>
        {
            try { await n.Process!.KillAsync(); } catch { }
            try { await n.Process!.DisposeAsync(); } catch { }
        }));
        foreach (var p in _nodes.SelectMany(n => n.Previous))
        {
            try { await p.DisposeAsync(); } catch { }
        }
        _root.Dispose();
    }
}

/// <summary>/cluster of one node (see the cluster README): who it is, the leader, its state and its member table.</summary>
public sealed record ClusterView(string Self, string? Leader, string State, int Shards, IReadOnlyList<ClusterMemberView> Members, HandoffView Handoffs, string Raw)
{
    public static ClusterView Parse(string json)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            var r = doc.RootElement;
            var members = r.GetProperty("members").EnumerateArray().Select(m => new ClusterMemberView(
                m.GetProperty("id").GetString()!,
                m.GetProperty("address").GetString()!,
                m.GetProperty("status").GetString()!,
                m.GetProperty("incarnation").GetInt64(),
                m.GetProperty("reachable").GetBoolean(),
                m.GetProperty("shards").EnumerateArray().Select(s => s.GetInt32()).ToList())).ToList();
            var h = r.GetProperty("handoffs");
            var leader = r.GetProperty("leader");
            return new ClusterView(
                r.GetProperty("self").GetString()!,
                leader.ValueKind == JsonValueKind.Null ? null : leader.GetString(),
                r.GetProperty("state").GetString()!,
                r.GetProperty("shards").GetInt32(),
                members,
                new HandoffView(h.GetProperty("in_progress").GetInt64(), h.GetProperty("done").GetInt64(), h.GetProperty("pending").GetInt64()),
                json);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"/cluster is not the documented JSON ({e.Message}): {json}", e);
        }
    }

    public ClusterMemberView? Member(string id) => Members.FirstOrDefault(m => m.Id == id);

    public IEnumerable<ClusterMemberView> Up => Members.Where(m => m.Status == "up");

    /// <summary>Owner id per shard (null: no member lists it).</summary>
    public string[] Owners(int shards)
    {
        var o = new string[shards];
        foreach (var m in Members)
            foreach (var s in m.Shards)
                if (s >= 0 && s < shards) o[s] = m.Id;
        return o;
    }

    public static readonly string[] LiveStatuses = { "joining", "up", "leaving", "exiting" };

    /// <summary>Why this view is not converged on exactly <paramref name="ids"/> (null when it is).</summary>
    public string? ConvergenceProblem(IReadOnlySet<string> ids, int shards)
    {
        if (State != "ok") return $"state {State}";
        if (Shards != shards) return $"shards {Shards}, expected {shards}";
        foreach (var m in Members)
        {
            var expected = ids.Contains(m.Id);
            if (expected && m.Status != "up") return $"{m.Id} is {m.Status}";
            if (expected && !m.Reachable) return $"{m.Id} is unreachable";
            if (!expected && LiveStatuses.Contains(m.Status)) return $"{m.Id} (not expected) is {m.Status}";
            if (!expected && m.Shards.Count > 0) return $"{m.Id} (not expected) lists shards";
        }
        foreach (var id in ids)
            if (Member(id) == null) return $"{id} is not listed";
        var seen = new int[shards];
        foreach (var m in Members)
            foreach (var s in m.Shards)
            {
                if (s < 0 || s >= shards) return $"{m.Id} lists shard {s}, out of range";
                seen[s]++;
            }
        var missing = Enumerable.Range(0, shards).Where(s => seen[s] == 0).ToList();
        if (missing.Count > 0) return $"{missing.Count} shards without owner (e.g. {string.Join(",", missing.Take(8))})";
        var twice = Enumerable.Range(0, shards).Where(s => seen[s] > 1).ToList();
        if (twice.Count > 0) return $"shards listed by two members: {string.Join(",", twice.Take(8))}";
        if (Handoffs.InProgress != 0) return $"{Handoffs.InProgress} hand-offs in progress";
        if (Handoffs.Pending != 0) return $"{Handoffs.Pending} shards still to move to their placement";
        return null;
    }

    public string Summary() =>
        $"self={Self} leader={Leader ?? "null"} state={State} handoffs={Handoffs.InProgress}/{Handoffs.Done} members=[" +
        string.Join(", ", Members.Select(m => $"{m.Id}:{m.Status}{(m.Reachable ? "" : "(unreachable)")}#{m.Incarnation}:{m.Shards.Count}sh")) + "]";
}

public sealed record ClusterMemberView(string Id, string Address, string Status, long Incarnation, bool Reachable, IReadOnlyList<int> Shards);

public sealed record HandoffView(long InProgress, long Done, long Pending);

/// <summary>Connects the harness's RESP and memcached clients to a node's loopback address (127.0.0.N).</summary>
public static class LoopbackConnect
{
    public static async Task<Socket> SocketAsync(string host, int port, TimeSpan? timeout = null)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(10));
        try
        {
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Parse(host), port), cts.Token);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        return socket;
    }

    public static Task<RespClient> RespAsync(string host, int port, TimeSpan? timeout = null) =>
        RespClient.ConnectAsync(IPAddress.Parse(host), port, timeout);

    public static Task<McConnection> McAsync(string host, int port, TimeSpan? timeout = null) =>
        McConnection.ConnectAsync(IPAddress.Parse(host), port, timeout);
}
