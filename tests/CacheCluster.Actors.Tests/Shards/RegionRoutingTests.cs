using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using CacheCluster.Actors.Shards;
using CacheCluster.Core;
using CacheCluster.Persistence;
using Microsoft.Extensions.Logging.Abstractions;

namespace CacheCluster.Actors.Tests.Shards;

/// <summary>
/// A cluster-mode region's routing: parked shards (FIFO, deadline), refused shards, shards on
/// another node (a real forwarder class completing slices later), local activation and release.
/// </summary>
public class RegionRoutingTests : IAsyncLifetime
{
    static readonly TimeSpan Long = TimeSpan.FromSeconds(20);

    readonly ActorSystem _system = new("routing");
    readonly List<ShardRegion> _regions = new();
    ShardRegion _region = null!;

    public Task InitializeAsync()
    {
        _region = NewRegion(TimeSpan.FromSeconds(30));
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        foreach (var r in _regions) await r.DisposeAsync();
        await _system.DisposeAsync();
    }

    ShardRegion NewRegion(TimeSpan parkTimeout, int shards = 8)
    {
        var r = new ShardRegion(_system, new ShardRegionOptions
        {
            ShardCount = shards,
            ClusterMode = true,
            ExpireInterval = TimeSpan.FromMilliseconds(20),
            ParkTimeout = parkTimeout,
        });
        _regions.Add(r);
        r.Start();
        return r;
    }

    static byte[] B(string s) => Encoding.UTF8.GetBytes(s);
    static string S(ReadOnlyMemory<byte> b) => Encoding.UTF8.GetString(b.Span);

    /// <summary>A key that maps to <paramref name="shard"/>.</summary>
    static string KeyOf(ShardRegion region, int shard, string prefix = "k")
    {
        for (int i = 0; ; i++)
        {
            var k = prefix + i;
            if (region.Map.ShardOf(B(k)) == shard) return k;
        }
    }

    static ref Command Add(CommandBatch batch, ShardRegion region, Op op, string key, string? value = null)
    {
        var k = B(key);
        ref var c = ref batch.Add(region.Map.ShardOf(k));
        c.Op = op;
        c.Key = k;
        if (value != null) c.Value = B(value);
        return ref c;
    }

    static CommandBatch One(ShardRegion region, Op op, string key, string? value = null)
    {
        var b = new CommandBatch();
        Add(b, region, op, key, value);
        return b;
    }

    static Task Run(ShardRegion region, CommandBatch batch) => region.ExecuteAsync(batch, 0, batch.Count).AsTask();

    static async Task AssertPending(Task t, int ms = 300)
    {
        await Task.Delay(ms);
        Assert.False(t.IsCompleted, "the batch completed while its shard should still hold it");
    }

    static async Task PollUntil(Func<bool> condition, string what)
    {
        var sw = Stopwatch.StartNew();
        while (!condition())
        {
            if (sw.Elapsed > Long) Assert.Fail("timed out waiting until " + what);
            await Task.Delay(10);
        }
    }

    /// <summary>A node link stand-in: records each forwarded slice; the test answers them later.</summary>
    sealed class RecordingForwarder : IShardForwarder
    {
        public readonly ConcurrentQueue<(ShardWork Work, int Shard, Op[] Ops)> Forwarded = new();
        int _total;
        public int Total => Volatile.Read(ref _total);

        public void Forward(ShardWork work, int shard)
        {
            var ops = new Op[work.Count];
            for (int i = 0; i < work.Count; i++) ops[i] = work.Batch.Commands[work.Indices[i]].Op;
            Forwarded.Enqueue((work, shard, ops));
            Interlocked.Increment(ref _total);
        }

        /// <summary>Answers every recorded slice: each command's reply is "remote:" + its key, from another thread.</summary>
        public Task AnswerAllAsync() => Task.Run(() =>
        {
            while (Forwarded.TryDequeue(out var f))
            {
                var w = f.Work;
                for (int i = 0; i < w.Count; i++)
                {
                    int k = w.Indices[i];
                    w.Batch.Replies[k] = Reply.Value(B("remote:" + S(w.Batch.Commands[k].Key)));
                }
                w.Batch.PartDone();
            }
        });
    }

    [Fact]
    public async Task Every_shard_starts_parked_and_a_batch_waits_until_the_shard_is_activated()
    {
        for (int s = 0; s < _region.ShardCount; s++)
        {
            Assert.IsType<ParkedShardRoute>(_region.Route(s));
            Assert.False(_region.IsLocal(s));
            Assert.True(_region.CanActivate(s));
            Assert.Equal(0, _region.LocalEpoch(s));
        }
        Assert.Equal(0, _region.LocalShardCount);

        var batch = One(_region, Op.Set, "waiting", "v");
        var t = Run(_region, batch);
        await AssertPending(t);
        Assert.Equal(1, _region.ParkedCount);

        int shard = _region.Map.ShardOf(B("waiting"));
        Assert.False(_region.Activate(shard, 1, fresh: true));    // nothing local to keep
        await t.WaitAsync(Long);
        Assert.Equal(ReplyKind.Ok, batch.Replies[0].Kind);
        Assert.Equal(0, _region.ParkedCount);
        Assert.IsType<LocalShardRoute>(_region.Route(shard));

        var get = One(_region, Op.Get, "waiting");
        await Run(_region, get).WaitAsync(Long);
        Assert.Equal("v", S(get.Replies[0].Bulk));
    }

    [Fact]
    public async Task Parked_batches_are_released_in_arrival_order_when_the_route_is_set()
    {
        const int n = 6;
        string key = "counter";
        int shard = _region.Map.ShardOf(B(key));
        _region.Activate(shard, 1, fresh: true);
        var local = Assert.IsType<LocalShardRoute>(_region.Route(shard));

        _region.SetRoute(shard, ParkedShardRoute.Instance);
        var batches = new CommandBatch[n];
        var tasks = new Task[n];
        for (int i = 0; i < n; i++)
        {
            batches[i] = new CommandBatch();
            Add(batches[i], _region, Op.IncrBy, key).Int1 = 1;
            tasks[i] = Run(_region, batches[i]);
        }
        await AssertPending(Task.WhenAny(tasks).Unwrap());
        Assert.Equal(n, _region.ParkedCount);

        _region.SetRoute(shard, local);
        await Task.WhenAll(tasks).WaitAsync(Long);
        for (int i = 0; i < n; i++) Assert.Equal(i + 1, batches[i].Replies[0].Integer);    // FIFO
        Assert.Equal(0, _region.ParkedCount);
    }

    [Fact]
    public async Task ServeLocally_releases_what_was_parked_after_an_activation()
    {
        string key = KeyOf(_region, 3);
        _region.Activate(3, 2, fresh: false);
        _region.SetRoute(3, ParkedShardRoute.Instance);
        var batch = One(_region, Op.Set, key, "x");
        var t = Run(_region, batch);
        await AssertPending(t, 150);
        _region.ServeLocally(3);
        await t.WaitAsync(Long);
        Assert.Equal(ReplyKind.Ok, batch.Replies[0].Kind);
    }

    [Fact]
    public async Task A_parked_batch_past_its_deadline_is_answered_TRYAGAIN_by_the_timer()
    {
        var region = NewRegion(TimeSpan.FromMilliseconds(200));
        var batch = new CommandBatch();
        Add(batch, region, Op.Set, KeyOf(region, 1), "a");
        Add(batch, region, Op.Get, KeyOf(region, 1));
        var sw = Stopwatch.StartNew();
        await Run(region, batch).WaitAsync(Long);
        Assert.True(sw.ElapsedMilliseconds >= 150, $"answered after {sw.ElapsedMilliseconds} ms, before the park timeout");
        for (int i = 0; i < 2; i++)
        {
            Assert.Equal(ReplyKind.Error, batch.Replies[i].Kind);
            Assert.Equal(ErrorCode.TryAgain, batch.Replies[i].Error);
        }
        Assert.Equal(0, region.ParkedCount);

        // the shard served later: the expired command was not executed
        region.Activate(1, 1, fresh: true);
        var get = One(region, Op.Get, KeyOf(region, 1));
        await Run(region, get).WaitAsync(Long);
        Assert.Equal(ReplyKind.Nil, get.Replies[0].Kind);
    }

    [Fact]
    public async Task Expiry_answers_only_the_slices_past_their_deadline()
    {
        var region = NewRegion(TimeSpan.FromMilliseconds(1500));
        var first = One(region, Op.Get, KeyOf(region, 2));
        var t1 = Run(region, first);
        await Task.Delay(1000);
        var second = One(region, Op.Get, KeyOf(region, 2, "other"));
        var t2 = Run(region, second);
        await t1.WaitAsync(Long);
        Assert.Equal(ErrorCode.TryAgain, first.Replies[0].Error);
        Assert.False(t2.IsCompleted, "the later slice expired with the earlier one");
        region.Activate(2, 1, fresh: true);
        await t2.WaitAsync(Long);
        Assert.Equal(ReplyKind.Nil, second.Replies[0].Kind);
    }

    [Fact]
    public async Task A_refused_shard_answers_CLUSTERDOWN_at_once()
    {
        _region.SetRoute(4, RefusedShardRoute.ClusterDown);
        var batch = new CommandBatch();
        Add(batch, _region, Op.Set, KeyOf(_region, 4), "v");
        Add(batch, _region, Op.Get, KeyOf(_region, 4, "x"));
        var pending = _region.ExecuteAsync(batch, 0, batch.Count);
        Assert.True(pending.IsCompleted, "a refused shard must not make the batch wait");
        await pending;
        for (int i = 0; i < 2; i++) Assert.Equal(ErrorCode.ClusterDown, batch.Replies[i].Error);
        Assert.Equal(0, _region.ParkedCount);
    }

    [Fact]
    public async Task Parked_work_goes_to_a_refused_route_when_the_node_fences()
    {
        var batch = One(_region, Op.Get, KeyOf(_region, 5));
        var t = Run(_region, batch);
        await AssertPending(t, 150);
        _region.SetRoute(5, RefusedShardRoute.ClusterDown);
        await t.WaitAsync(Long);
        Assert.Equal(ErrorCode.ClusterDown, batch.Replies[0].Error);
    }

    [Fact]
    public async Task A_batch_across_local_remote_and_parked_shards_completes_when_every_part_is_answered()
    {
        const int local = 0, remote = 1, parked = 2;
        var fwd = new RecordingForwarder();
        _region.Activate(local, 1, fresh: true);
        _region.SetRoute(remote, new RemoteShardRoute(fwd));

        string l1 = KeyOf(_region, local), r1 = KeyOf(_region, remote), p1 = KeyOf(_region, parked);
        string r2 = KeyOf(_region, remote, "q");
        var batch = new CommandBatch();
        Add(batch, _region, Op.Set, l1, "local-value");   // 0
        Add(batch, _region, Op.Get, r1);                  // 1 remote
        Add(batch, _region, Op.Set, p1, "parked-value");  // 2 parked
        Add(batch, _region, Op.Get, l1);                  // 3
        Add(batch, _region, Op.Set, r2, "ignored");       // 4 remote
        Add(batch, _region, Op.Get, p1);                  // 5 parked
        var t = Run(_region, batch);

        await PollUntil(() => fwd.Total == 1, "the remote slice is forwarded");
        Assert.True(fwd.Forwarded.TryPeek(out var f));
        Assert.Equal(remote, f.Shard);
        Assert.Equal(new[] { Op.Get, Op.Set }, f.Ops);     // one slice for the shard's two commands, in order
        Assert.Equal(2, f.Work.Count);
        await AssertPending(t, 200);

        await fwd.AnswerAllAsync();
        await AssertPending(t, 200);                // the parked part is still open
        Assert.Equal(1, _region.ParkedCount);

        _region.Activate(parked, 1, fresh: true);
        await t.WaitAsync(Long);
        Assert.Equal(ReplyKind.Ok, batch.Replies[0].Kind);
        Assert.Equal("remote:" + r1, S(batch.Replies[1].Bulk));
        Assert.Equal(ReplyKind.Ok, batch.Replies[2].Kind);
        Assert.Equal("local-value", S(batch.Replies[3].Bulk));
        Assert.Equal("remote:" + r2, S(batch.Replies[4].Bulk));
        Assert.Equal("parked-value", S(batch.Replies[5].Bulk));
        Assert.Equal(1, fwd.Total);
    }

    [Fact]
    public async Task A_large_batch_is_grouped_into_one_forwarded_slice_per_remote_shard()
    {
        var fwd = new RecordingForwarder();
        for (int s = 0; s < _region.ShardCount; s++) _region.SetRoute(s, new RemoteShardRoute(fwd));
        var batch = new CommandBatch();
        for (int i = 0; i < 100; i++) Add(batch, _region, Op.Get, "many" + i);   // > 32: the dictionary grouping
        var t = Run(_region, batch);
        var distinct = Enumerable.Range(0, 100).Select(i => _region.Map.ShardOf(B("many" + i))).Distinct().Count();
        await PollUntil(() => fwd.Total == distinct, "every shard's slice is forwarded");
        Assert.Equal(distinct, fwd.Forwarded.Select(x => x.Shard).Distinct().Count());
        Assert.Equal(100, fwd.Forwarded.Sum(x => x.Work.Count));
        await fwd.AnswerAllAsync();
        await t.WaitAsync(Long);
        for (int i = 0; i < 100; i++) Assert.Equal("remote:many" + i, S(batch.Replies[i].Bulk));
    }

    [Fact]
    public async Task ConfigureMemory_for_a_remote_shard_is_answered_here_without_forwarding()
    {
        var fwd = new RecordingForwarder();
        _region.SetRoute(6, new RemoteShardRoute(fwd));
        var batch = new CommandBatch();
        ref var c = ref batch.Add(6);
        c.Op = Op.ConfigureMemory;
        c.Int1 = 1 << 20;
        c.Int2 = (int)_region.Policy;
        var pending = _region.ExecuteAsync(batch, 0, batch.Count);
        Assert.True(pending.IsCompleted);
        await pending;
        Assert.Equal(ReplyKind.Ok, batch.Replies[0].Kind);
        Assert.Equal(0, fwd.Total);

        // a data command for the same shard is forwarded
        var get = One(_region, Op.Get, KeyOf(_region, 6));
        var t = Run(_region, get);
        await PollUntil(() => fwd.Total == 1, "the GET is forwarded");
        await fwd.AnswerAllAsync();
        await t.WaitAsync(Long);
    }

    [Fact]
    public async Task Activate_without_a_candidate_starts_empty_at_the_given_epoch()
    {
        Assert.Empty(_region.Candidates());
        Assert.Equal(0, _region.CandidateEpoch(2));
        bool kept = _region.Activate(2, 9, fresh: true);
        Assert.False(kept);
        Assert.True(_region.IsLocal(2));
        Assert.False(_region.CanActivate(2));
        Assert.Equal(9, _region.LocalEpoch(2));
        Assert.Equal(0, _region.LocalEpoch(3));
        Assert.Equal(1, _region.LocalShardCount);

        var size = new CommandBatch();
        size.Add(2).Op = Op.DbSize;
        await Run(_region, size).WaitAsync(Long);
        Assert.Equal(0, size.Replies[0].Integer);
    }

    [Fact]
    public async Task Release_drops_the_data_and_the_shard_can_be_activated_again()
    {
        string key = KeyOf(_region, 5);
        _region.Activate(5, 3, fresh: true);
        await Run(_region, One(_region, Op.Set, key, "before")).WaitAsync(Long);
        Assert.Equal(1, _region.LocalShardCount);

        _region.Release(5, ParkedShardRoute.Instance);
        Assert.False(_region.IsLocal(5));
        Assert.Equal(0, _region.LocalEpoch(5));
        Assert.Equal(0, _region.LocalShardCount);
        Assert.IsType<ParkedShardRoute>(_region.Route(5));
        await PollUntil(() => _region.CanActivate(5), "the release is done");

        var get = One(_region, Op.Get, key);
        var t = Run(_region, get);
        await AssertPending(t, 150);

        Assert.False(_region.Activate(5, 5, fresh: true));
        await t.WaitAsync(Long);
        Assert.Equal(ReplyKind.Nil, get.Replies[0].Kind);      // the released copy is gone
        Assert.Equal(5, _region.LocalEpoch(5));
        Assert.Equal(1, _region.LocalShardCount);

        await Run(_region, One(_region, Op.Set, key, "after")).WaitAsync(Long);
        var again = One(_region, Op.Get, key);
        await Run(_region, again).WaitAsync(Long);
        Assert.Equal("after", S(again.Replies[0].Bulk));
    }

    [Fact]
    public void Releasing_a_shard_that_is_not_local_only_changes_its_route()
    {
        var fwd = new RecordingForwarder();
        _region.Release(7, new RemoteShardRoute(fwd));
        Assert.IsType<RemoteShardRoute>(_region.Route(7));
        Assert.True(_region.CanActivate(7));
        Assert.Equal(0, _region.LocalShardCount);
    }

    [Fact]
    public async Task LocalShardCount_follows_activations_and_releases()
    {
        for (int s = 0; s < 5; s++) _region.Activate(s, 1, fresh: true);
        Assert.Equal(5, _region.LocalShardCount);
        _region.Release(1, ParkedShardRoute.Instance);
        _region.Release(3, RefusedShardRoute.ClusterDown);
        Assert.Equal(3, _region.LocalShardCount);
        await PollUntil(() => _region.CanActivate(1) && _region.CanActivate(3), "both releases are done");
        _region.Activate(3, 2, fresh: true);
        Assert.Equal(4, _region.LocalShardCount);
        Assert.Equal(new[] { 0, 2, 3, 4 }, Enumerable.Range(0, _region.ShardCount).Where(_region.IsLocal));
    }

    [Fact]
    public async Task A_region_that_has_not_started_answers_LOADING()
    {
        var region = new ShardRegion(_system, new ShardRegionOptions { ShardCount = 4, ClusterMode = true });
        _regions.Add(region);
        var batch = One(region, Op.Get, "x");
        var pending = region.ExecuteAsync(batch, 0, 1);
        Assert.True(pending.IsCompleted);
        await pending;
        Assert.Equal(ErrorCode.Loading, batch.Replies[0].Error);
    }
    /// <summary>
    /// A restart in cluster mode: recovered shards are candidates; Activate keeps one only at the
    /// table's epoch (or the one before, Fresh), DropCandidate tombstones it. Checked by recovering again.
    /// </summary>
    [Fact]
    public async Task Recovered_candidates_are_kept_only_at_a_current_epoch()
    {
        var dir = Path.Combine(Path.GetTempPath(), "cc-routing-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        var options = new NodeJournalOptions { DataDir = dir, Shards = 8, NodeId = "routing-test", Durability = Durability.Always };
        string KeyAt(int shard) => KeyOf(_region, shard, "cand");

        async Task WithRegion(Func<ShardRegion, Task> body)
        {
            await using var system = new ActorSystem("restart");
            var journal = NodeJournal.Open(options, NullLogger.Instance);
            var region = new ShardRegion(system, new ShardRegionOptions { ShardCount = 8, ClusterMode = true, Journal = journal });
            try
            {
                await region.StartAsync();
                await body(region);
            }
            finally
            {
                await region.DisposeAsync();
                await system.DisposeAsync();
                journal.Dispose();
            }
        }

        async Task<string?> Get(ShardRegion region, int shard)
        {
            var b = One(region, Op.Get, KeyAt(shard));
            await Run(region, b).WaitAsync(Long);
            return b.Replies[0].Kind == ReplyKind.Bulk ? S(b.Replies[0].Bulk) : null;
        }

        try
        {
            await WithRegion(async region =>
            {
                Assert.Empty(region.Candidates());
                for (int s = 0; s < 4; s++)
                {
                    region.Activate(s, 3, fresh: true);
                    await Run(region, One(region, Op.Set, KeyAt(s), "epoch3-" + s)).WaitAsync(Long);
                }
            });

            await WithRegion(async region =>
            {
                Assert.Equal(new[] { (0, 3L), (1, 3L), (2, 3L), (3, 3L) }, region.Candidates().OrderBy(c => c.Shard).ToArray());
                Assert.Equal(3, region.CandidateEpoch(2));
                Assert.True(region.Activate(0, 3, fresh: false));     // same epoch: current
                Assert.True(region.Activate(1, 4, fresh: true));      // the epoch before, and Fresh: current
                Assert.False(region.Activate(2, 5, fresh: true));     // older: dropped, starts empty
                region.DropCandidate(3);                              // someone else owns it now
                Assert.Equal(0, region.CandidateEpoch(3));
                Assert.Empty(region.Candidates());
                Assert.Equal("epoch3-0", await Get(region, 0));
                Assert.Equal("epoch3-1", await Get(region, 1));
                Assert.Null(await Get(region, 2));
                Assert.Equal(new long[] { 3, 4, 5 }, new[] { region.LocalEpoch(0), region.LocalEpoch(1), region.LocalEpoch(2) });
                await Run(region, One(region, Op.Set, KeyAt(2), "epoch5-2")).WaitAsync(Long);
            });

            await WithRegion(async region =>
            {
                // the epochs recorded above, and shard 3's tombstone (epoch 0: never claimed)
                Assert.Equal(new[] { (0, 3L), (1, 4L), (2, 5L) }, region.Candidates().OrderBy(c => c.Shard).ToArray());
                Assert.Equal(0, region.CandidateEpoch(3));
                region.Activate(1, 4, fresh: false);
                region.Activate(2, 5, fresh: false);
                region.Activate(3, 7, fresh: true);
                Assert.Equal("epoch3-1", await Get(region, 1));
                Assert.Equal("epoch5-2", await Get(region, 2));
                Assert.Null(await Get(region, 3));
            });
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }
}
