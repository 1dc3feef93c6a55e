using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using CacheCluster.Integration.Tests.Infrastructure;
using CacheCluster.Integration.Tests.Memcached.Harness;
using CacheCluster.Integration.Tests.Persistence;

namespace CacheCluster.Integration.Tests.Cluster;

/// <summary>
/// The cluster tests start several server processes each, kill them and measure fail-over times: they run one at a
/// time and never alongside other test classes.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ClusterCollection
{
    public const string Name = "cluster";
}

/// <summary>Timing bounds the tests assert, from the contract (heartbeat 500 ms, unreachable after ~2-3 s, downed ~3 s later, re-homed ~1 s later).</summary>
public static class ClusterTimes
{
    /// <summary>A SIGKILLed owner's shards are served again by the others ("~10 s"; asserted with slack for a 2-core machine).</summary>
    public static readonly TimeSpan Failover = TimeSpan.FromSeconds(20);
    /// <summary>A minority side stops serving ("after ~10 s").</summary>
    public static readonly TimeSpan Fence = TimeSpan.FromSeconds(20);
    /// <summary>An isolated node is Up again everywhere after the partition heals ("within ~30 s").</summary>
    public static readonly TimeSpan Rejoin = TimeSpan.FromSeconds(40);
    public static readonly TimeSpan Converge = TimeSpan.FromSeconds(60);
    public static readonly TimeSpan Leave = TimeSpan.FromSeconds(45);
}

/// <summary>Helpers: pipelined RESP reads/writes, INFO parsing, memcached text multi-get.</summary>
public static class Cl
{
    /// <summary>count (key, value) pairs; values are "{tag}{i}-{prefix}", padded with '.' to <paramref name="valueSize"/> bytes when given.</summary>
    public static List<(string Key, string Value)> Items(string prefix, int count, string tag = "v", int valueSize = 0) =>
        Enumerable.Range(0, count).Select(i => ($"{prefix}{i}", $"{tag}{i}-{prefix}".PadRight(valueSize, '.'))).ToList();

    public static async Task<Dictionary<string, string>> InfoAsync(ClusterNode n, string section = "cluster")
    {
        await using var c = await n.ConnectAsync();
        return await Persist.InfoAsync(c, section);
    }

    /// <summary>Reads every key through <paramref name="c"/> (pipelined) and returns the mismatches as text (empty when all match).</summary>
    public static async Task<List<string>> VerifyRespAsync(RespClient c, IReadOnlyList<(string Key, string? Value)> expected, string via)
    {
        var replies = await Persist.GetManyAsync(c, expected.Select(e => e.Key).ToList());
        var bad = new List<string>();
        for (var i = 0; i < expected.Count; i++)
        {
            var (k, v) = expected[i];
            var r = replies[i];
            var ok = v == null ? r.IsNull : r.Kind == RespKind.Bulk && r.Text == v;
            if (!ok) bad.Add($"GET {k} via {via}: expected {(v == null ? "nil" : "\"" + v + "\"")}, got {r}");
        }
        return bad;
    }

    /// <summary>memcached text "get k1 k2 ..." (batches of 100); key → value, in the order the server sent them per batch.</summary>
    public static async Task<(Dictionary<string, string> Values, List<string> Order)> McGetManyAsync(McConnection c, IReadOnlyList<string> keys, int batch = 100)
    {
        var d = new Dictionary<string, string>(StringComparer.Ordinal);
        var order = new List<string>();
        for (var i = 0; i < keys.Count; i += batch)
        {
            var chunk = keys.Skip(i).Take(batch).ToList();
            await c.SendAsync("get " + string.Join(' ', chunk) + "\r\n");
            while (true)
            {
                var item = await McText.ReadItemAsync(c);
                if (item.Data == null && item.LineText == "END") break;
                var t = item.Tokens;
                if (t[0] != "VALUE" || item.Data == null)
                    throw new InvalidDataException($"get {string.Join(' ', chunk.Take(3))}… ({chunk.Count} keys): unexpected reply line {item}");
                d[t[1]] = Encoding.UTF8.GetString(item.Data);
                order.Add(t[1]);
            }
        }
        return (d, order);
    }

    public static string Head(IEnumerable<string> lines, int n = 10)
    {
        var l = lines.ToList();
        return string.Join("\n", l.Take(n)) + (l.Count > n ? $"\n… ({l.Count} in all)" : "");
    }

    /// <summary>Keys (prefix + n) whose shard is owned by <paramref name="ownerId"/> in <paramref name="owners"/>.</summary>
    public static List<string> KeysOwnedBy(ClusterProcesses cluster, string[] owners, string ownerId, string prefix, int count)
    {
        var keys = new List<string>();
        for (var i = 0; keys.Count < count; i++)
        {
            var k = prefix + i;
            if (owners[cluster.ShardOf(k)] == ownerId) keys.Add(k);
            if (i > count * 1000) throw new InvalidOperationException($"no keys owned by {ownerId}");
        }
        return keys;
    }

    public static bool IsTransportError(Exception e) =>
        e is IOException or SocketException or TimeoutException or EndOfStreamException or InvalidDataException or McClosedException or ObjectDisposedException;
}

/// <summary>
/// Continuous client load for the join/leave tests. Each worker owns a disjoint set of keys (so "the latest
/// acknowledged value" of a key is well defined), writes them through one node in pipelined batches of SETs and,
/// once acknowledged, reads them back through another node: every GET must return the value just acknowledged.
/// Every error reply, timeout or dropped connection counts as a client-visible error; a SET whose reply was lost
/// makes its key uncertain (excluded from the final check).
/// </summary>
public sealed class ClusterWorkload : IAsyncDisposable
{
    public const int Batch = 10;

    public sealed class Worker
    {
        public required string Name { get; init; }
        public required ClusterNode WriteNode { get; init; }
        public required ClusterNode ReadNode { get; init; }
        public required string[] Keys { get; init; }
        public string?[] Acked { get; init; } = Array.Empty<string>();
        public bool[] Uncertain { get; init; } = Array.Empty<bool>();
        public long Batches;
        public long MaxBatchMs;
        public override string ToString() => $"{Name}[{WriteNode.NodeId}->{ReadNode.NodeId}: {Batches} batches, max {MaxBatchMs} ms]";
    }

    private readonly List<Worker> _workers = new();
    private readonly List<Task> _tasks = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentQueue<string> _errors = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private long _errorCount, _staleReads;

    public long ErrorCount => Interlocked.Read(ref _errorCount);
    public long StaleReads => Interlocked.Read(ref _staleReads);
    public IReadOnlyList<Worker> Workers => _workers;
    public long TotalBatches => _workers.Sum(w => Interlocked.Read(ref w.Batches));

    /// <summary>Starts a worker writing through <paramref name="write"/> and reading through <paramref name="read"/>.</summary>
    public Worker Start(string name, ClusterNode write, ClusterNode read, int keys = 300)
    {
        var w = new Worker
        {
            Name = name,
            WriteNode = write,
            ReadNode = read,
            Keys = Enumerable.Range(0, keys).Select(i => $"load:{name}:{i}").ToArray(),
            Acked = new string?[keys],
            Uncertain = new bool[keys],
        };
        lock (_workers) _workers.Add(w);
        _tasks.Add(Task.Run(() => RunAsync(w)));
        return w;
    }

    private void Error(Worker w, string what)
    {
        if (Interlocked.Increment(ref _errorCount) <= 30) _errors.Enqueue($"+{_clock.Elapsed.TotalSeconds:F2}s {w.Name} ({w.WriteNode.NodeId}->{w.ReadNode.NodeId}): {what}");
    }

    private async Task RunAsync(Worker w)
    {
        var rnd = new Random(w.Name.GetHashCode());
        RespClient? wc = null, rc = null;
        long seq = 0;
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                try
                {
                    wc ??= await w.WriteNode.ConnectAsync();
                    rc ??= w.ReadNode == w.WriteNode ? wc : await w.ReadNode.ConnectAsync();
                }
                catch (Exception e) when (Cl.IsTransportError(e))
                {
                    Error(w, "connect: " + e.Message);
                    var same = ReferenceEquals(rc, wc);
                    wc?.Dispose();
                    if (!same) rc?.Dispose();
                    wc = rc = null;
                    await Task.Delay(200);
                    continue;
                }

                var idx = new HashSet<int>();
                while (idx.Count < Batch) idx.Add(rnd.Next(w.Keys.Length));
                var batch = idx.ToArray();
                var values = batch.Select(_ => $"{w.Name}:{++seq}").ToArray();
                var sw = Stopwatch.StartNew();
                var stage = "SET";
                var acked = 0;
                try
                {
                    var ms = new MemoryStream();
                    for (var j = 0; j < batch.Length; j++) ms.Write(RespClient.Encode(RespClient.Args("SET", w.Keys[batch[j]], values[j])));
                    await wc.SendRawAsync(ms.ToArray());
                    for (var j = 0; j < batch.Length; j++)
                    {
                        var r = await wc.ReadAsync();
                        if (r.Kind == RespKind.SimpleString && r.Text == "OK")
                        {
                            w.Acked[batch[j]] = values[j];
                            w.Uncertain[batch[j]] = false;
                        }
                        else
                        {
                            // an error reply: the write may or may not have happened
                            w.Uncertain[batch[j]] = true;
                            Error(w, $"SET {w.Keys[batch[j]]} answered {r}");
                        }
                        acked++;
                    }

                    stage = "GET";
                    ms = new MemoryStream();
                    foreach (var i in batch) ms.Write(RespClient.Encode(RespClient.Args("GET", w.Keys[i])));
                    await rc.SendRawAsync(ms.ToArray());
                    foreach (var i in batch)
                    {
                        var r = await rc.ReadAsync();
                        if (w.Uncertain[i]) continue;
                        if (r.IsError) Error(w, $"GET {w.Keys[i]} answered {r}");
                        else if (!(r.Kind == RespKind.Bulk && r.Text == w.Acked[i]))
                        {
                            Interlocked.Increment(ref _staleReads);
                            Error(w, $"GET {w.Keys[i]} via {w.ReadNode.NodeId} answered {r}, expected the value just acknowledged \"{w.Acked[i]}\"");
                        }
                    }
                }
                catch (Exception e) when (Cl.IsTransportError(e))
                {
                    if (stage == "SET")
                        for (var j = acked; j < batch.Length; j++) w.Uncertain[batch[j]] = true;
                    Error(w, $"{stage} batch: {e.GetType().Name}: {e.Message}");
                    var same = ReferenceEquals(rc, wc);
                    wc?.Dispose();
                    if (!same) rc?.Dispose();
                    wc = rc = null;
                    continue;
                }
                var ms2 = sw.ElapsedMilliseconds;
                if (ms2 > w.MaxBatchMs) w.MaxBatchMs = ms2;
                Interlocked.Increment(ref w.Batches);
            }
        }
        finally
        {
            wc?.Dispose();
            if (rc != null && !ReferenceEquals(rc, wc)) rc.Dispose();
        }
    }

    /// <summary>Stops every worker (each finishes its current batch).</summary>
    public async Task StopAsync()
    {
        _stop.Cancel();
        await Task.WhenAll(_tasks).WaitAsync(TimeSpan.FromSeconds(60));
    }

    /// <summary>Every key with an acknowledged (and certain) latest value.</summary>
    public List<(string Key, string? Value)> Expected() =>
        _workers.SelectMany(w => w.Keys.Select((k, i) => (k, w.Acked[i], w.Uncertain[i])))
            .Where(t => t.Item2 != null && !t.Item3).Select(t => (t.k, (string?)t.Item2)).ToList();

    /// <summary>Reads every acknowledged key through each node; returns the mismatches.</summary>
    public async Task<List<string>> VerifyAsync(IEnumerable<ClusterNode> via)
    {
        var expected = Expected();
        var bad = new List<string>();
        foreach (var n in via)
        {
            await using var c = await n.ConnectAsync();
            bad.AddRange(await Cl.VerifyRespAsync(c, expected, n.NodeId));
        }
        return bad;
    }

    public string Describe() =>
        $"{_workers.Count} workers, {TotalBatches} batches of {Batch} SET + {Batch} GET, {ErrorCount} client-visible errors ({StaleReads} wrong values); " +
        $"max batch latency {(_workers.Count == 0 ? 0 : _workers.Max(w => w.MaxBatchMs))} ms\n  " + string.Join("\n  ", _workers) +
        (_errors.IsEmpty ? "" : "\nfirst errors:\n  " + string.Join("\n  ", _errors));

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        try { await Task.WhenAll(_tasks).WaitAsync(TimeSpan.FromSeconds(30)); } catch { }
        _stop.Dispose();
    }
}
