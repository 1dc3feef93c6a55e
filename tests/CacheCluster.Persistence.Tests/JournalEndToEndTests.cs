using CacheCluster.Core;
using CacheCluster.Persistence.Journal;
using CacheCluster.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace CacheCluster.Persistence.Tests;

/// <summary>A node's journal opened, attached to its shards' stores the way ShardRegion does it.</summary>
public sealed class TestNode : IDisposable
{
    TestNode(NodeJournal journal, CacheStore[] stores, ShardJournal?[] shards, RecoveredShard[] recovered)
    {
        Journal = journal;
        Stores = stores;
        Shards = shards;
        Recovered = recovered;
    }

    public NodeJournal Journal { get; }
    public CacheStore[] Stores { get; }
    public ShardJournal?[] Shards { get; }
    public RecoveredShard[] Recovered { get; }

    public static TestNode Start(NodeJournalOptions options, IClock clock, ILogger? log = null, long maxMemory = 0)
    {
        var journal = NodeJournal.Open(options, log ?? NullLogger.Instance);
        var stores = new CacheStore[options.Shards];
        var shards = new ShardJournal?[options.Shards];
        var recovered = new RecoveredShard[options.Shards];
        for (int i = 0; i < options.Shards; i++)
        {
            stores[i] = T.NewShardStore(clock, i, options.Shards, maxMemory);
            recovered[i] = journal.Recover(i, stores[i]);
            shards[i] = journal.Attach(i, stores[i], recovered[i]);
        }
        return new TestNode(journal, stores, shards, recovered);
    }

    /// <summary>Opens the data directory again and recovers every shard into fresh stores (nothing attached).</summary>
    public static (CacheStore[] Stores, RecoveredShard[] Recovered) RecoverAll(NodeJournalOptions options, IClock clock, long maxMemory = 0)
    {
        using var journal = NodeJournal.Open(options, NullLogger.Instance);
        var stores = new CacheStore[options.Shards];
        var recovered = new RecoveredShard[options.Shards];
        for (int i = 0; i < options.Shards; i++)
        {
            stores[i] = T.NewShardStore(clock, i, options.Shards, maxMemory);
            recovered[i] = journal.Recover(i, stores[i]);
        }
        return (stores, recovered);
    }

    public void Dispose() => Journal.Dispose();
}

public class JournalEndToEndTests
{
    const int Shards = 4;
    const int SnapshotEvents = 64;

    /// <summary>
    /// Random messages of 1-4 commands against random shards, each followed by Submit with a
    /// waiter, as the shard actor does. Returns the largest number of events one Submit carried.
    /// </summary>
    static int Workload(TestNode node, ManualClock clock, Random rng, int messages, List<Waiter> waiters, string prefix,
        Action<int>? afterMessage = null)
    {
        int maxBatch = 0;
        for (int m = 0; m < messages; m++)
        {
            int shard = rng.Next(Shards);
            var store = node.Stores[shard];
            var sj = node.Shards[shard]!;
            long seqBefore = sj.LastSequenceNr;
            int commands = 1 + rng.Next(4);
            for (int c = 0; c < commands; c++)
            {
                var key = T.B($"{prefix}{shard}:{rng.Next(120)}");
                int roll = rng.Next(100);
                if (roll < 55)
                {
                    var value = new byte[rng.Next(300)];
                    rng.NextBytes(value);
                    long exp = rng.Next(4) switch { 0 => clock.NowMs + 1000 + rng.Next(100_000), 1 => T.Year2100, _ => 0 };
                    store.Set(key, value, (uint)rng.Next(), exp);
                }
                else if (roll < 70) store.Delete(key);
                else if (store.Find(key) is int h and >= 0)
                {
                    switch (roll)
                    {
                        case < 78: store.SetExpiry(h, rng.Next(2) == 0 ? 0 : clock.NowMs + 500 + rng.Next(5000)); break;
                        case < 85: store.SetFlags(h, (uint)rng.Next()); break;
                        case < 92: store.BumpCas(h); break;
                        case < 99: store.ReplaceValue(h, T.B("replaced-" + m)); break;
                        default: store.Remove(h); break;
                    }
                }
                if (rng.Next(1500) == 0) store.Clear();
            }
            clock.Advance(rng.Next(3));
            var w = new Waiter();
            waiters.Add(w);
            sj.Submit(w);
            maxBatch = Math.Max(maxBatch, (int)(sj.LastSequenceNr - seqBefore));
            afterMessage?.Invoke(m);
        }
        return maxBatch;
    }

    static void AssertJournalBounded(TestNode node, int maxBatch)
    {
        var rows = T.JournalRows(node.Journal.Path);
        for (int s = 0; s < Shards; s++)
        {
            long n = rows.GetValueOrDefault("shard-" + s);
            long bound = Math.Max(SnapshotEvents, node.Stores[s].Count) + maxBatch;
            Assert.True(n <= bound, $"shard {s}: {n} journal rows > max({SnapshotEvents}, {node.Stores[s].Count} keys) + {maxBatch}");
            long snapshots = T.Scalar(node.Journal.Path, $"SELECT COUNT(DISTINCT sequence_nr) FROM snapshot WHERE persistence_id = 'shard-{s}'");
            Assert.True(snapshots <= 1, $"shard {s} keeps {snapshots} snapshots");
        }
    }

    static void AssertAllCommittedOnce(List<Waiter> waiters)
    {
        Assert.All(waiters, w =>
        {
            Assert.Equal(0, w.FailedCount);
            Assert.Equal(1, w.CommittedCount);
        });
    }

    static void AssertRecoveredEqual(CacheStore[] expected, long[] lastSeq, CacheStore[] actual, RecoveredShard[] recovered, string what)
    {
        for (int s = 0; s < Shards; s++)
        {
            Contents.Equal(Contents.Of(expected[s]), Contents.Of(actual[s]), $"{what}, shard {s}");
            Assert.Equal(lastSeq[s], recovered[s].LastSequenceNr);
            Assert.Equal(1, recovered[s].Epoch);
            Assert.Equal(expected[s].NextCas, actual[s].NextCas);
            Assert.True(actual[s].IsConsistent(out var problem), problem);
        }
    }

    [Theory]
    [InlineData(Durability.EverySec)]
    [InlineData(Durability.Always)]
    public void Writes_survive_restarts_with_snapshots_and_a_bounded_journal(Durability durability)
    {
        using var dir = new TempDir();
        var options = T.Options(dir.Path, Shards, durability, SnapshotEvents);
        var clock = new ManualClock(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        var rng = new Random(durability == Durability.Always ? 11 : 12);
        var waiters = new List<Waiter>();

        // round 1: a fresh data directory
        CacheStore[] stores;
        long[] lastSeq;
        using (var node = TestNode.Start(options, clock))
        {
            Assert.All(node.Recovered, r => Assert.Equal(default, r));
            Assert.All(node.Shards, sj => Assert.Equal(durability == Durability.Always, sj!.AcknowledgeAfterCommit));
            // a message carries at most 4 commands, each one event, plus a flush and the first epoch
            int maxBatch = Workload(node, clock, rng, 1500, waiters, "a", m =>
            {
                if (m % 300 != 299) return;
                node.Journal.Flush(TimeSpan.FromSeconds(20));
                AssertJournalBounded(node, 9);
            });
            Assert.InRange(maxBatch, 1, 9);
            node.Journal.Flush(TimeSpan.FromSeconds(20));
            AssertJournalBounded(node, maxBatch);
            AssertAllCommittedOnce(waiters);
            var stats = node.Journal.Stats;
            Assert.True(stats.SnapshotsTotal > 0, "no snapshot was taken");
            Assert.Equal(0, stats.EventsPending);
            Assert.Equal(0, stats.WriteErrorsTotal);
            Assert.True(stats.LastWriteOk);
            Assert.True(stats.CommitsTotal > 0);
            Assert.True(stats.EventsWrittenTotal >= 1500);
            Assert.True(stats.LastCommitAtUnixMs > 0);
            Assert.All(node.Shards, sj => Assert.Equal(1, sj!.Epoch));
            stores = node.Stores;
            lastSeq = node.Shards.Select(sj => sj!.LastSequenceNr).ToArray();
        }
        Assert.False(File.Exists(dir.Db + "-wal") && new FileInfo(dir.Db + "-wal").Length > 0, "the WAL is checkpointed on close");

        var (recoveredStores, recovered) = TestNode.RecoverAll(options, clock);
        AssertRecoveredEqual(stores, lastSeq, recoveredStores, recovered, "after restart 1");

        // round 2: continue on the recovered data (sequence numbers go on, the epoch stays)
        waiters.Clear();
        using (var node = TestNode.Start(options, clock))
        {
            for (int s = 0; s < Shards; s++)
            {
                Assert.Equal(lastSeq[s], node.Shards[s]!.LastSequenceNr);
                Assert.False(node.Shards[s]!.HasPending, "a recovered shard has no epoch event to write");
            }
            int maxBatch = Workload(node, clock, rng, 800, waiters, "a");
            node.Journal.Flush(TimeSpan.FromSeconds(20));
            AssertJournalBounded(node, maxBatch);
            AssertAllCommittedOnce(waiters);
            Assert.Equal(0, node.Journal.Stats.WriteErrorsTotal);
            stores = node.Stores;
            lastSeq = node.Shards.Select(sj => sj!.LastSequenceNr).ToArray();
            Assert.True(lastSeq.Sum() > recovered.Sum(r => r.LastSequenceNr));
        }
        (recoveredStores, recovered) = TestNode.RecoverAll(options, clock);
        AssertRecoveredEqual(stores, lastSeq, recoveredStores, recovered, "after restart 2");

        // and a recovery later, when the short TTLs have passed, drops those entries
        var later = new ManualClock(clock.NowMs + 200_000);
        (recoveredStores, _) = TestNode.RecoverAll(options, later);
        for (int s = 0; s < Shards; s++)
        {
            var expected = Contents.Of(stores[s]).Where(kv => kv.Value.ExpiresAt == 0 || kv.Value.ExpiresAt > later.NowMs).ToList();
            Assert.True(expected.Count < Contents.Of(stores[s]).Count, "some keys should have expired");
            Contents.Equal(new SortedDictionary<string, Item>(expected.ToDictionary(), StringComparer.Ordinal), Contents.Of(recoveredStores[s]),
                $"later recovery, shard {s}");
            Assert.Equal(expected.Count, recoveredStores[s].Count);
        }
    }

    /// <summary>durability always: when a waiter hears Committed, its events are already readable from the file by another connection.</summary>
    [Fact]
    public void Always_acknowledges_only_what_another_connection_can_already_read()
    {
        using var dir = new TempDir();
        var options = T.Options(dir.Path, 2, Durability.Always, snapshotEvents: 1_000_000);
        var clock = new ManualClock(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        using var node = TestNode.Start(options, clock);
        var sj = node.Shards[1]!;
        var first = new Waiter();
        sj.Submit(first);                                         // the epoch event
        node.Journal.Flush(TimeSpan.FromSeconds(10));
        Assert.Equal(1, first.CommittedCount);

        var checks = new List<CheckingWaiter>();
        for (int i = 0; i < 40; i++)
        {
            node.Stores[1].Set(T.B("k" + i), T.B("v" + i), 0, 0);
            var w = new CheckingWaiter(node.Journal, 1, sj.LastSequenceNr + 1);
            checks.Add(w);
            sj.Submit(w);
            Assert.Equal(w.Seq, sj.LastSequenceNr);
            if (i % 3 == 0) SpinWait.SpinUntil(() => w.Seen != null, TimeSpan.FromSeconds(10));
        }
        node.Journal.Flush(TimeSpan.FromSeconds(10));
        Assert.All(checks, w =>
        {
            Assert.Equal(1, w.CommittedCount);
            Assert.Equal(0, w.FailedCount);
            Assert.True(w.Seen >= w.Seq, $"acknowledged event {w.Seq} while the file held up to {w.Seen}");
        });
    }

    /// <summary>On Committed (on the writer's thread), recovers the shard from the file through a connection of its own.</summary>
    sealed class CheckingWaiter(NodeJournal journal, int shard, long seq) : ICommitWaiter
    {
        int _committed, _failed;
        public long Seq { get; } = seq;
        public long? Seen { get; private set; }
        public int CommittedCount => Volatile.Read(ref _committed);
        public int FailedCount => Volatile.Read(ref _failed);

        public void Committed()
        {
            using var reader = new CacheCluster.Persistence.Recovery.JournalReader(journal.Database);
            Seen = reader.Recover(shard, T.NewShardStore(new ManualClock(), shard, 2)).LastSequenceNr;
            Interlocked.Increment(ref _committed);
        }

        public void Failed(string reason) => Interlocked.Increment(ref _failed);
    }

    [Fact]
    public void Submit_without_events_commits_at_once_and_writes_nothing()
    {
        using var dir = new TempDir();
        var options = T.Options(dir.Path, 1, Durability.Always);
        using var node = TestNode.Start(options, new ManualClock());
        var sj = node.Shards[0]!;
        Assert.True(sj.HasPending);                                // the first epoch
        sj.Submit(null);
        node.Journal.Flush(TimeSpan.FromSeconds(10));
        long written = node.Journal.Stats.EventsWrittenTotal;
        Assert.False(sj.HasPending);
        var w = new Waiter();
        sj.Submit(w);
        Assert.Equal(1, w.CommittedCount);
        node.Journal.Flush(TimeSpan.FromSeconds(10));
        Assert.Equal(written, node.Journal.Stats.EventsWrittenTotal);
        Assert.Equal(1, sj.LastSequenceNr);
    }

    [Fact]
    public void Everysec_Dispose_commits_what_was_submitted_but_not_yet_written()
    {
        using var dir = new TempDir();
        var options = T.Options(dir.Path, 2, Durability.EverySec, commitInterval: TimeSpan.FromMilliseconds(300));
        var clock = new ManualClock(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        CacheStore[] stores;
        using (var node = TestNode.Start(options, clock))
        {
            for (int i = 0; i < 500; i++)
            {
                node.Stores[i % 2].Set(T.B("k" + i), T.B("v" + i), (uint)i, i % 3 == 0 ? T.Year2100 : 0);
                node.Shards[i % 2]!.Submit(null);
            }
            stores = node.Stores;
        }
        var (recovered, _) = TestNode.RecoverAll(options, clock);
        for (int s = 0; s < 2; s++) Contents.Equal(Contents.Of(stores[s]), Contents.Of(recovered[s]), $"shard {s}");
        Assert.Equal(500, recovered.Sum(r => r.Count));
    }

    [Fact]
    public void A_snapshot_larger_than_a_chunk_is_stored_in_chunks_and_recovers()
    {
        using var dir = new TempDir();
        var options = T.Options(dir.Path, 1, Durability.EverySec, snapshotEvents: 100);
        var clock = new ManualClock(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        CacheStore store;
        using (var node = BigSnapshotNode(options, clock)) store = node.Stores[0];
        Assert.True(T.Scalar(dir.Db, "SELECT COUNT(*) FROM snapshot") >= 3, "expected a snapshot of at least three 1 MiB chunks");
        Assert.True(T.Scalar(dir.Db, "SELECT COUNT(*) FROM journal") > 0, "expected events after the snapshot");

        var (recovered, shards) = TestNode.RecoverAll(options, clock);
        Contents.Equal(Contents.Of(store), Contents.Of(recovered[0]), "multi-chunk snapshot");
        Assert.True(shards[0].SnapshotSequenceNr > 0);
        Assert.True(shards[0].SnapshotRecords > 600);
        Assert.Equal(store.NextCas, recovered[0].NextCas);

        // the snapshot replays least recent first: the LRU order comes back
        var order = new List<string>();
        for (int h = store.LeastRecent; h >= 0; h = store.MoreRecent(h)) order.Add(T.S(store.KeyOf(h)));
        var recoveredOrder = new List<string>();
        for (int h = recovered[0].LeastRecent; h >= 0; h = recovered[0].MoreRecent(h)) recoveredOrder.Add(T.S(recovered[0].KeyOf(h)));
        Assert.Equal(order, recoveredOrder);
    }

    /// <summary>700 keys of 4 KB, overwritten until a ~3 MB snapshot is taken, then a few events after it.</summary>
    public static TestNode BigSnapshotNode(NodeJournalOptions options, ManualClock clock)
    {
        var node = TestNode.Start(options, clock);
        var store = node.Stores[0];
        var sj = node.Shards[0]!;
        var rng = new Random(5);
        long snapshotsBefore = 0;
        for (int round = 0; round < 3; round++)
        {
            for (int i = 0; i < 700; i++)
            {
                var v = new byte[4096];
                rng.NextBytes(v);
                store.Set(T.B("big" + i), v, (uint)i, 0);
                sj.Submit(null);
            }
            node.Journal.Flush(TimeSpan.FromSeconds(30));
            if (round == 0) snapshotsBefore = node.Journal.Stats.SnapshotsTotal;
        }
        Assert.True(node.Journal.Stats.SnapshotsTotal > snapshotsBefore, "no snapshot of the full store was taken");
        for (int i = 0; i < 5; i++)
        {
            store.Set(T.B("after" + i), T.B("v"), 0, 0);
            sj.Submit(null);
        }
        store.Delete(T.B("big1"));
        sj.Submit(null);
        node.Journal.Flush(TimeSpan.FromSeconds(30));
        return node;
    }

    [Fact]
    public void Recovery_respects_a_smaller_memory_budget()
    {
        using var dir = new TempDir();
        var options = T.Options(dir.Path, 2, Durability.EverySec, snapshotEvents: 50);
        var clock = new ManualClock(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        using (var node = TestNode.Start(options, clock))
        {
            for (int i = 0; i < 400; i++)
            {
                node.Stores[i % 2].Set(T.B("k" + i), new byte[100], 0, 0);
                node.Shards[i % 2]!.Submit(null);
            }
        }
        long budget = 50 * (4 + 100 + CacheStore.EntryOverhead);
        var (stores, _) = TestNode.RecoverAll(options, clock, maxMemory: budget);
        Assert.All(stores, s =>
        {
            Assert.True(s.UsedBytes <= budget, $"{s.UsedBytes} bytes used > budget {budget}");
            Assert.True(s.Count >= 40);
        });
    }

    [Fact]
    public void Durability_off_writes_nothing_and_attaches_no_journal()
    {
        using var dir = new TempDir();
        var options = T.Options(dir.Path, 2, Durability.Off);
        using (var node = TestNode.Start(options, new ManualClock()))
        {
            Assert.All(node.Shards, Assert.Null);
            node.Stores[0].Set(T.B("k"), T.B("v"), 0, 0);
            Assert.Null(node.Stores[0].Changes);
            node.Journal.Flush(TimeSpan.FromSeconds(1));
            Assert.Equal(0, node.Journal.Stats.CommitsTotal);
            Assert.Equal(Durability.Off, node.Journal.Durability);
        }
        var (stores, recovered) = TestNode.RecoverAll(options, new ManualClock());
        Assert.All(stores, s => Assert.Equal(0, s.Count));
        Assert.All(recovered, r => Assert.Equal(0, r.LastSequenceNr));
    }

    [Fact]
    public void Shards_keep_separate_journals_and_cas_series()
    {
        using var dir = new TempDir();
        var options = T.Options(dir.Path, 3, Durability.Always);
        var clock = new ManualClock();
        CacheStore[] stores;
        using (var node = TestNode.Start(options, clock))
        {
            for (int s = 0; s < 3; s++)
            {
                node.Stores[s].Set(T.B("same-key"), T.B("shard " + s), (uint)s, 0);
                node.Shards[s]!.Submit(null);
            }
            node.Journal.Flush(TimeSpan.FromSeconds(10));
            var rows = T.JournalRows(node.Journal.Path);
            Assert.Equal(new[] { "shard-0", "shard-1", "shard-2" }, rows.Keys.Order());
            Assert.All(node.Shards, sj => Assert.Equal(2, sj!.LastSequenceNr));   // epoch + set
            Assert.Equal(1, T.Scalar(node.Journal.Path, "SELECT COUNT(DISTINCT manifest) FROM journal"));
            stores = node.Stores;
        }
        var (recovered, _) = TestNode.RecoverAll(options, clock);
        for (int s = 0; s < 3; s++)
        {
            Contents.Equal(Contents.Of(stores[s]), Contents.Of(recovered[s]), $"shard {s}");
            int h = recovered[s].Find(T.B("same-key"), touch: false);
            Assert.Equal((ulong)s + 1, recovered[s].CasOf(h));
            Assert.Equal((ulong)s + 1 + 3, recovered[s].NextCas);
        }
    }
}
