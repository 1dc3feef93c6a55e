using System.Diagnostics;
using CacheCluster.Core;
using CacheCluster.Persistence.Journal;
using CacheCluster.Storage;
using Microsoft.Extensions.Logging.Abstractions;

namespace CacheCluster.Persistence.Tests;

/// <summary>
/// Cluster ownership epochs in the journal: AttachOwned + BeginEpoch (with and without replacing
/// what was stored), Release (the epoch-0 tombstone), numbering after a tombstone, and the
/// standalone default (epoch 1) left unchanged. Real SQLite files in temp dirs.
/// </summary>
public class EpochTests
{
    const int Shards = 4;
    static readonly TimeSpan Long = TimeSpan.FromSeconds(20);

    public static TheoryData<Durability> Durabilities => new() { Durability.Always, Durability.EverySec };

    static void WaitFor(Waiter w, string what)
    {
        var sw = Stopwatch.StartNew();
        while (!w.Done)
        {
            if (sw.Elapsed > Long) Assert.Fail($"timed out waiting for {what} to commit");
            Thread.Sleep(2);
        }
        Assert.True(w.CommittedCount == 1 && w.FailedCount == 0, $"{what}: committed {w.CommittedCount}, failed {w.FailedCount} ({w.Reason})");
    }

    /// <summary>Fills a store the way a hand-off does: not journaled while filled.</summary>
    static void Fill(CacheStore store, string prefix, int n, ManualClock clock, int valueBytes = 20)
    {
        for (int i = 0; i < n; i++)
        {
            var value = new byte[valueBytes];
            new Random(i).NextBytes(value);
            long exp = i % 4 == 0 ? T.Year2100 : i % 4 == 1 ? clock.NowMs + 3_600_000 + i : 0;
            int h = store.Set(T.B(prefix + i), value, (uint)(i * 31), exp);
            if (i % 7 == 0) store.BumpCas(h);
        }
    }

    static (CacheStore Store, RecoveredShard Recovered) RecoverOne(NodeJournalOptions options, IClock clock, int shard)
    {
        var (stores, recovered) = TestNode.RecoverAll(options, clock);
        return (stores[shard], recovered[shard]);
    }

    [Theory]
    [MemberData(nameof(Durabilities))]
    public void BeginEpoch_replacing_contents_commits_and_recovers_the_epoch_and_exactly_the_store(Durability durability)
    {
        using var dir = new TempDir();
        var clock = new ManualClock();
        var options = T.Options(dir.Path, Shards, durability);
        var store = T.NewShardStore(clock, 1, Shards);
        Fill(store, "handed-", 200, clock);
        var expected = Contents.Of(store);
        using (var journal = NodeJournal.Open(options, NullLogger.Instance))
        {
            var sj = journal.AttachOwned(1, store, default)!;
            Assert.Equal(0, sj.Epoch);               // cluster mode: no default epoch
            var w = new Waiter();
            sj.BeginEpoch(5, replacedContents: true, w);
            Assert.Equal(5, sj.Epoch);
            WaitFor(w, "the epoch snapshot");
            Assert.Equal(1, sj.LastSequenceNr);      // the epoch event
        }
        var (back, rec) = RecoverOne(options, clock, 1);
        Assert.Equal(5, rec.Epoch);
        Assert.Equal(1, rec.SnapshotSequenceNr);
        Assert.Equal(1, rec.LastSequenceNr);
        Assert.Equal(0, rec.EventsSinceSnapshot);
        Contents.Equal(expected, Contents.Of(back), "recovered after BeginEpoch");
        Assert.Equal(store.NextCas, back.NextCas);
    }

    [Theory]
    [MemberData(nameof(Durabilities))]
    public void Writes_after_BeginEpoch_are_journaled_at_that_epoch(Durability durability)
    {
        using var dir = new TempDir();
        var clock = new ManualClock();
        var options = T.Options(dir.Path, Shards, durability);
        var store = T.NewShardStore(clock, 2, Shards);
        Fill(store, "a", 30, clock);
        using (var journal = NodeJournal.Open(options, NullLogger.Instance))
        {
            var sj = journal.AttachOwned(2, store, default)!;
            sj.BeginEpoch(3, true, null);
            store.Set(T.B("later"), T.B("written-at-epoch-3"), 7, 0);
            store.Delete(T.B("a1"));
            var w = new Waiter();
            sj.Submit(w);
            WaitFor(w, "the writes");
        }
        var (back, rec) = RecoverOne(options, clock, 2);
        Assert.Equal(3, rec.Epoch);
        Assert.Equal(2, rec.EventsSinceSnapshot);
        Contents.Equal(Contents.Of(store), Contents.Of(back), "after the epoch's writes");
    }

    [Theory]
    [MemberData(nameof(Durabilities))]
    public void BeginEpoch_without_replacing_contents_keeps_the_earlier_events(Durability durability)
    {
        using var dir = new TempDir();
        var clock = new ManualClock();
        var options = T.Options(dir.Path, Shards, durability);
        SortedDictionary<string, Item> expected;
        using (var journal = NodeJournal.Open(options, NullLogger.Instance))
        {
            var store = T.NewShardStore(clock, 0, Shards);
            var sj = journal.AttachOwned(0, store, default)!;
            sj.BeginEpoch(1, true, null);
            for (int i = 0; i < 20; i++) store.Set(T.B("e1-" + i), T.B("v" + i), (uint)i, i % 2 == 0 ? T.Year2100 : 0);
            var w = new Waiter();
            sj.Submit(w);
            WaitFor(w, "epoch 1's writes");
            expected = Contents.Of(store);
        }
        long rowsBefore = T.JournalRows(Path.Combine(dir.Path, "cachecluster.db")).GetValueOrDefault("shard-0");
        Assert.True(rowsBefore > 0);

        // the node restarts; the cluster gives it the shard again at the next epoch, Fresh: it keeps its state
        using (var journal = NodeJournal.Open(options, NullLogger.Instance))
        {
            var store = T.NewShardStore(clock, 0, Shards);
            var recovered = journal.Recover(0, store);
            Assert.Equal(1, recovered.Epoch);
            Contents.Equal(expected, Contents.Of(store), "candidate");
            var sj = journal.AttachOwned(0, store, recovered)!;
            var w = new Waiter();
            sj.BeginEpoch(2, replacedContents: false, w);
            WaitFor(w, "the epoch event");
            Assert.Equal(recovered.LastSequenceNr + 1, sj.LastSequenceNr);
            store.Set(T.B("e2"), T.B("at epoch 2"), 0, 0);
            var w2 = new Waiter();
            sj.Submit(w2);
            WaitFor(w2, "epoch 2's write");
            expected = Contents.Of(store);
        }
        // no snapshot replaced the earlier events
        Assert.True(T.JournalRows(Path.Combine(dir.Path, "cachecluster.db")).GetValueOrDefault("shard-0") > rowsBefore);
        var (back, rec) = RecoverOne(options, clock, 0);
        Assert.Equal(2, rec.Epoch);
        Assert.Equal(1, rec.SnapshotSequenceNr);     // only epoch 1's (empty) snapshot: the rest came from events
        Assert.Equal(21, back.Count);
        Contents.Equal(expected, Contents.Of(back), "after BeginEpoch(2, keep)");
    }

    [Theory]
    [MemberData(nameof(Durabilities))]
    public void BeginEpoch_replacing_stale_local_rows_drops_them(Durability durability)
    {
        using var dir = new TempDir();
        var clock = new ManualClock();
        var options = T.Options(dir.Path, Shards, durability);
        using (var journal = NodeJournal.Open(options, NullLogger.Instance))
        {
            var store = T.NewShardStore(clock, 3, Shards);
            var sj = journal.AttachOwned(3, store, default)!;
            sj.BeginEpoch(2, true, null);
            Fill(store, "stale-", 50, clock);
            var w = new Waiter();
            sj.Submit(w);
            WaitFor(w, "stale writes");
        }
        // restarted: its state is at epoch 2, the cluster is at 6 (not Fresh): start empty over the old rows
        using (var journal = NodeJournal.Open(options, NullLogger.Instance))
        {
            var candidate = T.NewShardStore(clock, 3, Shards);
            var recovered = journal.Recover(3, candidate);
            Assert.Equal(2, recovered.Epoch);
            Assert.Equal(50, candidate.Count);
            var fresh = T.NewShardStore(clock, 3, Shards);
            var sj = journal.AttachOwned(3, fresh, recovered)!;
            var w = new Waiter();
            sj.BeginEpoch(6, replacedContents: true, w);
            WaitFor(w, "the replacing snapshot");
            Assert.True(sj.LastSequenceNr > recovered.LastSequenceNr);
        }
        var (back, rec) = RecoverOne(options, clock, 3);
        Assert.Equal(6, rec.Epoch);
        Assert.Equal(0, back.Count);
        Assert.Equal(0, T.JournalRows(Path.Combine(dir.Path, "cachecluster.db")).GetValueOrDefault("shard-3"));
    }

    [Theory]
    [MemberData(nameof(Durabilities))]
    public void Release_leaves_an_epoch_0_tombstone_that_recovers_empty(Durability durability)
    {
        using var dir = new TempDir();
        var clock = new ManualClock();
        var options = T.Options(dir.Path, Shards, durability);
        long lastSeq;
        SortedDictionary<string, Item> other;
        using (var journal = NodeJournal.Open(options, NullLogger.Instance))
        {
            var store = T.NewShardStore(clock, 1, Shards);
            Fill(store, "x", 40, clock);
            var sj = journal.AttachOwned(1, store, default)!;
            sj.BeginEpoch(4, true, null);
            store.Set(T.B("after"), T.B("1"), 0, 0);
            sj.Submit();

            // another shard of the node is untouched by the release
            var otherStore = T.NewShardStore(clock, 2, Shards);
            var osj = journal.AttachOwned(2, otherStore, default)!;
            osj.BeginEpoch(8, true, null);
            otherStore.Set(T.B("keep-me"), T.B("yes"), 0, 0);
            osj.Submit();
            other = Contents.Of(otherStore);

            var w = new Waiter();
            sj.Release(w);
            WaitFor(w, "the tombstone");
            Assert.Equal(0, sj.Epoch);
            lastSeq = sj.LastSequenceNr;
            // the journal no longer listens to the store
            store.Set(T.B("not-recorded"), T.B("1"), 0, 0);
            sj.Submit();
            Assert.Equal(lastSeq, sj.LastSequenceNr);
        }
        var (stores, recovered) = TestNode.RecoverAll(options, clock);
        Assert.Equal(0, recovered[1].Epoch);
        Assert.Equal(0, stores[1].Count);
        Assert.Equal(lastSeq, recovered[1].LastSequenceNr);
        Assert.Equal(lastSeq, recovered[1].SnapshotSequenceNr);
        Assert.Equal(0, T.JournalRows(Path.Combine(dir.Path, "cachecluster.db")).GetValueOrDefault("shard-1"));
        Assert.Equal(8, recovered[2].Epoch);
        Contents.Equal(other, Contents.Of(stores[2]), "the other shard");
    }

    [Theory]
    [MemberData(nameof(Durabilities))]
    public void After_a_release_a_new_ownership_continues_the_numbering(Durability durability)
    {
        using var dir = new TempDir();
        var clock = new ManualClock();
        var options = T.Options(dir.Path, Shards, durability);
        SortedDictionary<string, Item> expected;
        using (var journal = NodeJournal.Open(options, NullLogger.Instance))
        {
            var store = T.NewShardStore(clock, 0, Shards);
            var sj = journal.AttachOwned(0, store, default)!;
            sj.BeginEpoch(1, true, null);
            Fill(store, "old-", 25, clock);
            sj.Submit();
            var w = new Waiter();
            sj.Release(w);
            WaitFor(w, "the tombstone");
            long tomb = sj.LastSequenceNr;

            // handed back later in the same process: a new store continues after the tombstone
            var again = T.NewShardStore(clock, 0, Shards);
            Fill(again, "new-", 10, clock);
            var sj2 = journal.AttachOwned(0, again, new RecoveredShard(tomb, 0, 0, 0, 0))!;
            var w2 = new Waiter();
            sj2.BeginEpoch(3, true, w2);
            WaitFor(w2, "the new epoch");
            Assert.True(sj2.LastSequenceNr > tomb);
            again.Set(T.B("written"), T.B("after"), 0, 0);
            again.Delete(T.B("new-1"));
            var w3 = new Waiter();
            sj2.Submit(w3);
            WaitFor(w3, "writes of the new epoch");
            expected = Contents.Of(again);
            Assert.Equal(0, journal.Stats.WriteErrors);
        }
        var (back, rec) = RecoverOne(options, clock, 0);
        Assert.Equal(3, rec.Epoch);
        Contents.Equal(expected, Contents.Of(back), "the new ownership");
        Assert.DoesNotContain(Contents.Hex("old-3"), Contents.Of(back).Keys);
    }

    [Theory]
    [MemberData(nameof(Durabilities))]
    public void After_a_restart_over_a_tombstone_a_new_ownership_recovers_correctly(Durability durability)
    {
        using var dir = new TempDir();
        var clock = new ManualClock();
        var options = T.Options(dir.Path, Shards, durability);
        using (var journal = NodeJournal.Open(options, NullLogger.Instance))
        {
            var store = T.NewShardStore(clock, 2, Shards);
            var sj = journal.AttachOwned(2, store, default)!;
            sj.BeginEpoch(2, true, null);
            Fill(store, "gone-", 15, clock);
            sj.Submit();
            var w = new Waiter();
            sj.Release(w);
            WaitFor(w, "the tombstone");
        }
        SortedDictionary<string, Item> expected;
        using (var journal = NodeJournal.Open(options, NullLogger.Instance))
        {
            var candidate = T.NewShardStore(clock, 2, Shards);
            var recovered = journal.Recover(2, candidate);
            Assert.Equal(0, recovered.Epoch);       // never claimed
            Assert.Equal(0, candidate.Count);
            var store = T.NewShardStore(clock, 2, Shards);
            Fill(store, "handed-", 12, clock);
            var sj = journal.AttachOwned(2, store, recovered)!;
            var w = new Waiter();
            sj.BeginEpoch(4, true, w);
            WaitFor(w, "the hand-off's snapshot");
            store.Set(T.B("more"), T.B("data"), 1, 0);
            var w2 = new Waiter();
            sj.Submit(w2);
            WaitFor(w2, "a write");
            expected = Contents.Of(store);
            Assert.Equal(0, journal.Stats.WriteErrors);
        }
        var (back, rec) = RecoverOne(options, clock, 2);
        Assert.Equal(4, rec.Epoch);
        Contents.Equal(expected, Contents.Of(back), "after the tombstone and a restart");
    }

    /// <summary>
    /// A shard handed in (a snapshot of several chunks) and handed on before any write: the tombstone
    /// gets the sequence number of that snapshot. It must replace the whole snapshot, not just its first chunk.
    /// </summary>
    [Theory]
    [MemberData(nameof(Durabilities))]
    public void Release_right_after_a_multi_chunk_epoch_snapshot_recovers_empty(Durability durability)
    {
        using var dir = new TempDir();
        var clock = new ManualClock();
        var options = T.Options(dir.Path, Shards, durability);
        using (var journal = NodeJournal.Open(options, NullLogger.Instance))
        {
            var store = T.NewShardStore(clock, 1, Shards);
            Fill(store, "big-", 3000, clock, valueBytes: 1000);     // ~3 MB: several 1 MiB chunks
            var sj = journal.AttachOwned(1, store, default)!;
            var w = new Waiter();
            sj.BeginEpoch(7, true, w);
            WaitFor(w, "the epoch snapshot");
            Assert.True(T.Scalar(journal.Path, "SELECT COUNT(*) FROM snapshot WHERE persistence_id = 'shard-1'") > 1);
            var w2 = new Waiter();
            sj.Release(w2);
            WaitFor(w2, "the tombstone");
        }
        var (back, rec) = RecoverOne(options, clock, 1);
        Assert.Equal(0, rec.Epoch);
        Assert.Equal(0, back.Count);
    }

    /// <summary>
    /// The region's DropCandidate path: a restarted node's stale shard whose journal ends with a
    /// multi-chunk snapshot (no event after it) is tombstoned at that snapshot's sequence number.
    /// </summary>
    [Theory]
    [MemberData(nameof(Durabilities))]
    public void Dropping_a_recovered_candidate_whose_journal_ends_with_a_multi_chunk_snapshot_recovers_empty(Durability durability)
    {
        using var dir = new TempDir();
        var clock = new ManualClock();
        var options = T.Options(dir.Path, Shards, durability);
        using (var journal = NodeJournal.Open(options, NullLogger.Instance))
        {
            var store = T.NewShardStore(clock, 2, Shards);
            var sj = journal.AttachOwned(2, store, default)!;
            sj.BeginEpoch(3, false, null);
            Fill(store, "big-", 3000, clock, valueBytes: 1000);
            sj.Submit();
            var w = new Waiter();
            sj.TakeSnapshot(w);
            WaitFor(w, "the snapshot");
        }
        using (var journal = NodeJournal.Open(options, NullLogger.Instance))
        {
            var candidate = T.NewShardStore(clock, 2, Shards);
            var recovered = journal.Recover(2, candidate);
            Assert.Equal(3, recovered.Epoch);
            Assert.Equal(recovered.SnapshotSequenceNr, recovered.LastSequenceNr);
            var sj = journal.AttachOwned(2, candidate, recovered)!;     // what ShardRegion.DropCandidate does
            var w = new Waiter();
            sj.Release(w);
            WaitFor(w, "the tombstone");
        }
        var (back, rec) = RecoverOne(options, clock, 2);
        Assert.Equal(0, rec.Epoch);
        Assert.Equal(0, back.Count);
    }

    [Theory]
    [MemberData(nameof(Durabilities))]
    public void TakeSnapshot_tells_its_waiter_after_the_commit(Durability durability)
    {
        using var dir = new TempDir();
        var clock = new ManualClock();
        var options = T.Options(dir.Path, Shards, durability);
        using (var journal = NodeJournal.Open(options, NullLogger.Instance))
        {
            var store = T.NewShardStore(clock, 3, Shards);
            var sj = journal.AttachOwned(3, store, default)!;
            sj.BeginEpoch(2, false, null);
            Fill(store, "s", 30, clock);
            sj.Submit();
            var w = new Waiter();
            sj.TakeSnapshot(w);
            WaitFor(w, "the snapshot");
            Assert.Equal(sj.LastSequenceNr, T.Scalar(journal.Path, "SELECT MAX(sequence_nr) FROM snapshot WHERE persistence_id = 'shard-3'"));
            Assert.Equal(0, T.JournalRows(journal.Path).GetValueOrDefault("shard-3"));
        }
        var (back, rec) = RecoverOne(options, clock, 3);
        Assert.Equal(2, rec.Epoch);
        Assert.Equal(30, back.Count);
        Assert.Equal(rec.LastSequenceNr, rec.SnapshotSequenceNr);
    }

    [Theory]
    [MemberData(nameof(Durabilities))]
    public void Standalone_Attach_still_starts_epoch_1_for_a_shard_never_held(Durability durability)
    {
        using var dir = new TempDir();
        var clock = new ManualClock();
        var options = T.Options(dir.Path, Shards, durability);
        using (var journal = NodeJournal.Open(options, NullLogger.Instance))
        {
            var store = T.NewShardStore(clock, 0, Shards);
            var sj = journal.Attach(0, store, default)!;
            Assert.Equal(1, sj.Epoch);
            store.Set(T.B("k"), T.B("v"), 0, 0);
            var w = new Waiter();
            sj.Submit(w);
            WaitFor(w, "a write");
            Assert.Equal(2, sj.LastSequenceNr);     // the epoch event, then the write
        }
        var (stores, recovered) = TestNode.RecoverAll(options, clock);
        Assert.Equal(1, recovered[0].Epoch);
        Assert.Equal(1, stores[0].Count);
        // a standalone shard recovered with epoch 1 keeps it without writing another epoch event
        using (var journal = NodeJournal.Open(options, NullLogger.Instance))
        {
            var store = T.NewShardStore(clock, 0, Shards);
            var rec = journal.Recover(0, store);
            var sj = journal.Attach(0, store, rec)!;
            Assert.Equal(1, sj.Epoch);
            Assert.False(sj.HasPending);
        }
    }

    [Fact]
    public void AttachOwned_is_null_with_durability_off()
    {
        using var dir = new TempDir();
        using var journal = NodeJournal.Open(T.Options(dir.Path, Shards, Durability.Off), NullLogger.Instance);
        Assert.Null(journal.AttachOwned(0, T.NewShardStore(new ManualClock(), 0, Shards), default));
    }
}
