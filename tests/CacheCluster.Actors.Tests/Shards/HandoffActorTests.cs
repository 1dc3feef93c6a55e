using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using CacheCluster.Actors.Shards;
using CacheCluster.Core;
using CacheCluster.Persistence;
using CacheCluster.Persistence.Events;
using CacheCluster.Storage;
using Microsoft.Extensions.Logging.Abstractions;

namespace CacheCluster.Actors.Tests.Shards;

/// <summary>
/// The old owner's side of a hand-off, through a real region and shard actor: the consistent cut
/// (snapshot + tail), sealing (parking), abort and release, and rebuilding the shard elsewhere
/// from exactly what the sink received.
/// </summary>
public class HandoffActorTests : IAsyncLifetime
{
    static readonly TimeSpan Long = TimeSpan.FromSeconds(20);
    const int Shard = 3;

    readonly ActorSystem _system = new("handoff");
    readonly List<ShardRegion> _regions = new();
    ShardRegion _region = null!;

    public Task InitializeAsync()
    {
        _region = NewRegion(null);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        foreach (var r in _regions) await r.DisposeAsync();
        await _system.DisposeAsync();
    }

    /// <summary>A region of its own (in <paramref name="system"/>: shard actor names are unique per region only).</summary>
    ShardRegion NewRegion(NodeJournal? journal, ActorSystem? system = null)
    {
        var r = new ShardRegion(system ?? _system, new ShardRegionOptions
        {
            ShardCount = 8,
            ClusterMode = true,
            ExpireInterval = TimeSpan.FromMilliseconds(20),
            ParkTimeout = TimeSpan.FromSeconds(30),
            Journal = journal,
        });
        _regions.Add(r);
        r.Start();
        return r;
    }

    static byte[] B(string s) => Encoding.UTF8.GetBytes(s);
    static string S(ReadOnlySpan<byte> b) => Encoding.UTF8.GetString(b);

    /// <summary>The <paramref name="n"/>th key (from 0) that maps to <paramref name="shard"/>.</summary>
    static string KeyOf(ShardRegion region, int shard, string prefix, int n = 0)
    {
        for (int i = 0; ; i++)
        {
            var k = prefix + i;
            if (region.Map.ShardOf(B(k)) == shard && n-- == 0) return k;
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

    static async Task<CommandBatch> Exec(ShardRegion region, Action<CommandBatch> fill)
    {
        var batch = new CommandBatch();
        fill(batch);
        await region.ExecuteAsync(batch, 0, batch.Count).AsTask().WaitAsync(Long);
        return batch;
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

    /// <summary>Collects what the shard actor streams (copies: the buffers go back to the pool).</summary>
    sealed class CollectingSink : IHandoffSink
    {
        public readonly List<byte[]> Chunks = new();
        public long Entries = -1;
        public byte[]? Tail;
        public int SealedCalls;
        public readonly TaskCompletionSource SnapshotDoneTask = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public readonly TaskCompletionSource SealedTask = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void SnapshotChunk(ReadOnlySpan<byte> records)
        {
            Assert.False(SnapshotDoneTask.Task.IsCompleted, "a chunk after SnapshotDone");
            Chunks.Add(records.ToArray());
        }

        public void SnapshotDone(long entries)
        {
            Entries = entries;
            SnapshotDoneTask.TrySetResult();
        }

        public void Sealed(ReadOnlySpan<byte> tail)
        {
            Tail = tail.ToArray();
            SealedCalls++;
            SealedTask.TrySetResult();
        }
    }

    sealed class RecordingForwarder : IShardForwarder
    {
        public readonly ConcurrentQueue<(ShardWork Work, int Shard)> Forwarded = new();
        public void Forward(ShardWork work, int shard) => Forwarded.Enqueue((work, shard));
    }

    /// <summary>(type, key) of every record of a run of length-prefixed records.</summary>
    static List<(EventType Type, string Key)> Records(ReadOnlySpan<byte> records)
    {
        var list = new List<(EventType, string)>();
        while (RecordBuffer.TryNext(ref records, out var r))
        {
            var e = StoredEvent.Decode(r);
            list.Add((e.Type, S(e.Key)));
        }
        return list;
    }

    readonly record struct Item(string Value, uint Flags, ulong Cas, long ExpiresAt);

    static SortedDictionary<string, Item> ContentsOf(CacheStore store)
    {
        var d = new SortedDictionary<string, Item>(StringComparer.Ordinal);
        for (int h = store.LeastRecent; h >= 0; h = store.MoreRecent(h))
        {
            if (store.IsExpired(h)) continue;
            d.Add(S(store.KeyOf(h)), new Item(S(store.StringOf(h)), store.FlagsOf(h), store.CasOf(h), store.ExpiresAtOf(h)));
        }
        return d;
    }

    /// <summary>A served shard's contents read through commands: KEYS, then DUMP (value, flags, expiry) and MGET-style McGet (CAS).</summary>
    static async Task<SortedDictionary<string, Item>> ContentsThroughCommands(ShardRegion region, int shard)
    {
        var keys = await Exec(region, b =>
        {
            ref var c = ref b.Add(shard);
            c.Op = Op.Keys;
            c.Pattern = B("*");
        });
        var list = ((List<byte[]>)keys.Replies[0].Extra!).Select(k => S(k)).ToList();
        var read = await Exec(region, b =>
        {
            foreach (var k in list)
            {
                Add(b, region, Op.Dump, k);
                Add(b, region, Op.McGet, k);
            }
        });
        var d = new SortedDictionary<string, Item>(StringComparer.Ordinal);
        for (int i = 0; i < list.Count; i++)
        {
            var dump = Assert.IsType<EntrySnapshot>(read.Replies[2 * i].Extra);
            var mc = read.Replies[2 * i + 1];
            Assert.Equal(ReplyKind.Bulk, mc.Kind);
            d.Add(list[i], new Item(S(dump.Value), dump.Flags, mc.Cas, dump.ExpiresAtMs));
        }
        return d;
    }

    /// <summary>Fills the shard with string entries: varied flags, some with an expiry, some overwritten.</summary>
    async Task<List<string>> Seed(ShardRegion region, int shard, string prefix, int count)
    {
        long hourAhead = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + 3_600_000;
        var keys = Enumerable.Range(0, count).Select(i => KeyOf(region, shard, prefix, i)).ToList();
        await Exec(region, b =>
        {
            for (int i = 0; i < keys.Count; i++)
            {
                ref var c = ref Add(b, region, Op.Set, keys[i], $"value-{i}-" + new string('x', i % 17));
                c.Flags = (uint)(i * 7919);
                if (i % 3 == 0)
                {
                    c.Int1 = hourAhead + i;
                    c.Options = CommandOptions.HasExpiry;
                }
            }
            for (int i = 0; i < keys.Count; i += 5) Add(b, region, Op.Set, keys[i], "overwritten-" + i);
        });
        return keys;
    }

    [Fact]
    public async Task Snapshot_holds_the_writes_before_the_cut_and_the_tail_those_after()
    {
        _region.Activate(Shard, 1, fresh: true);
        var before = await Seed(_region, Shard, "pre", 40);

        var sink = new CollectingSink();
        _region.BeginHandoff(Shard, sink);
        await sink.SnapshotDoneTask.Task.WaitAsync(Long);
        Assert.Equal(40, sink.Entries);

        var after = Enumerable.Range(0, 6).Select(i => KeyOf(_region, Shard, "post", i)).ToList();
        long expireAt = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + 7_200_000;
        await Exec(_region, b =>
        {
            foreach (var k in after) Add(b, _region, Op.Set, k, "new-" + k);
            Add(b, _region, Op.Set, before[1], "changed-after-the-cut");
            Add(b, _region, Op.Del, before[2]);
            Add(b, _region, Op.Expire, before[4]).Int1 = expireAt;
            Add(b, _region, Op.Get, before[7]);     // reads are not changes
        });

        _region.SealHandoff(Shard);
        await sink.SealedTask.Task.WaitAsync(Long);
        Assert.Equal(1, sink.SealedCalls);

        var snapshot = sink.Chunks.SelectMany(c => Records(c)).ToList();
        Assert.Equal(EventType.SnapshotHeader, snapshot[0].Type);
        var snapKeys = snapshot.Skip(1).Select(r => r.Key).ToHashSet();
        Assert.All(snapshot.Skip(1), r => Assert.Equal(EventType.Set, r.Type));
        Assert.Equal(before.ToHashSet(), snapKeys);
        Assert.DoesNotContain(after, snapKeys.Contains);

        var tail = Records(sink.Tail);
        Assert.Equal(after.Select(k => (EventType.Set, k))
            .Concat([(EventType.Set, before[1]), (EventType.Delete, before[2]), (EventType.Expire, before[4])]), tail);
    }

    [Fact]
    public async Task A_write_dispatched_just_before_the_seal_is_executed_and_lands_in_the_tail()
    {
        _region.Activate(Shard, 1, fresh: true);
        await Seed(_region, Shard, "pre", 5);
        var sink = new CollectingSink();
        _region.BeginHandoff(Shard, sink);
        await sink.SnapshotDoneTask.Task.WaitAsync(Long);

        string key = KeyOf(_region, Shard, "racing");
        var batch = new CommandBatch();
        Add(batch, _region, Op.Set, key, "just-in-time");
        var t = _region.ExecuteAsync(batch, 0, 1).AsTask();     // in the mailbox before the seal
        _region.SealHandoff(Shard);
        await t.WaitAsync(Long);
        Assert.Equal(ReplyKind.Ok, batch.Replies[0].Kind);
        await sink.SealedTask.Task.WaitAsync(Long);
        Assert.Equal(new[] { (EventType.Set, key) }, Records(sink.Tail));
    }

    [Fact]
    public async Task Seal_parks_new_commands_and_abort_serves_them_again()
    {
        _region.Activate(Shard, 2, fresh: true);
        var keys = await Seed(_region, Shard, "k", 10);
        var sink = new CollectingSink();
        _region.BeginHandoff(Shard, sink);
        await sink.SnapshotDoneTask.Task.WaitAsync(Long);
        _region.SealHandoff(Shard);
        await sink.SealedTask.Task.WaitAsync(Long);
        Assert.IsType<ParkedShardRoute>(_region.Route(Shard));

        var batch = new CommandBatch();
        Add(batch, _region, Op.Get, keys[3]);
        Add(batch, _region, Op.Set, keys[4], "written-after-abort");
        var t = _region.ExecuteAsync(batch, 0, batch.Count).AsTask();
        await Task.Delay(300);
        Assert.False(t.IsCompleted, "a sealed shard executed a command");
        Assert.Equal(1, _region.ParkedCount);

        _region.AbortHandoff(Shard);
        await t.WaitAsync(Long);
        Assert.Equal("value-3-xxx", S(batch.Replies[0].Bulk.Span));
        Assert.Equal(ReplyKind.Ok, batch.Replies[1].Kind);
        Assert.IsType<LocalShardRoute>(_region.Route(Shard));
        Assert.True(_region.IsLocal(Shard));
        Assert.Equal(2, _region.LocalEpoch(Shard));

        // no longer tapped: a new hand-off starts from a fresh cut with everything in its snapshot
        var again = new CollectingSink();
        _region.BeginHandoff(Shard, again);
        await again.SnapshotDoneTask.Task.WaitAsync(Long);
        Assert.Equal(10, again.Entries);
        _region.SealHandoff(Shard);
        await again.SealedTask.Task.WaitAsync(Long);
        Assert.Empty(again.Tail!);
        Assert.Equal(0, sink.SealedCalls - 1);      // the first sink heard nothing more
    }

    [Fact]
    public async Task Abort_while_streaming_keeps_serving_and_records_no_tail()
    {
        _region.Activate(Shard, 1, fresh: true);
        var keys = await Seed(_region, Shard, "k", 4);
        var sink = new CollectingSink();
        _region.BeginHandoff(Shard, sink);
        await sink.SnapshotDoneTask.Task.WaitAsync(Long);
        _region.AbortHandoff(Shard);
        var r = await Exec(_region, b =>
        {
            Add(b, _region, Op.Set, keys[0], "after-abort");
            Add(b, _region, Op.Get, keys[0]);
        });
        Assert.Equal("after-abort", S(r.Replies[1].Bulk.Span));
        Assert.Null(sink.Tail);
        Assert.IsType<LocalShardRoute>(_region.Route(Shard));
    }

    [Fact]
    public async Task Snapshot_plus_tail_rebuild_exactly_the_same_store()
    {
        _region.Activate(Shard, 4, fresh: true);
        var keys = await Seed(_region, Shard, "k", 300);
        var sink = new CollectingSink();
        _region.BeginHandoff(Shard, sink);
        await sink.SnapshotDoneTask.Task.WaitAsync(Long);

        long soon = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + 5_400_000;
        await Exec(_region, b =>
        {
            for (int i = 0; i < 30; i++) Add(b, _region, Op.Set, keys[i], "tail-" + i).Flags = 42;
            for (int i = 30; i < 40; i++) Add(b, _region, Op.Del, keys[i]);
            for (int i = 40; i < 50; i++) Add(b, _region, Op.Expire, keys[i]).Int1 = soon + i;
            for (int i = 17; i < 22; i++) Add(b, _region, Op.Persist, keys[i * 3]);     // keys with an expiry
            for (int i = 0; i < 20; i++) Add(b, _region, Op.Set, KeyOf(_region, Shard, "tailnew", i), "fresh-" + i);
            Add(b, _region, Op.IncrBy, KeyOf(_region, Shard, "counter")).Int1 = 41;
            Add(b, _region, Op.Append, keys[60], "+appended");
        });
        _region.SealHandoff(Shard);
        await sink.SealedTask.Task.WaitAsync(Long);

        var rebuilt = _region.NewStore(Shard);
        var applier = new EventApplier(rebuilt);
        foreach (var c in sink.Chunks) applier.ApplyRecords(c);
        Assert.Equal(300, applier.SnapshotEntries);
        applier.ApplyRecords(sink.Tail);
        applier.Finish();

        _region.AbortHandoff(Shard);     // the original serves again: read it through commands
        var original = await ContentsThroughCommands(_region, Shard);
        var copy = ContentsOf(rebuilt);
        Assert.Equal(300 - 10 + 20 + 1, original.Count);
        Assert.Equal(original, copy);

        // the rebuilt store hands out CAS values above every one it holds (the header's next CAS)
        int h = rebuilt.Set(B(KeyOf(_region, Shard, "later")), B("v"), 0, 0);
        Assert.True(rebuilt.CasOf(h) > copy.Values.Max(v => v.Cas));
    }

    [Fact]
    public async Task Release_after_the_seal_sends_parked_work_to_the_new_route()
    {
        _region.Activate(Shard, 1, fresh: true);
        var keys = await Seed(_region, Shard, "k", 3);
        var sink = new CollectingSink();
        _region.BeginHandoff(Shard, sink);
        await sink.SnapshotDoneTask.Task.WaitAsync(Long);
        _region.SealHandoff(Shard);
        await sink.SealedTask.Task.WaitAsync(Long);

        var batch = new CommandBatch();
        Add(batch, _region, Op.Get, keys[0]);
        Add(batch, _region, Op.Get, keys[1]);
        var t = _region.ExecuteAsync(batch, 0, batch.Count).AsTask();
        await Task.Delay(200);
        Assert.False(t.IsCompleted);

        var fwd = new RecordingForwarder();
        _region.Release(Shard, new RemoteShardRoute(fwd));
        Assert.False(_region.IsLocal(Shard));
        Assert.Equal(0, _region.LocalShardCount);
        await PollUntil(() => !fwd.Forwarded.IsEmpty, "the parked slice reaches the new owner");
        Assert.True(fwd.Forwarded.TryDequeue(out var f));
        Assert.Equal(Shard, f.Shard);
        Assert.Equal(2, f.Work.Count);
        for (int i = 0; i < f.Work.Count; i++) f.Work.Batch.Replies[f.Work.Indices[i]] = Reply.Value(B("from-new-owner"));
        f.Work.Batch.PartDone();
        await t.WaitAsync(Long);
        Assert.Equal("from-new-owner", S(batch.Replies[1].Bulk.Span));

        await PollUntil(() => _region.CanActivate(Shard), "the release is done");
        // later commands go straight to the new owner
        var later = new CommandBatch();
        Add(later, _region, Op.Set, keys[2], "x");
        var t2 = _region.ExecuteAsync(later, 0, 1).AsTask();
        await PollUntil(() => !fwd.Forwarded.IsEmpty, "the later slice is forwarded");
        Assert.True(fwd.Forwarded.TryDequeue(out var g));
        ShardRegion.Answer(g.Work, Reply.Ok);
        await t2.WaitAsync(Long);
    }

    /// <summary>
    /// The new owner's side: a store rebuilt from what another region's shard streamed is activated
    /// from the hand-off, journaled at the new epoch, and served only once the caller routes it.
    /// </summary>
    [Fact]
    public async Task A_store_rebuilt_from_a_handoff_is_persisted_at_the_new_epoch_before_it_is_served()
    {
        _region.Activate(Shard, 4, fresh: true);
        var keys = await Seed(_region, Shard, "k", 50);
        var sink = new CollectingSink();
        _region.BeginHandoff(Shard, sink);
        await sink.SnapshotDoneTask.Task.WaitAsync(Long);
        _region.SealHandoff(Shard);
        await sink.SealedTask.Task.WaitAsync(Long);
        var expected = await ContentsAfterAbort();

        var dir = Path.Combine(Path.GetTempPath(), "cc-handin-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        var options = new NodeJournalOptions { DataDir = dir, Shards = 8, NodeId = "handin-test", Durability = Durability.EverySec };
        var journal = NodeJournal.Open(options, NullLogger.Instance);
        var otherNode = new ActorSystem("new-owner");
        try
        {
            var target = NewRegion(journal, otherNode);
            var store = target.NewStore(Shard);
            var applier = new EventApplier(store);
            foreach (var c in sink.Chunks) applier.ApplyRecords(c);
            applier.ApplyRecords(sink.Tail);
            applier.Finish();

            var persisted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            target.ActivateFromHandoff(Shard, store, 5, () => persisted.TrySetResult());
            Assert.True(target.IsLocal(Shard));
            Assert.Equal(5, target.LocalEpoch(Shard));
            Assert.IsType<ParkedShardRoute>(target.Route(Shard));     // not served before the caller says so
            await persisted.Task.WaitAsync(Long);

            // committed: a recovery now finds the new epoch and exactly the handed-over contents
            var recovered = target.NewStore(Shard);
            var rec = journal.Recover(Shard, recovered);
            Assert.Equal(5, rec.Epoch);
            Assert.Equal(expected, ContentsOf(recovered));

            var read = new CommandBatch();
            Add(read, target, Op.Get, keys[1]);
            var t = target.ExecuteAsync(read, 0, 1).AsTask();
            await Task.Delay(150);
            Assert.False(t.IsCompleted);
            target.ServeLocally(Shard);
            await t.WaitAsync(Long);
            Assert.Equal(expected[keys[1]].Value, S(read.Replies[0].Bulk.Span));
            Assert.Equal(expected, await ContentsThroughCommands(target, Shard));
        }
        finally
        {
            foreach (var r in _regions) await r.DisposeAsync();
            _regions.Clear();
            await otherNode.DisposeAsync();
            journal.Dispose();
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }

        async Task<SortedDictionary<string, Item>> ContentsAfterAbort()
        {
            _region.AbortHandoff(Shard);
            return await ContentsThroughCommands(_region, Shard);
        }
    }

    [Fact]
    public async Task With_a_journal_the_snapshot_carries_the_epoch_and_release_tombstones_the_shard()
    {
        var dir = Path.Combine(Path.GetTempPath(), "cc-handoff-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            var options = new NodeJournalOptions { DataDir = dir, Shards = 8, NodeId = "handoff-test", Durability = Durability.Always };
            var journal = NodeJournal.Open(options, NullLogger.Instance);
            try
            {
                var region = NewRegion(journal);     // recovers (nothing) and starts
                region.Activate(Shard, 6, fresh: true);
                var keys = await Seed(region, Shard, "k", 20);
                var sink = new CollectingSink();
                region.BeginHandoff(Shard, sink);
                await sink.SnapshotDoneTask.Task.WaitAsync(Long);
                var header = new EventApplier(new CacheStore(SystemClock.Instance));
                header.ApplyRecords(sink.Chunks[0]);
                Assert.Equal(6, header.Epoch);

                // a write after the cut goes to the tail and still to the journal
                await Exec(region, b => Add(b, region, Op.Set, keys[0], "tail-write"));
                region.SealHandoff(Shard);
                await sink.SealedTask.Task.WaitAsync(Long);
                Assert.Equal(new[] { (EventType.Set, keys[0]) }, Records(sink.Tail));

                journal.Flush(Long);
                var stored = region.NewStore(Shard);
                var rec = journal.Recover(Shard, stored);
                Assert.Equal(6, rec.Epoch);
                Assert.Equal("tail-write", S(stored.StringOf(stored.Find(B(keys[0])))));

                region.Release(Shard, ParkedShardRoute.Instance);
                await PollUntil(() => region.CanActivate(Shard), "the tombstone is committed");
                var empty = region.NewStore(Shard);
                var tomb = journal.Recover(Shard, empty);
                Assert.Equal(0, tomb.Epoch);
                Assert.Equal(0, empty.Count);

                // served again later (e.g. handed back): numbering continues after the tombstone
                region.Activate(Shard, 9, fresh: false);
                await Exec(region, b => Add(b, region, Op.Set, keys[5], "back-again"));
                journal.Flush(Long);
                var back = region.NewStore(Shard);
                var recBack = journal.Recover(Shard, back);
                Assert.Equal(9, recBack.Epoch);
                Assert.True(recBack.LastSequenceNr > tomb.LastSequenceNr);
                Assert.Equal(1, back.Count);
                Assert.Equal("back-again", S(back.StringOf(back.Find(B(keys[5])))));
            }
            finally
            {
                foreach (var r in _regions) await r.DisposeAsync();
                _regions.Clear();
                journal.Dispose();
            }
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }
}
