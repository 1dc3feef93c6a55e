using CacheCluster.Cluster.Membership;
using static CacheCluster.Cluster.Tests.Membership.StateBuilder;

namespace CacheCluster.Cluster.Tests.Membership;

public class ClusterStateTests
{
    // ------------------------------------------------------------ members

    [Fact]
    public void Upsert_adds_unknown_member()
    {
        var s = new ClusterState(4);
        Assert.True(s.Upsert(M("a", MemberStatus.Joining)));
        Assert.Equal(M("a", MemberStatus.Joining), s.Get("a"));
        Assert.Null(s.Get("b"));
        Assert.Single(s.Members);
    }

    [Fact]
    public void Higher_incarnation_beats_higher_status()
    {
        var s = new ClusterState(4);
        s.Upsert(M("a", MemberStatus.Removed, incarnation: 100));
        var restarted = new Member("a", "new-host:7100", 200, MemberStatus.Joining);
        Assert.True(s.Upsert(restarted));
        Assert.Equal(restarted, s.Get("a"));

        // The old incarnation's record, whatever its status, never comes back.
        Assert.False(s.Upsert(M("a", MemberStatus.Removed, incarnation: 100)));
        Assert.False(s.Upsert(M("a", MemberStatus.Up, incarnation: 199)));
        Assert.Equal(restarted, s.Get("a"));
    }

    [Fact]
    public void Same_incarnation_higher_status_wins_with_its_address()
    {
        var s = new ClusterState(4);
        s.Upsert(new Member("a", "old:1", 5, MemberStatus.Joining));
        Assert.True(s.Upsert(new Member("a", "new:2", 5, MemberStatus.Up)));
        Assert.Equal(new Member("a", "new:2", 5, MemberStatus.Up), s.Get("a"));

        Assert.False(s.Upsert(new Member("a", "other:3", 5, MemberStatus.Joining)));
        Assert.Equal(new Member("a", "new:2", 5, MemberStatus.Up), s.Get("a"));
        Assert.False(s.Upsert(new Member("a", "new:2", 5, MemberStatus.Up)));   // identical: no change
    }

    [Fact]
    public void Same_incarnation_and_status_tie_is_order_independent()
    {
        var x = new Member("a", "x:1", 5, MemberStatus.Up);
        var y = new Member("a", "y:1", 5, MemberStatus.Up);
        var s1 = new ClusterState(4);
        s1.Upsert(x);
        s1.Upsert(y);
        var s2 = new ClusterState(4);
        s2.Upsert(y);
        s2.Upsert(x);
        Assert.Equal(s1.Get("a"), s2.Get("a"));
        Assert.Equal(s1.Encode(), s2.Encode());
    }

    [Fact]
    public void SetStatus_moves_forward_only()
    {
        var s = State(4, ("a", MemberStatus.Up));
        Assert.False(s.SetStatus("a", MemberStatus.Joining));
        Assert.False(s.SetStatus("a", MemberStatus.Up));
        Assert.Equal(MemberStatus.Up, s.Get("a")!.Status);
        Assert.True(s.SetStatus("a", MemberStatus.Leaving));
        Assert.True(s.SetStatus("a", MemberStatus.Down));   // skipping Exiting is allowed
        Assert.False(s.SetStatus("a", MemberStatus.Exiting));
        Assert.Equal(MemberStatus.Down, s.Get("a")!.Status);
        Assert.Equal(1, s.Get("a")!.Incarnation);
        Assert.False(s.SetStatus("nobody", MemberStatus.Down));
        Assert.Null(s.Get("nobody"));
    }

    [Fact]
    public void Tombstones_stay_and_are_not_alive()
    {
        var s = State(4, ("a", MemberStatus.Up), ("b", MemberStatus.Up), ("c", MemberStatus.Up));
        s.SetStatus("b", MemberStatus.Down);
        s.SetStatus("c", MemberStatus.Removed);

        var other = State(4, ("b", MemberStatus.Up), ("c", MemberStatus.Leaving));
        s.Merge(other);
        Assert.Equal(["a", "b", "c"], s.Members.Select(m => m.NodeId));
        Assert.Equal(MemberStatus.Down, s.Get("b")!.Status);
        Assert.Equal(MemberStatus.Removed, s.Get("c")!.Status);
        Assert.False(s.Get("b")!.IsAlive);
        Assert.False(s.Get("c")!.IsAlive);
        Assert.Equal(["a"], s.AliveMembers().Select(m => m.NodeId));

        // And a merge the other way spreads the tombstones.
        Assert.True(other.Merge(s));
        Assert.Equal(MemberStatus.Down, other.Get("b")!.Status);
        Assert.Equal(MemberStatus.Removed, other.Get("c")!.Status);
    }

    [Fact]
    public void IsAlive_covers_Joining_to_Exiting()
    {
        Assert.True(M("a", MemberStatus.Joining).IsAlive);
        Assert.True(M("a", MemberStatus.Up).IsAlive);
        Assert.True(M("a", MemberStatus.Leaving).IsAlive);
        Assert.True(M("a", MemberStatus.Exiting).IsAlive);
        Assert.False(M("a", MemberStatus.Down).IsAlive);
        Assert.False(M("a", MemberStatus.Removed).IsAlive);
    }

    [Fact]
    public void Members_sorted_ordinal_AliveMembers_and_UpNodeIds()
    {
        var s = State(4, ("node-b", MemberStatus.Up), ("Node-Z", MemberStatus.Up), ("node-a", MemberStatus.Joining),
            ("node-c", MemberStatus.Leaving), ("node-d", MemberStatus.Down), ("node-e", MemberStatus.Up));
        Assert.Equal(["Node-Z", "node-a", "node-b", "node-c", "node-d", "node-e"], s.Members.Select(m => m.NodeId));
        Assert.Equal(["Node-Z", "node-a", "node-b", "node-c", "node-e"], s.AliveMembers().Select(m => m.NodeId));
        Assert.Equal(["Node-Z", "node-b", "node-e"], s.UpNodeIds());
    }

    [Fact]
    public void Upsert_rejects_strings_that_cannot_be_encoded()
    {
        var s = new ClusterState(4);
        Assert.Throws<ArgumentException>(() => s.Upsert(new Member(new string('x', 256), "a:1", 1, MemberStatus.Up)));
        Assert.Throws<ArgumentException>(() => s.Upsert(new Member("a", new string('é', 128), 1, MemberStatus.Up)));   // 256 bytes
        Assert.ThrowsAny<ArgumentException>(() => s.Upsert(new Member("a", "a:1", 1, (MemberStatus)9)));
        Assert.True(s.Upsert(new Member(new string('x', 255), new string('é', 127), 1, MemberStatus.Up)));
        Assert.Single(s.Members);
    }

    [Fact]
    public void Constructor_checks_shard_count()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new ClusterState(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ClusterState(16385));
        Assert.Equal(16384, new ClusterState(16384).ShardCount);
    }

    // ------------------------------------------------------------ shard table

    [Fact]
    public void Shard_owner_merge_higher_epoch_wins()
    {
        var s = new ClusterState(4);
        Assert.Null(s.Owner(2));
        Assert.True(s.SetOwner(2, new ShardOwner(3, "b", false)));
        Assert.False(s.SetOwner(2, new ShardOwner(2, "a", false)));
        Assert.False(s.SetOwner(2, new ShardOwner(3, "b", false)));
        Assert.Equal(new ShardOwner(3, "b", false), s.Owner(2));
        Assert.True(s.SetOwner(2, new ShardOwner(4, "c", true)));
        Assert.Equal(new ShardOwner(4, "c", true), s.Owner(2));
        Assert.Null(s.Owner(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => s.Owner(4));
        Assert.Throws<ArgumentOutOfRangeException>(() => s.SetOwner(-1, new ShardOwner(1, "a", false)));
    }

    [Fact]
    public void Shard_owner_equal_epoch_lower_node_id_wins_in_any_order()
    {
        var b = new ShardOwner(7, "b", false);
        var a = new ShardOwner(7, "a", false);
        var s1 = new ClusterState(1);
        s1.SetOwner(0, b);
        Assert.True(s1.SetOwner(0, a));
        var s2 = new ClusterState(1);
        s2.SetOwner(0, a);
        Assert.False(s2.SetOwner(0, b));
        Assert.Equal(a, s1.Owner(0));
        Assert.Equal(a, s2.Owner(0));

        // Equal epoch: a claim with data (not Fresh) beats a fresh assignment, whatever the node ids.
        var freshA = new ShardOwner(7, "a", true);
        var s5 = new ClusterState(1);
        s5.SetOwner(0, freshA);
        Assert.True(s5.SetOwner(0, b));
        var s6 = new ClusterState(1);
        s6.SetOwner(0, b);
        Assert.False(s6.SetOwner(0, freshA));
        Assert.Equal(b, s5.Owner(0));
        Assert.Equal(b, s6.Owner(0));

        // Same epoch and owner: Fresh = false wins, whatever the order.
        var fresh = new ShardOwner(7, "a", true);
        var handedOff = new ShardOwner(7, "a", false);
        var s3 = new ClusterState(1);
        s3.SetOwner(0, fresh);
        Assert.True(s3.SetOwner(0, handedOff));
        var s4 = new ClusterState(1);
        s4.SetOwner(0, handedOff);
        Assert.False(s4.SetOwner(0, fresh));
        Assert.Equal(handedOff, s3.Owner(0));
        Assert.Equal(handedOff, s4.Owner(0));
    }

    [Fact]
    public void Shard_table_merges_entry_by_entry()
    {
        var x = new ClusterState(3);
        x.SetOwner(0, new ShardOwner(5, "a", false));
        x.SetOwner(1, new ShardOwner(1, "a", true));
        var y = new ClusterState(3);
        y.SetOwner(0, new ShardOwner(4, "b", false));
        y.SetOwner(1, new ShardOwner(2, "b", false));
        y.SetOwner(2, new ShardOwner(1, "c", true));
        Assert.True(x.Merge(y));
        Assert.Equal(new ShardOwner(5, "a", false), x.Owner(0));
        Assert.Equal(new ShardOwner(2, "b", false), x.Owner(1));
        Assert.Equal(new ShardOwner(1, "c", true), x.Owner(2));
        Assert.False(x.Merge(y));
    }

    [Fact]
    public void Merge_rejects_a_different_shard_count()
    {
        Assert.Throws<ArgumentException>(() => new ClusterState(4).Merge(new ClusterState(8)));
    }

    // ------------------------------------------------------------ reachability

    [Fact]
    public void Reachability_set_and_clear()
    {
        var s = Up(4, "a", "b", "c");
        Assert.Empty(s.Unreachable());
        Assert.False(s.SetReachability("a", "b", false));   // no record = reachable: unchanged
        Assert.True(s.SetReachability("a", "b", true));
        Assert.False(s.SetReachability("a", "b", true));
        Assert.Equal(["b"], s.Unreachable());
        Assert.True(s.SetReachability("c", "b", true));
        Assert.True(s.SetReachability("a", "b", false));
        Assert.Equal(["b"], s.Unreachable());               // c still says so: any valid record counts
        Assert.True(s.SetReachability("c", "b", false));
        Assert.Empty(s.Unreachable());
    }

    [Fact]
    public void Reachability_needs_two_distinct_live_members()
    {
        var s = State(4, ("a", MemberStatus.Up), ("d", MemberStatus.Down), ("j", MemberStatus.Joining));
        Assert.False(s.SetReachability("a", "a", true));
        Assert.False(s.SetReachability("x", "a", true));
        Assert.False(s.SetReachability("a", "x", true));
        Assert.False(s.SetReachability("d", "a", true));
        Assert.False(s.SetReachability("a", "d", true));
        Assert.True(s.SetReachability("a", "j", true));     // Joining is live
        Assert.Equal(["j"], s.Unreachable());
    }

    [Fact]
    public void Reachability_higher_version_wins_on_merge()
    {
        var a = Up(4, "o", "x");
        a.SetReachability("o", "x", true);                  // v1
        var old = a.Clone();
        a.SetReachability("o", "x", false);                 // v2
        Assert.False(a.Merge(old));                         // v1 loses to v2
        Assert.Empty(a.Unreachable());
        Assert.True(old.Merge(a));
        Assert.Empty(old.Unreachable());
        Assert.Equal(a.Encode(), old.Encode());

        a.SetReachability("o", "x", true);                  // v3
        Assert.True(old.Merge(a));
        Assert.Equal(["x"], old.Unreachable());
    }

    [Fact]
    public void Conflicting_records_with_equal_versions_merge_deterministically()
    {
        // Never produced by one writer (the value follows the version), but a peer could send it: both merge
        // orders must agree (unreachable wins the tie).
        var a = Up(4, "o", "x");
        a.SetReachability("o", "x", true);                  // v1, unreachable
        var bytes = a.Encode();
        bytes[EncodingLayout.Parse(bytes).RecordUnreachableOffsets[0]] = 0;
        var b = ClusterState.Decode(bytes);                 // v1, reachable
        Assert.Empty(b.Unreachable());

        var ab = a.Clone();
        Assert.False(ab.Merge(b));
        var ba = b.Clone();
        Assert.True(ba.Merge(a));
        Assert.Equal(ab.Encode(), ba.Encode());
        Assert.Equal(["x"], ba.Unreachable());
    }

    [Fact]
    public void Restarted_observer_old_records_are_ignored_and_pruned()
    {
        var s = Up(4, "o", "x");
        s.SetReachability("o", "x", true);
        var before = s.Clone();
        Assert.Equal(["x"], s.Unreachable());

        Assert.True(s.Upsert(M("o", MemberStatus.Joining, incarnation: 2)));   // o restarted
        Assert.Empty(s.Unreachable());
        Assert.Equal(0, EncodedRecordCount(s));

        // Gossip of the old state does not bring the old incarnation's record back.
        s.Merge(before);
        Assert.Empty(s.Unreachable());
        Assert.Equal(0, EncodedRecordCount(s));
        // And the old state, once merged with the new one, drops it too: both agree.
        Assert.True(before.Merge(s));
        Assert.Empty(before.Unreachable());
        Assert.Equal(s.Encode(), before.Encode());

        // The new incarnation writes its own records.
        Assert.True(s.SetReachability("o", "x", true));
        Assert.Equal(["x"], s.Unreachable());
    }

    [Fact]
    public void Records_about_or_by_a_downed_member_are_dropped_and_never_revive()
    {
        var s = Up(4, "o", "x", "y");
        s.SetReachability("o", "x", true);
        s.SetReachability("x", "y", true);
        var before = s.Clone();
        Assert.Equal(["x", "y"], s.Unreachable().Order(StringComparer.Ordinal));

        Assert.True(s.SetStatus("x", MemberStatus.Down));
        Assert.Empty(s.Unreachable());
        Assert.Equal(0, EncodedRecordCount(s));

        // x restarts as a new incarnation; whatever the order of merges, o's record about the old x stays dead.
        var rejoin = new ClusterState(4);
        rejoin.Upsert(M("x", MemberStatus.Joining, incarnation: 2));
        var viaDown = s.Clone();
        viaDown.Merge(rejoin);
        viaDown.Merge(before);
        var direct = before.Clone();
        direct.Merge(rejoin);
        direct.Merge(s);
        Assert.Empty(viaDown.Unreachable());
        Assert.Empty(direct.Unreachable());
        Assert.Equal(viaDown.Encode(), direct.Encode());
    }

    [Fact]
    public void Merge_prunes_records_made_invalid_by_the_other_side()
    {
        var s = Up(4, "o", "x");
        s.SetReachability("o", "x", true);
        var other = Up(4, "o", "x");
        other.SetStatus("o", MemberStatus.Removed);
        Assert.True(s.Merge(other));
        Assert.Empty(s.Unreachable());
        Assert.Equal(0, EncodedRecordCount(s));
    }

    // ------------------------------------------------------------ digest / clone

    [Fact]
    public void Digest_tracks_changes_and_is_order_independent()
    {
        var s1 = new ClusterState(8);
        var s2 = new ClusterState(8);
        Assert.Equal(s1.Digest, s2.Digest);
        ulong empty = s1.Digest;

        s1.Upsert(M("a", MemberStatus.Up));
        Assert.NotEqual(empty, s1.Digest);
        s1.Upsert(M("b", MemberStatus.Up));
        s1.SetOwner(3, new ShardOwner(1, "a", true));
        s1.SetReachability("a", "b", true);

        s2.Upsert(M("b", MemberStatus.Joining));
        s2.SetOwner(3, new ShardOwner(1, "a", true));
        s2.Upsert(M("a", MemberStatus.Up));
        s2.Upsert(M("b", MemberStatus.Up));
        Assert.NotEqual(s1.Digest, s2.Digest);
        s2.SetReachability("a", "b", true);
        Assert.Equal(s1.Digest, s2.Digest);
        Assert.Equal(s1.Encode(), s2.Encode());

        ulong d = s1.Digest;
        s1.SetStatus("b", MemberStatus.Leaving);
        Assert.NotEqual(d, s1.Digest);
    }

    [Fact]
    public void Clone_is_independent()
    {
        var s = Up(4, "a", "b");
        s.SetOwner(0, new ShardOwner(1, "a", true));
        s.SetReachability("a", "b", true);
        ulong digest = s.Digest;
        var c = s.Clone();
        Assert.Equal(s.Encode(), c.Encode());
        Assert.Equal(digest, c.Digest);

        c.SetStatus("a", MemberStatus.Leaving);
        c.SetOwner(0, new ShardOwner(2, "b", false));
        c.SetReachability("a", "b", false);
        c.Upsert(M("c", MemberStatus.Joining));
        Assert.Equal(MemberStatus.Up, s.Get("a")!.Status);
        Assert.Equal(new ShardOwner(1, "a", true), s.Owner(0));
        Assert.Equal(["b"], s.Unreachable());
        Assert.Null(s.Get("c"));
        Assert.Equal(digest, s.Digest);
        Assert.NotEqual(digest, c.Digest);
    }

    [Fact]
    public void Members_is_a_snapshot()
    {
        var s = Up(4, "a", "b");
        var snapshot = s.Members;
        s.Upsert(M("c", MemberStatus.Up));
        foreach (var m in s.Members) s.SetStatus(m.NodeId, MemberStatus.Leaving);   // mutating while iterating is fine
        Assert.Equal(2, snapshot.Count);
        Assert.All(s.Members, m => Assert.Equal(MemberStatus.Leaving, m.Status));
    }

    /// <summary>How many reachability records the canonical encoding carries (and it round-trips).</summary>
    internal static int EncodedRecordCount(ClusterState s)
    {
        var bytes = s.Encode();
        Assert.Equal(bytes, ClusterState.Decode(bytes).Encode());
        return EncodingLayout.Parse(bytes).RecordCount;
    }
}
