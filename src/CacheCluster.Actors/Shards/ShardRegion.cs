using CacheCluster.Core;
using CacheCluster.Storage;
using Microsoft.Extensions.Logging;

namespace CacheCluster.Actors.Shards;

public sealed class ShardRegionOptions
{
    public int ShardCount = 256;
    public long MaxMemoryBytes;                 // whole node; split over local shards
    public EvictionPolicy Policy = EvictionPolicy.AllKeysLru;
    public IClock Clock = SystemClock.Instance;
    public int MailboxCapacity = 1024;
    public TimeSpan ExpireInterval = TimeSpan.FromMilliseconds(100);
}

/// <summary>
/// Starts the local shard actors and routes batches to them: one mailbox message per shard per
/// batch, whatever the number of commands, which is what keeps the actor hop cheap.
/// </summary>
public sealed class ShardRegion : IAsyncDisposable
{
    readonly ActorSystem _system;
    readonly ShardRegionOptions _options;
    readonly ActorRef<ShardMessage>[] _shards;
    readonly CommandExecutor?[] _executors;
    Timer? _expireTimer;

    public ShardRegion(ActorSystem system, ShardRegionOptions options)
    {
        _system = system;
        _options = options;
        Map = new ShardMap(options.ShardCount);
        _shards = new ActorRef<ShardMessage>[options.ShardCount];
        _executors = new CommandExecutor?[options.ShardCount];
    }

    public ShardMap Map { get; }
    public int ShardCount => _shards.Length;
    public bool Started { get; private set; }
    public long MaxMemoryBytes => _options.MaxMemoryBytes;
    public EvictionPolicy Policy => _options.Policy;

    long PerShardMemory => _options.MaxMemoryBytes == 0 ? 0 : Math.Max(1, _options.MaxMemoryBytes / _shards.Length);

    public void Start()
    {
        for (int i = 0; i < _shards.Length; i++)
        {
            int id = i;
            _shards[i] = _system.Spawn<ShardMessage>($"shard-{id}", () => CreateShard(id),
                new MailboxOptions { Capacity = _options.MailboxCapacity });
        }
        _expireTimer = new Timer(_ => Tick(), null, _options.ExpireInterval, _options.ExpireInterval);
        Started = true;
    }

    /// <summary>
    /// Makes a shard's actor. On a restart the shard keeps its data when the store is still
    /// structurally sound; otherwise it starts empty (until the journal can recover it).
    /// </summary>
    ShardActor CreateShard(int id)
    {
        var executor = _executors[id];
        if (executor == null || !executor.Store.IsConsistent(out _))
        {
            executor = new CommandExecutor(new CacheStore(_options.Clock, PerShardMemory, _options.Policy, randomSeed: id + 1,
                casSeries: id, casSeriesCount: _shards.Length));
            _executors[id] = executor;
        }
        return new ShardActor(id, executor);
    }

    void Tick()
    {
        foreach (var s in _shards) s.TryTell(ExpireTick.Instance); // dropped when busy: never block a timer
    }

    /// <summary>Records new memory settings; the caller also sends ConfigureMemory to every shard.</summary>
    public long Reconfigure(long maxMemoryBytes, EvictionPolicy policy)
    {
        _options.MaxMemoryBytes = maxMemoryBytes;
        _options.Policy = policy;
        return PerShardMemory;
    }

    /// <summary>
    /// Sends commands [from, to) of the batch to their shards and completes when all are answered.
    /// Only one dispatch per batch may be in flight.
    /// </summary>
    public ValueTask ExecuteAsync(CommandBatch batch, int from, int to)
    {
        if (from >= to) return ValueTask.CompletedTask;
        batch.WorksUsed = 0;
        int parts = Group(batch, from, to);
        var done = batch.Arm(parts);
        for (int i = 0; i < parts; i++)
        {
            var work = batch.Works[i];
            var target = _shards[batch.Shards[work.Indices[0]]];
            if (!target.TryTell(work))
                return SendSlowAsync(batch, i, parts, done);
        }
        return done;
    }

    /// <summary>A full mailbox: wait for room (pushing back on the connection) for the rest.</summary>
    async ValueTask SendSlowAsync(CommandBatch batch, int start, int parts, ValueTask done)
    {
        for (int i = start; i < parts; i++)
        {
            var work = batch.Works[i];
            await _shards[batch.Shards[work.Indices[0]]].TellAsync(work);
        }
        await done;
    }

    int Group(CommandBatch batch, int from, int to)
    {
        int n = to - from;
        if (n <= 32)
        {
            // few commands: a linear search over the works in use beats hashing
            for (int k = from; k < to; k++)
            {
                int shard = batch.Shards[k];
                ShardWork? w = null;
                for (int j = 0; j < batch.WorksUsed; j++)
                {
                    var cand = batch.Works[j];
                    if (batch.Shards[cand.Indices[0]] == shard) { w = cand; break; }
                }
                (w ?? batch.RentWork()).Add(k);
            }
            return batch.WorksUsed;
        }
        var grouping = batch.Grouping ??= new Dictionary<int, ShardWork>();
        grouping.Clear();
        for (int k = from; k < to; k++)
        {
            int shard = batch.Shards[k];
            if (!grouping.TryGetValue(shard, out var w))
            {
                w = batch.RentWork();
                grouping[shard] = w;
            }
            w.Add(k);
        }
        grouping.Clear();
        return batch.WorksUsed;
    }

    public async ValueTask DisposeAsync()
    {
        if (_expireTimer != null) await _expireTimer.DisposeAsync();
    }
}
