using System.Text;
using CacheCluster.Cluster.Membership;
using CacheCluster.Cluster.Placement;
using CacheCluster.Persistence;
using CacheCluster.Persistence.Recovery;
using CacheCluster.Storage;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit.Abstractions;

namespace CacheCluster.Cluster.Tests.Node;

/// <summary>
/// Several <see cref="Cluster.Node.ClusterNode"/>s in one process, each with its own actor system and
/// cluster-mode region, linked over real loopback sockets: forming, routing through any node,
/// a node joining (its share moves with the data), a graceful leave, and a crash.
/// </summary>
public class ClusterNodeTests(ITestOutputHelper output)
{
    static byte[] B(string s) => Encoding.UTF8.GetBytes(s);
    static string ValueOf(string key) => "value-of-" + key;

    [Fact]
    public async Task Two_nodes_form_a_cluster_and_every_shard_is_served_through_either_node()
    {
        await using var c = new TestCluster(output, "node-a", "node-b");
        await c.Run(async () =>
        {
            var a = await c.StartNode("node-a");
            var b = await c.StartNode("node-b");
            await c.WaitSettled(a, b);

            foreach (var n in new[] { a, b })
            {
                var v = n.View;
                Assert.Equal("node-a", v.Leader);        // the lowest node id
                Assert.Equal(2, v.UpMembers);
                Assert.Equal(2, v.MembersOwningShards);
                Assert.Equal(TestCluster.Shards, v.Members.Sum(m => m.Shards.Count));
                Assert.True(v.MaxEpoch >= 1);
                Assert.Equal(n.Id, v.Self);
            }
            Assert.Equal(TestCluster.Shards, a.Region.LocalShardCount + b.Region.LocalShardCount);
            Assert.Equal(a.View.ShardsOwned, a.Region.LocalShardCount);

            var keys = TestCluster.KeysForEveryShard(a.Region.Map, "k", 3);
            await c.SetAll(a, keys, ValueOf);
            await c.AssertValues(b, keys, ValueOf);
            await c.AssertValues(a, keys, ValueOf);

            // and the other way round, overwriting
            await c.SetAll(b, keys, k => "b:" + k);
            await c.AssertValues(a, keys, k => "b:" + k);
        });
    }

    [Fact]
    public async Task A_third_node_takes_its_share_of_the_shards_with_their_data()
    {
        await using var c = new TestCluster(output, "node-a", "node-b", "node-c");
        await c.Run(async () =>
        {
            // seeds of the running nodes only: the lowest seed address forms the cluster, and node-c's could be lowest
            var a = await c.StartNode("node-a", seeds: c.Seeds("node-a", "node-b"));
            var b = await c.StartNode("node-b", seeds: c.Seeds("node-a", "node-b"));
            await c.WaitSettled(a, b);
            var keys = TestCluster.KeysForEveryShard(a.Region.Map, "k", 4);
            await c.SetAll(a, keys, ValueOf);
            var before = a.Owners();
            long handoffsBefore = a.View.HandoffsDone + b.View.HandoffsDone;     // forming moved shards already

            var cNode = await c.StartNode("node-c");
            await c.WaitSettled(a, b, cNode);

            var desired = ShardPlacement.Compute(["node-a", "node-b", "node-c"], TestCluster.Shards);
            int moved = Enumerable.Range(0, TestCluster.Shards).Count(s => desired[s] == "node-c");
            Assert.True(moved > 0, "placement gives node-c no shard");
            Assert.Equal(moved, cNode.Region.LocalShardCount);
            Assert.Equal(moved, a.View.HandoffsDone + b.View.HandoffsDone - handoffsBefore);
            Assert.Equal(0, cNode.View.HandoffsDone);
            // consistent hashing: only shards that go to node-c moved
            foreach (var (owner, shards) in a.Owners())
                if (owner != "node-c")
                    Assert.All(shards, s => Assert.Contains(s, before[owner]));
            foreach (var s in Enumerable.Range(0, TestCluster.Shards).Where(s => desired[s] == "node-c"))
                Assert.True(cNode.Region.LocalEpoch(s) >= 2, $"shard {s} served by node-c at epoch {cNode.Region.LocalEpoch(s)}");

            foreach (var n in new[] { a, b, cNode }) await c.AssertValues(n, keys, ValueOf);

            // writes through the new node reach the right owners
            await c.SetAll(cNode, keys, k => "via-c:" + k);
            await c.AssertValues(a, keys, k => "via-c:" + k);
            await c.AssertValues(b, keys, k => "via-c:" + k);
        });
    }

    /// <summary>
    /// Rounds of writes to keys of every shard keep going (through both old nodes) while a third node
    /// joins and shards move: every acknowledged write must survive the consistent cut and the seal.
    /// </summary>
    [Fact]
    public async Task Writes_acknowledged_while_shards_move_are_never_lost()
    {
        await using var c = new TestCluster(output, "node-a", "node-b", "node-c");
        await c.Run(async () =>
        {
            // seeds of the running nodes only: the lowest seed address forms the cluster, and node-c's could be lowest
            var a = await c.StartNode("node-a", seeds: c.Seeds("node-a", "node-b"));
            var b = await c.StartNode("node-b", seeds: c.Seeds("node-a", "node-b"));
            await c.WaitSettled(a, b);
            var keys = TestCluster.KeysForEveryShard(a.Region.Map, "w", 2);
            int round = 0;
            await c.SetAll(a, keys, k => "r0");

            var cNode = await c.StartNode("node-c");
            var settled = false;
            while (!settled)
            {
                round++;
                var via = round % 2 == 0 ? a : b;
                string value = "r" + round;
                await c.SetAll(via, keys, _ => value);
                settled = c.Settled([a, b, cNode]);
                Assert.True(round < 2000, "never settled");
            }
            Assert.True(a.View.HandoffsDone + b.View.HandoffsDone > 0);
            string last = "r" + round;
            foreach (var n in new[] { a, b, cNode }) await c.AssertValues(n, keys, _ => last);
            c.Log.Add($"[test] {round} rounds of writes while shards moved");
        });
    }

    [Fact]
    public async Task A_leaving_node_hands_off_every_shard_and_the_data_stays_readable()
    {
        await using var c = new TestCluster(output, "node-a", "node-b", "node-c");
        await c.Run(async () =>
        {
            var a = await c.StartNode("node-a");
            var b = await c.StartNode("node-b");
            var cNode = await c.StartNode("node-c");
            await c.WaitSettled(a, b, cNode);
            var keys = TestCluster.KeysForEveryShard(a.Region.Map, "k", 3);
            await c.SetAll(cNode, keys, ValueOf);
            int hadShards = b.Region.LocalShardCount;
            Assert.True(hadShards > 0);

            await b.Cluster.LeaveAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(0, b.Region.LocalShardCount);
            Assert.Equal("exited", b.View.State);
            Assert.True(b.View.HandoffsDone >= hadShards, $"{b.View.HandoffsDone} hand-offs for {hadShards} shards");

            await c.WaitSettled(a, cNode);
            await c.WaitUntil(() => a.View.Members.All(m => m.Id != "node-b" || m.Status == MemberStatus.Removed)
                                    && cNode.View.Members.All(m => m.Id != "node-b" || m.Status == MemberStatus.Removed),
                "node-b is removed everywhere");
            Assert.Equal(TestCluster.Shards, a.Region.LocalShardCount + cNode.Region.LocalShardCount);

            await c.AssertValues(a, keys, ValueOf);
            await c.AssertValues(cNode, keys, ValueOf);
            await b.DisposeAsync();
            await c.AssertValues(a, keys, ValueOf);
        });
    }

    [Fact]
    public async Task The_leader_can_leave_too()
    {
        await using var c = new TestCluster(output, "node-a", "node-b");
        await c.Run(async () =>
        {
            var a = await c.StartNode("node-a");
            var b = await c.StartNode("node-b");
            await c.WaitSettled(a, b);
            var keys = TestCluster.KeysForEveryShard(a.Region.Map, "k", 2);
            await c.SetAll(b, keys, ValueOf);

            await a.Cluster.LeaveAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(0, a.Region.LocalShardCount);
            await c.WaitSettled(b);
            Assert.Equal("node-b", b.View.Leader);
            Assert.Equal(TestCluster.Shards, b.Region.LocalShardCount);
            await a.DisposeAsync();
            await c.AssertValues(b, keys, ValueOf);
        });
    }

    [Fact]
    public async Task A_crashed_node_is_downed_and_its_shards_are_served_again_by_the_others()
    {
        await using var c = new TestCluster(output, "node-a", "node-b", "node-c");
        await c.Run(async () =>
        {
            var a = await c.StartNode("node-a");
            var b = await c.StartNode("node-b");
            var cNode = await c.StartNode("node-c");
            await c.WaitSettled(a, b, cNode);
            var keys = TestCluster.KeysForEveryShard(a.Region.Map, "k", 3);
            await c.SetAll(a, keys, ValueOf);
            var lost = Enumerable.Range(0, TestCluster.Shards).Where(cNode.Region.IsLocal).ToHashSet();
            Assert.NotEmpty(lost);

            cNode.StopMembership();      // no leave: its links just go away

            await c.WaitUntil(() => new[] { a, b }.All(n => n.View.Members.All(m => m.Id != "node-c" || m.Status >= MemberStatus.Down)),
                "node-c is marked down", TimeSpan.FromSeconds(30));
            await c.WaitSettled(a, b);
            foreach (var n in new[] { a, b })
            {
                var v = n.View;
                Assert.All(v.Members.Where(m => m.Shards.Count > 0), m => Assert.True(m.Id is "node-a" or "node-b", $"{m.Id} still owns shards"));
                Assert.Equal(TestCluster.Shards, v.Members.Sum(m => m.Shards.Count));
            }
            Assert.Equal(TestCluster.Shards, a.Region.LocalShardCount + b.Region.LocalShardCount);

            // no journal: what only node-c held is gone (cache semantics); everything else is intact
            string? Expected(string k) => lost.Contains(a.Region.Map.ShardOf(B(k))) ? null : ValueOf(k);
            await c.AssertValues(a, keys, Expected);
            await c.AssertValues(b, keys, Expected);

            // and the re-homed shards take writes again
            await c.SetAll(b, keys, k => "again:" + k);
            await c.AssertValues(a, keys, k => "again:" + k);
        });
    }

    /// <summary>
    /// README "Restart with an old data directory": a crashed node's shards were re-homed (empty, Fresh)
    /// and written to; when it comes back with its journal, its stale copies are dropped and the
    /// shards come back to it by hand-off with the current data, journaled at the new epochs.
    /// </summary>
    [Fact]
    public async Task A_node_restarting_with_a_stale_data_directory_gets_its_shards_back_with_the_current_data()
    {
        await using var c = new TestCluster(output, "node-a", "node-b");
        await c.Run(async () =>
        {
            var a = await c.StartNode("node-a", journal: true);
            var b = await c.StartNode("node-b", journal: true);
            await c.WaitSettled(a, b);
            var keys = TestCluster.KeysForEveryShard(a.Region.Map, "k", 2);
            await c.SetAll(a, keys, k => "before:" + k);
            var bShards = Enumerable.Range(0, TestCluster.Shards).Where(b.Region.IsLocal).ToHashSet();
            Assert.NotEmpty(bShards);
            b.Journal!.Flush(TimeSpan.FromSeconds(10));

            b.StopMembership();         // crash (its journal keeps what it had)
            await c.WaitUntil(() => a.Region.LocalShardCount == TestCluster.Shards && a.View.Ready,
                "node-a serves every shard after downing node-b");
            bool InB(string k) => bShards.Contains(a.Region.Map.ShardOf(B(k)));
            // node-b's shards were re-homed empty (no hand-off from a crashed node)
            await c.AssertValues(a, keys, k => InB(k) ? null : "before:" + k);
            await c.SetAll(a, keys.Where(InB).ToList(), k => "after:" + k);

            // its old state comes back as candidates, at the epochs it had
            var b2 = await c.RestartNode(b, n => Assert.Equal(bShards.Order(), n.Region.Candidates().Select(x => x.Shard).Order()));
            await c.WaitSettled(a, b2);
            Assert.Empty(b2.Region.Candidates());
            string Expected(string k) => InB(k) ? "after:" + k : "before:" + k;
            await c.AssertValues(b2, keys, Expected);
            await c.AssertValues(a, keys, Expected);
            var epochs = bShards.ToDictionary(s => s, s => b2.Region.LocalEpoch(s));
            Assert.All(epochs.Values, e => Assert.True(e >= 3, $"epoch {e}: expected a hand-off after a Fresh re-homing"));

            string bDir = b2.DataDir!;
            await b2.DisposeAsync();
            using var journal = NodeJournal.Open(new NodeJournalOptions { DataDir = bDir, Shards = TestCluster.Shards, NodeId = "node-b" }, NullLogger.Instance);
            using var reader = new JournalReader(journal.Database);
            foreach (var s in bShards)
            {
                var store = new CacheStore(Core.SystemClock.Instance);
                var rec = reader.Recover(s, store);
                Assert.Equal(epochs[s], rec.Epoch);
                foreach (var k in keys.Where(k => a.Region.Map.ShardOf(B(k)) == s))
                    Assert.Equal("after:" + k, Encoding.UTF8.GetString(store.StringOf(store.Find(B(k)))));
            }
        });
    }

    [Fact]
    public async Task With_journals_a_handed_off_shard_is_stored_at_the_new_epoch_and_tombstoned_at_the_old_owner()
    {
        await using var c = new TestCluster(output, "node-a", "node-b");
        await c.Run(async () =>
        {
            var a = await c.StartNode("node-a", seeds: [c.AddressOf("node-a")], journal: true);
            await c.WaitSettled(a);
            Assert.Equal(TestCluster.Shards, a.Region.LocalShardCount);
            var keys = TestCluster.KeysForEveryShard(a.Region.Map, "k", 3);
            await c.SetAll(a, keys, ValueOf);

            var b = await c.StartNode("node-b", journal: true);
            await c.WaitSettled(a, b);
            var moved = Enumerable.Range(0, TestCluster.Shards).Where(b.Region.IsLocal).ToList();
            Assert.NotEmpty(moved);
            var epochs = moved.ToDictionary(s => s, s => b.Region.LocalEpoch(s));
            await c.AssertValues(b, keys, ValueOf);

            string aDir = a.DataDir!, bDir = b.DataDir!;
            await a.DisposeAsync();
            await b.DisposeAsync();

            // the new owner's journal: every moved shard at its new epoch, with its data
            using (var journal = NodeJournal.Open(new NodeJournalOptions { DataDir = bDir, Shards = TestCluster.Shards, NodeId = "node-b" }, NullLogger.Instance))
            using (var reader = new JournalReader(journal.Database))
            {
                foreach (var s in moved)
                {
                    var store = new CacheStore(Core.SystemClock.Instance);
                    var rec = reader.Recover(s, store);
                    Assert.Equal(epochs[s], rec.Epoch);
                    var mine = keys.Where(k => a.Region.Map.ShardOf(B(k)) == s).ToList();
                    Assert.Equal(mine.Count, store.Count);
                    foreach (var k in mine) Assert.Equal(ValueOf(k), Encoding.UTF8.GetString(store.StringOf(store.Find(B(k)))));
                }
            }
            // the old owner's: the moved shards are tombstones (epoch 0, empty); the others kept
            using (var journal = NodeJournal.Open(new NodeJournalOptions { DataDir = aDir, Shards = TestCluster.Shards, NodeId = "node-a" }, NullLogger.Instance))
            using (var reader = new JournalReader(journal.Database))
            {
                for (int s = 0; s < TestCluster.Shards; s++)
                {
                    var store = new CacheStore(Core.SystemClock.Instance);
                    var rec = reader.Recover(s, store);
                    if (moved.Contains(s))
                    {
                        Assert.Equal(0, rec.Epoch);
                        Assert.Equal(0, store.Count);
                    }
                    else
                    {
                        Assert.True(rec.Epoch >= 1, $"shard {s} kept by node-a recovered at epoch {rec.Epoch}");
                        Assert.Equal(3, store.Count);
                    }
                }
            }
        });
    }
}
