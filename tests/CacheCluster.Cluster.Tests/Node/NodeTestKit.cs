using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using CacheCluster.Actors;
using CacheCluster.Actors.Shards;
using CacheCluster.Cluster.Membership;
using CacheCluster.Cluster.Node;
using CacheCluster.Cluster.Placement;
using CacheCluster.Core;
using CacheCluster.Persistence;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace CacheCluster.Cluster.Tests.Node;

/// <summary>Every node's log lines in one place, in order, printed when a test fails.</summary>
sealed class ClusterLog
{
    readonly ConcurrentQueue<string> _lines = new();
    readonly Stopwatch _clock = Stopwatch.StartNew();

    public ILogger For(string node) => new NodeLogger(this, node);

    public void Add(string line) => _lines.Enqueue($"{_clock.ElapsedMilliseconds,6} {line}");

    public bool Has(string fragment) => _lines.Any(l => l.Contains(fragment, StringComparison.Ordinal));

    public override string ToString() => string.Join("\n", _lines);

    sealed class NodeLogger(ClusterLog log, string node) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel)) return;
            log.Add($"[{node}] {logLevel.ToString()[..4]} {formatter(state, exception)}{(exception != null ? " " + exception : "")}");
        }
    }
}

/// <summary>One in-process node: actor system, cluster-mode region (optionally journaled), cluster membership.</summary>
sealed class TestNode : IAsyncDisposable
{
    bool _disposed;
    public bool Disposed => _disposed;

    public TestNode(string id, int port, IReadOnlyList<string> seeds, int shards, ClusterLog log, string? dataDir)
    {
        Id = id;
        Port = port;
        DataDir = dataDir;
        System = new ActorSystem(id);
        if (dataDir != null)
            Journal = NodeJournal.Open(new NodeJournalOptions
            {
                DataDir = dataDir,
                Shards = shards,
                NodeId = id,
                Durability = Durability.EverySec,
                CommitInterval = TimeSpan.FromMilliseconds(10),
            }, log.For(id + "/journal"));
        Region = new ShardRegion(System, new ShardRegionOptions
        {
            ShardCount = shards,
            ClusterMode = true,
            Journal = Journal,
            ExpireInterval = TimeSpan.FromMilliseconds(100),
            ParkTimeout = TimeSpan.FromSeconds(20),
            Log = log.For(id + "/shards"),
        });
        Cluster = new ClusterNode(new ClusterOptions
        {
            NodeId = id,
            BindAddress = "127.0.0.1",
            Port = port,
            Advertise = "127.0.0.1:" + port,
            Seeds = seeds,
            Secret = "t",
            ShardCount = shards,
            HeartbeatInterval = TimeSpan.FromMilliseconds(200),
            AcceptableHeartbeatPauseMs = 1500,
            StableAfter = TimeSpan.FromSeconds(1),
            DownRemovalMargin = TimeSpan.FromMilliseconds(500),
            FormAfter = TimeSpan.FromSeconds(1),
            RequestTimeout = TimeSpan.FromSeconds(10),
        }, Region, log.For(id));
    }

    public string Id { get; }
    public int Port { get; }
    public string Address => "127.0.0.1:" + Port;
    public ActorSystem System { get; }
    public ShardRegion Region { get; }
    public ClusterNode Cluster { get; }
    public NodeJournal? Journal { get; }
    public string? DataDir { get; }
    public ClusterView View => Cluster.View;

    public async Task StartAsync()
    {
        await Region.StartAsync();
        Cluster.Start();
    }

    /// <summary>Shards the node's view gives to each member (live members only).</summary>
    public Dictionary<string, IReadOnlyList<int>> Owners() =>
        View.Members.Where(m => m.Shards.Count > 0).ToDictionary(m => m.Id, m => m.Shards);

    bool _membershipStopped;

    /// <summary>Stops the membership at once: no leave, so to the others it is a crash.</summary>
    public void StopMembership()
    {
        if (_membershipStopped) return;
        _membershipStopped = true;
        Cluster.Dispose();
    }

    /// <summary>Stops the membership (if still running), then the region, the actors and the journal.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed) return;
        _disposed = true;
        StopMembership();
        await Region.DisposeAsync();
        await System.DisposeAsync();
        Journal?.Dispose();
    }
}

/// <summary>Nodes of one test, their ports, helpers to wait for cluster states and to run commands.</summary>
sealed class TestCluster : IAsyncDisposable
{
    public const int Shards = 16;
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(40);

    readonly ITestOutputHelper _output;
    readonly List<TestNode> _nodes = new();
    readonly List<string> _dirs = new();
    readonly Dictionary<string, int> _ports = new();
    bool _failed;

    public TestCluster(ITestOutputHelper output, params string[] ids)
    {
        _output = output;
        foreach (var id in ids) _ports[id] = FreePort();
    }

    public ClusterLog Log { get; } = new();
    public IReadOnlyList<TestNode> Nodes => _nodes;
    public IEnumerable<string> AllAddresses => _ports.Values.Select(p => "127.0.0.1:" + p);

    public static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        int port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    public string AddressOf(string id) => "127.0.0.1:" + _ports[id];

    public IEnumerable<string> Seeds(params string[] ids) => ids.Select(AddressOf);

    /// <summary>Creates and starts a node; seeds default to every address of the test.</summary>
    public async Task<TestNode> StartNode(string id, IEnumerable<string>? seeds = null, bool journal = false)
    {
        string? dir = null;
        if (journal)
        {
            dir = Path.Combine(Path.GetTempPath(), "cc-node-" + id + "-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(dir);
            _dirs.Add(dir);
        }
        var node = new TestNode(id, _ports[id], (seeds ?? AllAddresses).ToList(), Shards, Log, dir);
        _nodes.Add(node);
        await node.StartAsync();
        return node;
    }

    /// <summary>
    /// Starts <paramref name="old"/>'s node again (same id, port and data directory) after disposing it:
    /// a restart. <paramref name="beforeJoining"/> sees the recovered region before the membership starts.
    /// </summary>
    public async Task<TestNode> RestartNode(TestNode old, Action<TestNode>? beforeJoining = null)
    {
        await old.DisposeAsync();
        var node = new TestNode(old.Id, old.Port, AllAddresses.ToList(), Shards, Log, old.DataDir);
        _nodes.Add(node);
        await node.Region.StartAsync();
        beforeJoining?.Invoke(node);
        node.Cluster.Start();
        return node;
    }

    /// <summary>Runs the test body; on failure prints every node's log (and the views) before rethrowing.</summary>
    public async Task Run(Func<Task> body)
    {
        try
        {
            await body();
        }
        catch
        {
            _failed = true;
            throw;
        }
    }

    public async Task WaitUntil(Func<bool> condition, string what, TimeSpan? timeout = null)
    {
        var limit = timeout ?? Patience;
        var sw = Stopwatch.StartNew();
        while (!condition())
        {
            if (sw.Elapsed > limit)
                Assert.Fail($"timed out after {limit.TotalSeconds:F0} s waiting until {what}\n{DescribeViews()}");
            await Task.Delay(50);
        }
        Log.Add($"[test] {what}: after {sw.ElapsedMilliseconds} ms");
    }

    public string DescribeViews() => string.Join("\n", _nodes.Where(n => !n.Disposed).Select(n =>
    {
        var v = n.View;
        return $"{n.Id}: state={v.State} ready={v.Ready} ({v.NotReadyReason}) leader={v.Leader} local={n.Region.LocalShardCount} handoffs={v.HandoffsDone}/{v.HandoffsInProgress} "
            + string.Join(" ", v.Members.Select(m => $"{m.Id}:{m.StatusName}{(m.Reachable ? "" : "!unreachable")}[{string.Join(",", m.Shards)}]"));
    }));

    /// <summary>
    /// Every given node sees exactly <paramref name="members"/> Up (reachable), is ready, and its table
    /// gives every shard to the owner placement wants (hand-offs done), served locally by that owner.
    /// </summary>
    public bool Settled(IReadOnlyCollection<TestNode> nodes)
    {
        var ids = nodes.Select(n => n.Id).ToHashSet();
        var desired = ShardPlacement.Compute(ids.ToList(), Shards);
        foreach (var n in nodes)
        {
            var v = n.View;
            if (v.State != "ok" || !v.Ready) return false;
            var up = v.Members.Where(m => m.Status == MemberStatus.Up && m.Reachable).Select(m => m.Id).ToHashSet();
            if (!up.SetEquals(ids)) return false;
            if (v.Members.Any(m => m.Status is MemberStatus.Joining or MemberStatus.Leaving)) return false;
            if (v.HandoffsInProgress != 0) return false;
            var owners = new string?[Shards];
            foreach (var m in v.Members)
                foreach (var s in m.Shards)
                    owners[s] = m.Id;
            for (int s = 0; s < Shards; s++)
                if (owners[s] != desired[s]) return false;
        }
        foreach (var n in nodes)
            for (int s = 0; s < Shards; s++)
                if (n.Region.IsLocal(s) != (desired[s] == n.Id)) return false;
        return true;
    }

    public Task WaitSettled(params TestNode[] nodes) =>
        WaitUntil(() => Settled(nodes), $"{string.Join(", ", nodes.Select(n => n.Id))} are Up with every shard at its desired owner");

    // ---------------------------------------------------------------- commands

    static byte[] B(string s) => Encoding.UTF8.GetBytes(s);

    /// <summary>Keys covering every shard: <paramref name="perShard"/> for each.</summary>
    public static List<string> KeysForEveryShard(ShardMap map, string prefix, int perShard)
    {
        var count = new int[map.ShardCount];
        var keys = new List<string>();
        for (int i = 0; keys.Count < perShard * map.ShardCount; i++)
        {
            var k = prefix + i;
            int s = map.ShardOf(B(k));
            if (count[s] < perShard)
            {
                count[s]++;
                keys.Add(k);
            }
        }
        return keys;
    }

    static bool Retryable(in Reply r) => r.Kind == ReplyKind.Error && r.Error is ErrorCode.TryAgain or ErrorCode.ClusterDown;

    /// <summary>
    /// Runs one command per key through <paramref name="node"/>'s region, retrying (in a new batch) the
    /// commands answered TRYAGAIN/CLUSTERDOWN until the deadline: a shard may be moving.
    /// </summary>
    public async Task<Reply[]> Execute(TestNode node, IReadOnlyList<string> keys, Action<string, CommandBatch> add, TimeSpan? timeout = null)
    {
        var replies = new Reply[keys.Count];
        var todo = Enumerable.Range(0, keys.Count).ToList();
        var sw = Stopwatch.StartNew();
        var limit = timeout ?? Patience;
        while (true)
        {
            var batch = new CommandBatch();
            foreach (var i in todo) add(keys[i], batch);
            await node.Region.ExecuteAsync(batch, 0, batch.Count).AsTask().WaitAsync(limit);
            var again = new List<int>();
            for (int j = 0; j < todo.Count; j++)
            {
                replies[todo[j]] = batch.Replies[j];
                if (Retryable(batch.Replies[j])) again.Add(todo[j]);
            }
            if (again.Count == 0) return replies;
            if (sw.Elapsed > limit)
                Assert.Fail($"{again.Count} commands through {node.Id} still answered {replies[again[0]].Error} after {limit.TotalSeconds:F0} s\n{DescribeViews()}");
            todo = again;
            await Task.Delay(100);
        }
    }

    public async Task SetAll(TestNode node, IReadOnlyList<string> keys, Func<string, string> value)
    {
        var replies = await Execute(node, keys, (k, b) =>
        {
            var kb = B(k);
            ref var c = ref b.Add(node.Region.Map.ShardOf(kb));
            c.Op = Op.Set;
            c.Key = kb;
            c.Value = B(value(k));
        });
        for (int i = 0; i < keys.Count; i++)
            Assert.True(replies[i].Kind == ReplyKind.Ok, $"SET {keys[i]} through {node.Id}: {replies[i].Kind} {replies[i].Error}");
    }

    public async Task<string?[]> GetAll(TestNode node, IReadOnlyList<string> keys)
    {
        var replies = await Execute(node, keys, (k, b) =>
        {
            var kb = B(k);
            ref var c = ref b.Add(node.Region.Map.ShardOf(kb));
            c.Op = Op.Get;
            c.Key = kb;
        });
        var values = new string?[keys.Count];
        for (int i = 0; i < keys.Count; i++)
        {
            Assert.True(replies[i].Kind is ReplyKind.Bulk or ReplyKind.Nil, $"GET {keys[i]} through {node.Id}: {replies[i].Kind} {replies[i].Error}");
            values[i] = replies[i].Kind == ReplyKind.Bulk ? Encoding.UTF8.GetString(replies[i].Bulk.Span) : null;
        }
        return values;
    }

    public async Task AssertValues(TestNode node, IReadOnlyList<string> keys, Func<string, string?> expected)
    {
        var values = await GetAll(node, keys);
        var wrong = new List<string>();
        for (int i = 0; i < keys.Count; i++)
            if (values[i] != expected(keys[i]))
                wrong.Add($"{keys[i]} (shard {node.Region.Map.ShardOf(B(keys[i]))}): '{values[i] ?? "(nil)"}' instead of '{expected(keys[i]) ?? "(nil)"}'");
        if (wrong.Count > 0)
            Assert.Fail($"through {node.Id}: {wrong.Count} of {keys.Count} keys wrong:\n  {string.Join("\n  ", wrong.Take(20))}\n{DescribeViews()}");
    }

    public async ValueTask DisposeAsync()
    {
        // stop the membership of every node first, so none sees the others "crash" one by one while disposing
        foreach (var n in _nodes) n.StopMembership();
        foreach (var n in _nodes) await n.DisposeAsync();
        if (_failed)
        {
            try
            {
                _output.WriteLine(DescribeViews());
                _output.WriteLine(Log.ToString());
            }
            catch (InvalidOperationException) { }
        }
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        foreach (var d in _dirs)
            try { Directory.Delete(d, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
