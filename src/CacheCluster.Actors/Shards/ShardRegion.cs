using System.Diagnostics;
using CacheCluster.Core;
using CacheCluster.Persistence;
using CacheCluster.Persistence.Journal;
using CacheCluster.Persistence.Recovery;
using CacheCluster.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace CacheCluster.Actors.Shards;

public sealed class ShardRegionOptions
{
    public int ShardCount = 256;
    public long MaxMemoryBytes;                 // whole node; split over local shards
    public EvictionPolicy Policy = EvictionPolicy.AllKeysLru;
    public IClock Clock = SystemClock.Instance;
    public int MailboxCapacity = 1024;
    public TimeSpan ExpireInterval = TimeSpan.FromMilliseconds(100);
    /// <summary>The node's journal: shards recover from it at start and record every write to it. Null = in memory only.</summary>
    public NodeJournal? Journal;
    public ILogger Log = NullLogger.Instance;
    /// <summary>
    /// Cluster mode: recovered shards are only candidates (the cluster decides which this node
    /// serves, by epoch), and every shard starts parked until the cluster routes it.
    /// </summary>
    public bool ClusterMode;
    /// <summary>How long a command may wait for a parked shard before it is answered TRYAGAIN.</summary>
    public TimeSpan ParkTimeout = TimeSpan.FromSeconds(10);
}

/// <summary>
/// Recovers the local shards from the journal, starts their actors and routes batches to them:
/// one mailbox message per shard per batch, whatever the number of commands, which is what keeps
/// the actor hop cheap. Until recovery is done every command is answered with a Loading error.
/// </summary>
public sealed partial class ShardRegion : IAsyncDisposable
{
    readonly ActorSystem _system;
    readonly ShardRegionOptions _options;
    readonly ActorRef<ShardMessage>?[] _shards;     // local actors (null: not served here)
    readonly ShardRoute[] _routes;
    readonly CommandExecutor?[] _executors;
    readonly ShardJournal?[] _journals;
    Timer? _expireTimer;
    volatile bool _started;

    public ShardRegion(ActorSystem system, ShardRegionOptions options)
    {
        _system = system;
        _options = options;
        Map = new ShardMap(options.ShardCount);
        _shards = new ActorRef<ShardMessage>?[options.ShardCount];
        _routes = new ShardRoute[options.ShardCount];
        Array.Fill(_routes, ParkedShardRoute.Instance);
        _parked = new List<ParkedWork>?[options.ShardCount];
        _candidates = new Candidate?[options.ShardCount];
        _journalTail = new long[options.ShardCount];
        _epochs = new long[options.ShardCount];
        _releasing = new bool[options.ShardCount];
        _executors = new CommandExecutor?[options.ShardCount];
        _journals = new ShardJournal?[options.ShardCount];
    }

    public ShardMap Map { get; }
    public int ShardCount => _shards.Length;
    public bool Started => _started;
    public long MaxMemoryBytes => _options.MaxMemoryBytes;
    public EvictionPolicy Policy => _options.Policy;

    /// <summary>The node's budget split over the shards it serves (all of them on a single node).</summary>
    long PerShardMemory => _options.MaxMemoryBytes == 0 ? 0
        : Math.Max(1, _options.MaxMemoryBytes / (_options.ClusterMode ? Math.Max(1, LocalShardCount) : _shards.Length));

    /// <summary>Starts with empty shards, no journal (tests of the routing alone).</summary>
    public void Start() => StartAsync().AsTask().GetAwaiter().GetResult();

    /// <summary>
    /// Recovers every shard from the journal (on a thread of its own: it is disk and CPU bound),
    /// then starts the actors. Throws <see cref="PersistenceException"/> when the journal is damaged.
    /// </summary>
    public async ValueTask StartAsync(CancellationToken cancel = default)
    {
        var journal = _options.Journal;
        if (journal != null) await Task.Factory.StartNew(() => RecoverAll(journal, cancel), cancel, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        if (!_options.ClusterMode)
            for (int i = 0; i < _shards.Length; i++) SpawnLocal(i);
        _expireTimer = new Timer(_ => Tick(), null, _options.ExpireInterval, _options.ExpireInterval);
        _started = true;
        journal?.Progress.Finish();     // INFO says loading:0 only once commands are served
    }

    /// <summary>
    /// Rebuilds every shard's store: shards are independent, so one worker per core takes the
    /// next shard (each with its own read connection). Progress goes to the log every second.
    /// </summary>
    void RecoverAll(NodeJournal journal, CancellationToken cancel)
    {
        var progress = journal.Progress;
        progress.Start(_shards.Length);
        var log = _options.Log;
        var sw = Stopwatch.StartNew();
        int next = -1;
        int workers = Math.Clamp(Environment.ProcessorCount, 1, Math.Min(8, _shards.Length));
        var tasks = new Task[workers];
        for (int w = 0; w < workers; w++)
        {
            tasks[w] = Task.Factory.StartNew(() =>
            {
                using var reader = new JournalReader(journal.Database);
                for (int id = Interlocked.Increment(ref next); id < _shards.Length; id = Interlocked.Increment(ref next))
                {
                    cancel.ThrowIfCancellationRequested();
                    var store = NewStore(id);
                    var recovered = journal.Recover(id, store, reader);
                    if (_options.ClusterMode)
                        _candidates[id] = new Candidate(store, recovered);   // served only if the cluster agrees (epoch)
                    else
                    {
                        _executors[id] = new CommandExecutor(store);
                        _journals[id] = journal.Attach(id, store, recovered);
                    }
                    progress.AddSnapshotRecords(recovered.SnapshotRecords);
                    progress.ShardDone(store.Count);
                }
            }, cancel, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        }
        var all = Task.WhenAll(tasks);
        while (Task.WaitAny([all], TimeSpan.FromSeconds(1)) < 0)   // WaitAny: a fault is rethrown below, unwrapped
        {
            log.LogInformation("recovering: shards {Done}/{Total}, {Keys} keys, {Events} events ({Rate:F0} events/s)",
                progress.ShardsDone, _shards.Length, progress.KeysLoaded, progress.EventsReplayed, progress.EventsReplayed / sw.Elapsed.TotalSeconds);
        }
        all.GetAwaiter().GetResult();   // rethrows a PersistenceException from any worker
        double seconds = Math.Max(sw.Elapsed.TotalSeconds, 1e-3);
        log.LogInformation("recovered {Keys} keys from {Records} snapshot records and {Events} events of {Shards} shards in {Ms} ms " +
            "({Rate:F0} records/s) from {Path}",
            progress.KeysLoaded, progress.SnapshotRecordsLoaded, progress.EventsReplayed, _shards.Length, sw.ElapsedMilliseconds,
            (progress.SnapshotRecordsLoaded + progress.EventsReplayed) / seconds, journal.Path);
    }

    /// <summary>Starts the actor of a shard this node serves and routes the shard to it.</summary>
    void SpawnLocal(int id)
    {
        var shard = _system.Spawn<ShardMessage>($"shard-{id}-{Interlocked.Increment(ref _spawned)}", () => CreateShard(id),
            new MailboxOptions { Capacity = _options.MailboxCapacity });
        _shards[id] = shard;
        if (_journals[id] is { } j) j.WriteLost += () => _ = shard.TellAsync(ReloadFromJournal.Instance).AsTask();
        if (!_options.ClusterMode) _routes[id] = new LocalShardRoute(shard);
    }

    int _spawned;

    public CacheStore NewStore(int id) => new(_options.Clock, PerShardMemory, _options.Policy, randomSeed: id + 1,
        casSeries: id, casSeriesCount: _shards.Length);

    /// <summary>
    /// Makes a shard's actor. On a restart the shard keeps its data when the store is still
    /// structurally sound; otherwise it is rebuilt from the journal (or starts empty without one).
    /// </summary>
    ShardActor CreateShard(int id)
    {
        var executor = _executors[id];
        if (executor == null || !executor.Store.IsConsistent(out _)) executor = Reload(id);
        return new ShardActor(id, executor, _journals[id], () => Reload(id), Redispatch);
    }

    /// <summary>A fresh store for the shard, rebuilt from what the journal has committed.</summary>
    CommandExecutor Reload(int id)
    {
        var store = NewStore(id);
        var journal = _options.Journal;
        var shardJournal = _journals[id];
        if (journal != null && shardJournal != null)
        {
            shardJournal.Detach();
            journal.Flush(TimeSpan.FromSeconds(30));    // what was submitted is either stored or failed
            var recovered = journal.Recover(id, store);
            shardJournal.Reattach(store, recovered);
            _options.Log.LogWarning("shard {Shard} reloaded from the journal: {Keys} keys, up to event {Seq}", id, store.Count, recovered.LastSequenceNr);
        }
        var executor = new CommandExecutor(store);
        _executors[id] = executor;
        return executor;
    }

    void Tick()
    {
        foreach (var s in _shards) s?.TryTell(ExpireTick.Instance); // dropped when busy: never block a timer
        ExpireParked();
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
        if (!_started)
        {
            for (int k = from; k < to; k++) batch.Replies[k] = Reply.Fail(ErrorCode.Loading);
            return ValueTask.CompletedTask;
        }
        batch.WorksUsed = 0;
        int parts = Group(batch, from, to);
        var done = batch.Arm(parts);
        for (int i = 0; i < parts; i++)
        {
            var work = batch.Works[i];
            int shard = batch.Shards[work.Indices[0]];
            var route = Volatile.Read(ref _routes[shard]);
            if (route is LocalShardRoute local)
            {
                // an idle shard runs the slice on this thread: no wake-up of a shard thread and
                // none of ours to resume the connection (see ActorRef.TryRunInline)
                if (!local.Actor.TryRunInline(work) && !local.Actor.TryTell(work)) return SendSlowAsync(batch, i, parts, done);
            }
            else DispatchElsewhere(work, shard, route);
        }
        return done;
    }

    /// <summary>A full mailbox: wait for room (pushing back on the connection) for the rest.</summary>
    async ValueTask SendSlowAsync(CommandBatch batch, int start, int parts, ValueTask done)
    {
        for (int i = start; i < parts; i++)
        {
            var work = batch.Works[i];
            int shard = batch.Shards[work.Indices[0]];
            var route = Volatile.Read(ref _routes[shard]);
            if (route is LocalShardRoute local)
            {
                try
                {
                    await local.Actor.TellAsync(work);
                }
                catch (ActorStoppedException)
                {
                    Dispatch(work);     // released meanwhile: route again
                }
            }
            else DispatchElsewhere(work, shard, route);
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
        // what the shards recorded last (e.g. a message in flight at shutdown) still goes out
        // through the writer, which the host disposes after the actors
    }
}
