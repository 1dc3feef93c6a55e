using CacheCluster.Core;
using CacheCluster.Storage;
using Microsoft.Extensions.Logging;

namespace CacheCluster.Persistence.Tests;

/// <summary>
/// Real write failures: the data directory is a small tmpfs (the tests run as root) that fills
/// up, then is made bigger with a remount.
/// </summary>
public class DiskFullTests
{
    static byte[] Value(Random rng, int n)
    {
        var v = new byte[n];
        rng.NextBytes(v);
        return v;
    }

    [Fact]
    public void Always_fails_the_lost_writes_refuses_the_shard_until_Reattach_then_commits_again()
    {
        using var disk = new TmpfsMount("256k");
        var log = new ListLogger();
        var options = T.Options(disk.Path, 2, Durability.Always, snapshotEvents: 1_000_000);
        var clock = new ManualClock(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        var node = TestNode.Start(options, clock, log);
        try
        {
            int lost0 = 0, lost1 = 0;
            var sj0 = node.Shards[0]!;
            var sj1 = node.Shards[1]!;
            sj0.WriteLost += () => Interlocked.Increment(ref lost0);
            sj1.WriteLost += () => Interlocked.Increment(ref lost1);
            var epoch0 = new Waiter();
            var epoch1 = new Waiter();
            sj0.Submit(epoch0);
            sj1.Submit(epoch1);
            node.Journal.Flush(TimeSpan.FromSeconds(10));
            Assert.Equal(1, epoch0.CommittedCount);
            Assert.Equal(1, epoch1.CommittedCount);

            // fill the disk through shard 0, one acknowledged write at a time
            var rng = new Random(1);
            var acknowledged = new SortedDictionary<string, Item>(StringComparer.Ordinal);
            var store0 = node.Stores[0];
            Waiter? failed = null;
            string? failedKey = null;
            for (int i = 0; i < 400 && failed == null; i++)
            {
                var key = "fill" + i;
                int h = store0.Set(T.B(key), Value(rng, 8192), (uint)i, 0);
                var item = new Item(Convert.ToHexString(store0.StringOf(h)), (uint)i, store0.CasOf(h), 0);
                var w = new Waiter();
                sj0.Submit(w);
                node.Journal.Flush(TimeSpan.FromSeconds(10));
                Assert.True(w.Done, $"write {i} was neither committed nor failed");
                Assert.Equal(1, w.CommittedCount + w.FailedCount);
                if (w.CommittedCount == 1) acknowledged.Add(Contents.Hex(key), item);
                else { failed = w; failedKey = key; }
            }
            Assert.True(failed != null, "a 256 KiB disk never filled up");
            Assert.True(acknowledged.Count > 3, "some writes should have fit");
            Assert.Equal(0, failed.CommittedCount);
            Assert.Contains("full", failed.Reason, StringComparison.OrdinalIgnoreCase);
            Assert.Equal(1, Volatile.Read(ref lost0));
            Assert.Equal(0, Volatile.Read(ref lost1));
            var stats = node.Journal.Stats;
            Assert.True(stats.WriteErrorsTotal >= 1);
            Assert.False(stats.LastWriteOk);
            Assert.Contains("full", stats.LastErrorMessage, StringComparison.OrdinalIgnoreCase);
            Assert.Equal(0, stats.EventsPending);
            Assert.True(log.Has(LogLevel.Error, "commit failed"), "the failure should be logged as an error");

            // the shard's later writes are refused, even once the disk has room again
            store0.Set(T.B("after-failure"), T.B("x"), 0, 0);
            var refused = new Waiter();
            sj0.Submit(refused);
            node.Journal.Flush(TimeSpan.FromSeconds(10));
            Assert.Equal(1, refused.FailedCount);
            Assert.Equal(0, refused.CommittedCount);

            disk.Resize("16m");
            store0.Set(T.B("still-refused"), T.B("x"), 0, 0);
            var refused2 = new Waiter();
            sj0.Submit(refused2);
            node.Journal.Flush(TimeSpan.FromSeconds(10));
            Assert.Equal(1, refused2.FailedCount);
            Assert.Equal(0, refused2.CommittedCount);
            Assert.Equal(1, Volatile.Read(ref lost0));                 // told once

            // the other shard was never affected
            node.Stores[1].Set(T.B("other"), T.B("fine"), 1, 0);
            var other = new Waiter();
            sj1.Submit(other);
            node.Journal.Flush(TimeSpan.FromSeconds(10));
            Assert.Equal(1, other.CommittedCount);
            Assert.Equal(0, other.FailedCount);
            Assert.True(node.Journal.Stats.LastWriteOk);

            // reload shard 0 as ShardRegion.Reload does: it holds exactly what was acknowledged
            sj0.Detach();
            node.Journal.Flush(TimeSpan.FromSeconds(10));
            var fresh = T.NewShardStore(clock, 0, 2);
            var recovered = node.Journal.Recover(0, fresh);
            Contents.Equal(acknowledged, Contents.Of(fresh), "shard 0 reloaded after the lost write");
            Assert.Equal(1, recovered.Epoch);
            Assert.Equal(acknowledged.Count + 1, recovered.LastSequenceNr);
            sj0.Reattach(fresh, recovered);
            Assert.Null(store0.Changes);
            Assert.Same(sj0, fresh.Changes);
            Assert.Equal(recovered.LastSequenceNr, sj0.LastSequenceNr);

            int ha = fresh.Set(T.B("after-reattach"), T.B("stored"), 9, T.Year2100);
            acknowledged.Add(Contents.Hex("after-reattach"), new Item(Convert.ToHexString(T.B("stored")), 9, fresh.CasOf(ha), T.Year2100));
            var again = new Waiter();
            sj0.Submit(again);
            node.Journal.Flush(TimeSpan.FromSeconds(10));
            Assert.Equal(1, again.CommittedCount);
            Assert.Equal(0, again.FailedCount);
            long lastSeq0 = sj0.LastSequenceNr;
            var expected1 = Contents.Of(node.Stores[1]);
            node.Dispose();

            var (stores, rec) = TestNode.RecoverAll(options, clock);
            Contents.Equal(acknowledged, Contents.Of(stores[0]), "shard 0 after restart");
            Assert.Equal(-1, stores[0].Find(T.B(failedKey!), touch: false));
            Assert.Equal(lastSeq0, rec[0].LastSequenceNr);
            Contents.Equal(expected1, Contents.Of(stores[1]), "shard 1 after restart");
        }
        finally
        {
            node.Dispose();
        }
    }

    [Fact]
    public void Everysec_keeps_failed_writes_and_retries_until_the_disk_has_room()
    {
        using var disk = new TmpfsMount("256k");
        var log = new ListLogger();
        var options = T.Options(disk.Path, 2, Durability.EverySec, snapshotEvents: 1_000_000);
        var clock = new ManualClock(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        var node = TestNode.Start(options, clock, log);
        try
        {
            int lost = 0;
            foreach (var sj in node.Shards) sj!.WriteLost += () => Interlocked.Increment(ref lost);
            var rng = new Random(2);
            var waiters = new List<Waiter>();
            int i = 0;
            for (; i < 400 && node.Journal.Stats.WriteErrorsTotal == 0; i++)
            {
                node.Stores[i % 2].Set(T.B("fill" + i), Value(rng, 8192), (uint)i, 0);
                var w = new Waiter();
                waiters.Add(w);
                node.Shards[i % 2]!.Submit(w);
                node.Journal.Flush(TimeSpan.FromMilliseconds(300));
            }
            Assert.True(node.Journal.Stats.WriteErrorsTotal > 0, "a 256 KiB disk never filled up");
            // more writes while the disk is full: accepted and kept in memory
            for (int k = 0; k < 10; k++, i++)
            {
                node.Stores[i % 2].Set(T.B("while-full" + k), T.B("v" + k), 0, 0);
                var w = new Waiter();
                waiters.Add(w);
                node.Shards[i % 2]!.Submit(w);
            }
            node.Journal.Flush(TimeSpan.FromMilliseconds(500));
            var stats = node.Journal.Stats;
            Assert.False(stats.LastWriteOk);
            Assert.True(stats.EventsPending >= 10, $"{stats.EventsPending} events pending");
            Assert.Contains(waiters, w => !w.Done);
            Assert.All(waiters, w => Assert.Equal(0, w.FailedCount));
            Assert.True(log.Has(LogLevel.Error, "commit failed"), "the failure should be logged as an error");

            disk.Resize("16m");
            node.Journal.Flush(TimeSpan.FromSeconds(15));
            Assert.All(waiters, w =>
            {
                Assert.Equal(1, w.CommittedCount);
                Assert.Equal(0, w.FailedCount);
            });
            stats = node.Journal.Stats;
            Assert.True(stats.LastWriteOk);
            Assert.Equal(0, stats.EventsPending);
            Assert.Equal(0, Volatile.Read(ref lost));
            Assert.True(log.Has(LogLevel.Warning, "writes succeed again"));

            var expected = node.Stores.Select(Contents.Of).ToArray();
            node.Dispose();
            var (stores, _) = TestNode.RecoverAll(options, clock);
            for (int s = 0; s < 2; s++) Contents.Equal(expected[s], Contents.Of(stores[s]), $"shard {s} after the disk had room again");
        }
        finally
        {
            node.Dispose();
        }
    }

    /// <summary>
    /// everysec on a disk that stays full: once more events wait than the backlog limit, writes are
    /// acknowledged only after their commit (back-pressure instead of unbounded memory and an
    /// unbounded crash window); when the disk has room again they commit and the limit lifts.
    /// </summary>
    [Fact]
    public void Everysec_backlog_makes_writes_wait_for_their_commit_until_the_disk_catches_up()
    {
        using var disk = new TmpfsMount("256k");
        var options = new NodeJournalOptions
        {
            DataDir = disk.Path, Shards = 1, NodeId = "test-node", Durability = Durability.EverySec,
            SnapshotEvents = 1_000_000, CommitInterval = TimeSpan.FromMilliseconds(5), BacklogEvents = 50,
        };
        var clock = new ManualClock(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        var node = TestNode.Start(options, clock, new ListLogger());
        try
        {
            var sj = node.Shards[0]!;
            var store = node.Stores[0];
            var rng = new Random(7);
            Assert.False(sj.AcknowledgeAfterCommit);
            // 8 KB values: the 256 KB disk is full long before 200 of them
            var sw = System.Diagnostics.Stopwatch.StartNew();
            int i = 0;
            while (!sj.AcknowledgeAfterCommit && sw.Elapsed < TimeSpan.FromSeconds(20))
            {
                store.Set(T.B("k" + i++), Value(rng, 8192), 0, 0);
                sj.Submit();
                Thread.Sleep(2);
            }
            Assert.True(sj.AcknowledgeAfterCommit, $"no back-pressure after {i} writes on a full disk ({node.Journal.Stats.EventsPending} pending)");
            Assert.True(node.Journal.Stats.EventsPending > 50);

            // a write now waits: nothing is acknowledged while the disk is full
            store.Set(T.B("waiting"), Value(rng, 16), 0, 0);
            var w = new Waiter();
            sj.Submit(w);
            Thread.Sleep(300);
            Assert.Equal(0, w.CommittedCount + w.FailedCount);

            disk.Resize("64m");
            node.Journal.Flush(TimeSpan.FromSeconds(20));
            Assert.Equal(1, w.CommittedCount);
            Assert.Equal(0, w.FailedCount);
            Assert.Equal(0, node.Journal.Stats.EventsPending);
            sw.Restart();
            while (sj.AcknowledgeAfterCommit && sw.Elapsed < TimeSpan.FromSeconds(5)) Thread.Sleep(10);
            Assert.False(sj.AcknowledgeAfterCommit);
        }
        finally
        {
            node.Dispose();
        }
    }
}
