using System.Collections.Concurrent;
using CacheCluster.Actors;
using CacheCluster.Actors.Shards;
using CacheCluster.Core;
using CacheCluster.Persistence;
using CacheCluster.Protocols.Resp.Commands;
using CacheCluster.Server.Resp;

namespace CacheCluster.Server.Hosting;

/// <summary>What every connection of the node shares: options, shards, clients, counters.</summary>
public sealed class NodeState(NodeOptions options, ActorSystem system, ShardRegion region, IClock clock, NodeJournal journal)
{
    public const string Version = "7.2.0";  // the Redis version whose behaviour we follow
    public const string CacheClusterVersion = "0.1.0";

    public NodeOptions Options { get; } = options;
    public ActorSystem System { get; } = system;
    public ShardRegion Region { get; } = region;
    public NodeJournal Journal { get; } = journal;
    public IClock Clock { get; } = clock;
    public RespDecoder Decoder { get; } = new(region.Map, clock);
    public DateTimeOffset StartedAt { get; } = DateTimeOffset.UtcNow;
    public ConcurrentDictionary<long, RespSession> Clients { get; } = new();
    public Memcached.McCounters Memcached { get; } = new();

    long _nextClientId;
    long _totalConnections;
    readonly long[] _retiredCalls = new long[CommandCounters.Slots];
    readonly long[] _retiredFailed = new long[CommandCounters.Slots];

    /// <summary>This node's cluster membership; null on a single node (no --cluster-port).</summary>
    public CacheCluster.Cluster.Node.ClusterNode? Cluster { get; set; }

    public bool Ready => Region.Started && (!Options.ClusterEnabled || Cluster is { View.Ready: true });

    /// <summary>Why /readyz says 503.</summary>
    public string NotReadyReason => !Region.Started
        ? $"loading: {Journal.Progress.ShardsDone}/{Region.ShardCount} shards recovered"
        : Cluster == null ? (Options.ClusterEnabled ? "joining the cluster" : "starting") : Cluster.View.NotReadyReason;

    readonly CancellationTokenSource _stopping = new();
    /// <summary>Cancelled when the node begins to shut down: connections close.</summary>
    public CancellationToken Stopping => _stopping.Token;
    public void BeginStopping() => _stopping.Cancel();
    public long TotalConnections => Interlocked.Read(ref _totalConnections);
    public long RejectedConnections => 0; // no connection limit yet

    public long Register(RespSession session)
    {
        long id = Interlocked.Increment(ref _nextClientId);
        Interlocked.Increment(ref _totalConnections);
        Clients[id] = session;
        return id;
    }

    /// <summary>Keeps a closed connection's command counts so INFO commandstats stays cumulative.</summary>
    public void Unregister(RespSession session)
    {
        Clients.TryRemove(session.Id, out _);
        lock (_retiredCalls)
        {
            session.Counters.AddTo(_retiredCalls, _retiredFailed);
        }
    }

    /// <summary>Sum of command counts over closed and live connections (racy reads are fine for stats).</summary>
    public (long[] Calls, long[] Failed) CommandTotals()
    {
        var calls = new long[CommandCounters.Slots];
        var failed = new long[CommandCounters.Slots];
        lock (_retiredCalls)
        {
            Array.Copy(_retiredCalls, calls, calls.Length);
            Array.Copy(_retiredFailed, failed, failed.Length);
        }
        foreach (var s in Clients.Values) s.Counters.AddTo(calls, failed);
        return (calls, failed);
    }

    /// <summary>Every shard's counters, summed.</summary>
    public async ValueTask<ShardStats> ShardStatsAsync()
    {
        var batch = new Actors.Shards.CommandBatch();
        Decoder.Broadcast(batch, Op.ShardStats);
        await Region.ExecuteAsync(batch, 0, batch.Count);
        var total = new ShardStats();
        for (int i = 0; i < batch.Count; i++)
            if (batch.Replies[i].Extra is ShardStats s) total.Add(s);
        return total;
    }

    /// <summary>memcached's delayed flush_all: everything present when the delay ends is flushed.</summary>
    public void ScheduleFlush(TimeSpan delay)
    {
        Timer? timer = null;
        timer = new Timer(_ =>
        {
            timer?.Dispose();
            var batch = new Actors.Shards.CommandBatch();
            Decoder.Broadcast(batch, Op.Flush);
            _ = Region.ExecuteAsync(batch, 0, batch.Count).AsTask();
        }, null, delay, Timeout.InfiniteTimeSpan);
    }

    public void ResetStats()
    {
        lock (_retiredCalls)
        {
            Array.Clear(_retiredCalls);
            Array.Clear(_retiredFailed);
        }
        foreach (var s in Clients.Values) s.Counters.Reset();
    }
}
