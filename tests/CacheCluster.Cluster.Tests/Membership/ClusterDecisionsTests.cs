using CacheCluster.Cluster.Membership;
using CacheCluster.Cluster.Placement;
using static CacheCluster.Cluster.Tests.Membership.StateBuilder;

namespace CacheCluster.Cluster.Tests.Membership;

public class ClusterDecisionsTests
{
    // ------------------------------------------------------------ leader

    [Fact]
    public void Leader_is_the_lowest_up_or_leaving_member()
    {
        var s = State(4, ("c", MemberStatus.Up), ("b", MemberStatus.Leaving), ("d", MemberStatus.Up), ("a", MemberStatus.Joining));
        Assert.Equal("b", ClusterDecisions.Leader(s));
        s.SetStatus("b", MemberStatus.Exiting);
        Assert.Equal("c", ClusterDecisions.Leader(s));
    }

    [Fact]
    public void Unreachable_leader_is_skipped()
    {
        var s = Up(4, "a", "b", "c");
        Assert.Equal("a", ClusterDecisions.Leader(s));
        s.SetReachability("c", "a", true);
        Assert.Equal("b", ClusterDecisions.Leader(s));
        s.SetReachability("c", "a", false);
        Assert.Equal("a", ClusterDecisions.Leader(s));
    }

    [Fact]
    public void Leader_falls_back_to_the_lowest_reachable_joining_member()
    {
        var s = State(4, ("j2", MemberStatus.Joining), ("j1", MemberStatus.Joining), ("a", MemberStatus.Down),
            ("b", MemberStatus.Exiting), ("c", MemberStatus.Removed));
        Assert.Equal("j1", ClusterDecisions.Leader(s));
        s.SetReachability("j2", "j1", true);
        Assert.Equal("j2", ClusterDecisions.Leader(s));

        var t = Up(4, "u");
        t.Upsert(M("z", MemberStatus.Joining));
        t.SetReachability("z", "u", true);
        Assert.Equal("z", ClusterDecisions.Leader(t));   // the only Up member is unreachable
    }

    [Fact]
    public void No_leader_without_candidates()
    {
        Assert.Null(ClusterDecisions.Leader(new ClusterState(4)));
        Assert.Null(ClusterDecisions.Leader(State(4, ("a", MemberStatus.Down), ("b", MemberStatus.Exiting))));
        var s = Up(4, "a", "b");
        s.SetReachability("a", "b", true);
        s.SetReachability("b", "a", true);
        Assert.Null(ClusterDecisions.Leader(s));
    }

    // ------------------------------------------------------------ convergence

    private static Dictionary<string, ulong> Seen(ClusterState s, params string[] ids) =>
        ids.ToDictionary(id => id, _ => s.Digest);

    [Fact]
    public void Converged_when_every_other_member_has_seen_the_digest()
    {
        var s = State(4, ("a", MemberStatus.Up), ("b", MemberStatus.Up), ("c", MemberStatus.Leaving), ("j", MemberStatus.Joining));
        Assert.True(ClusterDecisions.Converged(s, "a", Seen(s, "b", "c", "j")));
        Assert.True(ClusterDecisions.Converged(s, "a", Seen(s, "a", "b", "c", "j")));
        Assert.False(ClusterDecisions.Converged(s, "a", Seen(s, "b", "c")));       // the Joining member counts
        Assert.False(ClusterDecisions.Converged(s, "a", Seen(s, "b", "j")));       // so does the Leaving one

        var stale = Seen(s, "b", "c", "j");
        stale["c"] = s.Digest ^ 1;
        Assert.False(ClusterDecisions.Converged(s, "a", stale));

        // A change invalidates what the others have seen.
        var seen = Seen(s, "b", "c", "j");
        s.SetOwner(0, new ShardOwner(1, "a", true));
        Assert.False(ClusterDecisions.Converged(s, "a", seen));
    }

    [Fact]
    public void Exiting_down_and_removed_members_are_not_waited_for()
    {
        var s = State(4, ("a", MemberStatus.Up), ("b", MemberStatus.Up), ("x", MemberStatus.Exiting),
            ("d", MemberStatus.Down), ("r", MemberStatus.Removed));
        Assert.True(ClusterDecisions.Converged(s, "a", Seen(s, "b")));
        Assert.True(ClusterDecisions.Converged(s, "b", Seen(s, "a")));
        Assert.True(ClusterDecisions.Converged(Up(4, "a"), "a", new Dictionary<string, ulong>()));
    }

    [Fact]
    public void Not_converged_while_a_member_is_unreachable()
    {
        var s = Up(4, "a", "b", "c");
        s.SetReachability("a", "c", true);
        Assert.False(ClusterDecisions.Converged(s, "a", Seen(s, "b", "c")));
        s.SetStatus("c", MemberStatus.Down);   // downing it clears its records
        Assert.True(ClusterDecisions.Converged(s, "a", Seen(s, "b")));

        var j = Up(4, "a", "b");
        j.Upsert(M("j", MemberStatus.Joining));
        j.SetReachability("b", "j", true);
        Assert.False(ClusterDecisions.Converged(j, "a", Seen(j, "b", "j")));
    }

    // ------------------------------------------------------------ keep-majority

    [Fact]
    public void Three_nodes_one_isolated_both_views()
    {
        // Majority view (a, b): c unreachable.
        var majority = Up(4, "a", "b", "c");
        Cut(majority, ["a", "b"], ["c"]);
        Assert.Equal(DowningDecision.DownUnreachable, ClusterDecisions.KeepMajority(majority, "a"));
        Assert.Equal(DowningDecision.DownUnreachable, ClusterDecisions.KeepMajority(majority, "b"));

        // Minority view (c): a and b unreachable.
        var minority = Up(4, "a", "b", "c");
        Cut(minority, ["c"], ["a", "b"]);
        Assert.Equal(DowningDecision.FenceSelf, ClusterDecisions.KeepMajority(minority, "c"));
    }

    [Fact]
    public void Two_two_split_goes_to_the_side_with_the_lowest_id()
    {
        var left = Up(4, "a", "b", "c", "d");
        Cut(left, ["a", "b"], ["c", "d"]);
        Assert.Equal(DowningDecision.DownUnreachable, ClusterDecisions.KeepMajority(left, "a"));
        Assert.Equal(DowningDecision.DownUnreachable, ClusterDecisions.KeepMajority(left, "b"));

        var right = Up(4, "a", "b", "c", "d");
        Cut(right, ["c", "d"], ["a", "b"]);
        Assert.Equal(DowningDecision.FenceSelf, ClusterDecisions.KeepMajority(right, "c"));
        Assert.Equal(DowningDecision.FenceSelf, ClusterDecisions.KeepMajority(right, "d"));

        // Interleaved split {a, c} | {b, d}: a's side has the lowest id.
        var ac = Up(4, "a", "b", "c", "d");
        Cut(ac, ["a", "c"], ["b", "d"]);
        Assert.Equal(DowningDecision.DownUnreachable, ClusterDecisions.KeepMajority(ac, "c"));
        var bd = Up(4, "a", "b", "c", "d");
        Cut(bd, ["b", "d"], ["a", "c"]);
        Assert.Equal(DowningDecision.FenceSelf, ClusterDecisions.KeepMajority(bd, "b"));
    }

    [Fact]
    public void Five_nodes_two_three_split()
    {
        var three = Up(4, "a", "b", "c", "d", "e");
        Cut(three, ["c", "d", "e"], ["a", "b"]);
        foreach (var self in new[] { "c", "d", "e" })
            Assert.Equal(DowningDecision.DownUnreachable, ClusterDecisions.KeepMajority(three, self));

        var two = Up(4, "a", "b", "c", "d", "e");
        Cut(two, ["a", "b"], ["c", "d", "e"]);
        foreach (var self in new[] { "a", "b" })
            Assert.Equal(DowningDecision.FenceSelf, ClusterDecisions.KeepMajority(two, self));   // lowest id does not help a minority
    }

    [Fact]
    public void Joining_members_are_not_counted()
    {
        // a, b, c Up; j1, j2 Joining and reachable from a. If they counted, a's side would be 3 of 5.
        var s = Up(4, "a", "b", "c");
        s.Upsert(M("j1", MemberStatus.Joining));
        s.Upsert(M("j2", MemberStatus.Joining));
        Cut(s, ["a"], ["b", "c"]);
        Assert.Equal(DowningDecision.FenceSelf, ClusterDecisions.KeepMajority(s, "a"));

        // Only a Joining member unreachable: nothing to decide.
        var t = Up(4, "a", "b");
        t.Upsert(M("j", MemberStatus.Joining));
        t.SetReachability("a", "j", true);
        Assert.Equal(DowningDecision.None, ClusterDecisions.KeepMajority(t, "a"));

        // A Joining self does not vote.
        var u = Up(4, "a", "b", "c");
        u.Upsert(M("j", MemberStatus.Joining));
        Cut(u, ["j"], ["b", "c"]);
        Assert.Equal(DowningDecision.None, ClusterDecisions.KeepMajority(u, "j"));
    }

    [Fact]
    public void Leaving_counts_exiting_and_down_do_not()
    {
        var s = State(4, ("a", MemberStatus.Up), ("b", MemberStatus.Leaving), ("c", MemberStatus.Up),
            ("x", MemberStatus.Exiting), ("d", MemberStatus.Down));
        Cut(s, ["a", "b"], ["c"]);
        Assert.Equal(DowningDecision.DownUnreachable, ClusterDecisions.KeepMajority(s, "b"));
        Assert.True(s.SetReachability("a", "x", true));   // an unreachable Exiting member alone decides nothing
        Assert.Equal(DowningDecision.DownUnreachable, ClusterDecisions.KeepMajority(s, "a"));

        var t = State(4, ("a", MemberStatus.Up), ("b", MemberStatus.Up), ("x", MemberStatus.Exiting));
        t.SetReachability("a", "x", true);
        Assert.Equal(DowningDecision.None, ClusterDecisions.KeepMajority(t, "a"));
    }

    [Fact]
    public void Nothing_unreachable_means_no_decision()
    {
        Assert.Equal(DowningDecision.None, ClusterDecisions.KeepMajority(Up(4, "a", "b", "c"), "a"));
        Assert.Equal(DowningDecision.None, ClusterDecisions.KeepMajority(Up(4, "a"), "a"));
        var s = Up(4, "a", "b", "c");
        Cut(s, ["a"], ["c"]);
        Assert.Equal(DowningDecision.None, ClusterDecisions.KeepMajority(s, "stranger"));
    }

    // ------------------------------------------------------------ orphans and leader actions

    [Fact]
    public void IsOrphan_cases()
    {
        var s = State(4, ("a", MemberStatus.Up), ("x", MemberStatus.Exiting), ("d", MemberStatus.Down));
        s.SetOwner(0, new ShardOwner(1, "a", false));
        s.SetOwner(1, new ShardOwner(1, "x", false));
        s.SetOwner(2, new ShardOwner(1, "d", false));
        Assert.False(ClusterDecisions.IsOrphan(s, 0));
        Assert.False(ClusterDecisions.IsOrphan(s, 1));   // Exiting is still live
        Assert.True(ClusterDecisions.IsOrphan(s, 2));    // Down owner
        Assert.True(ClusterDecisions.IsOrphan(s, 3));    // no entry
        s.SetOwner(3, new ShardOwner(1, "unknown", false));
        Assert.True(ClusterDecisions.IsOrphan(s, 3));
    }

    [Fact]
    public void Leader_actions_move_statuses()
    {
        var s = State(4, ("a", MemberStatus.Up), ("j", MemberStatus.Joining), ("l", MemberStatus.Leaving),
            ("x", MemberStatus.Exiting), ("d", MemberStatus.Down), ("r", MemberStatus.Removed));
        Assert.True(ClusterDecisions.ApplyLeaderActions(s, assignOrphans: false));
        Assert.Equal(MemberStatus.Up, s.Get("a")!.Status);
        Assert.Equal(MemberStatus.Up, s.Get("j")!.Status);
        Assert.Equal(MemberStatus.Leaving, s.Get("l")!.Status);
        Assert.Equal(MemberStatus.Removed, s.Get("x")!.Status);
        Assert.Equal(MemberStatus.Removed, s.Get("d")!.Status);
        Assert.Equal(MemberStatus.Removed, s.Get("r")!.Status);
        Assert.All(Enumerable.Range(0, 4), shard => Assert.Null(s.Owner(shard)));   // not assigned
        Assert.False(ClusterDecisions.ApplyLeaderActions(s, assignOrphans: false));
    }

    [Fact]
    public void Orphans_go_to_their_desired_owner_at_epoch_plus_one_fresh()
    {
        const int shards = 64;
        var s = State(shards, ("a", MemberStatus.Up), ("b", MemberStatus.Joining), ("c", MemberStatus.Up), ("d", MemberStatus.Up));
        // Shards 0..9 owned by d at epoch 5; 10..19 by a (live, whatever placement says); the rest unowned.
        for (int i = 0; i < 10; i++) s.SetOwner(i, new ShardOwner(5, "d", false));
        for (int i = 10; i < 20; i++) s.SetOwner(i, new ShardOwner(3, "a", false));
        s.SetStatus("d", MemberStatus.Down);

        Assert.True(ClusterDecisions.ApplyLeaderActions(s, assignOrphans: true));
        Assert.Equal(MemberStatus.Up, s.Get("b")!.Status);
        Assert.Equal(MemberStatus.Removed, s.Get("d")!.Status);

        var desired = ShardPlacement.Compute(["a", "b", "c"], shards);   // b moved Up first, so it is a target
        Assert.Equal(desired, ClusterDecisions.DesiredOwners(s));
        Assert.Contains("b", desired);
        for (int i = 0; i < shards; i++)
        {
            var owner = s.Owner(i)!.Value;
            if (i < 10) Assert.Equal(new ShardOwner(6, desired[i]!, true), owner);
            else if (i < 20) Assert.Equal(new ShardOwner(3, "a", false), owner);   // owned by a live member: untouched
            else Assert.Equal(new ShardOwner(1, desired[i]!, true), owner);
            Assert.False(ClusterDecisions.IsOrphan(s, i));
        }
        Assert.False(ClusterDecisions.ApplyLeaderActions(s, assignOrphans: true));
    }

    [Fact]
    public void Shards_of_leaving_members_are_not_reassigned()
    {
        var s = Up(8, "a", "b");
        for (int i = 0; i < 8; i++) s.SetOwner(i, new ShardOwner(2, "a", false));
        s.SetStatus("a", MemberStatus.Leaving);
        Assert.False(ClusterDecisions.ApplyLeaderActions(s, assignOrphans: true));
        Assert.All(Enumerable.Range(0, 8), i => Assert.Equal(new ShardOwner(2, "a", false), s.Owner(i)));
        Assert.All(ClusterDecisions.DesiredOwners(s), o => Assert.Equal("b", o));
    }

    [Fact]
    public void No_up_member_no_assignment()
    {
        var s = State(8, ("l", MemberStatus.Leaving), ("d", MemberStatus.Down));
        s.SetOwner(0, new ShardOwner(4, "d", false));
        Assert.True(ClusterDecisions.ApplyLeaderActions(s, assignOrphans: true));   // d → Removed
        Assert.Equal(new ShardOwner(4, "d", false), s.Owner(0));
        Assert.All(Enumerable.Range(1, 7), i => Assert.Null(s.Owner(i)));
        Assert.All(ClusterDecisions.DesiredOwners(s), Assert.Null);
        Assert.False(ClusterDecisions.ApplyLeaderActions(s, assignOrphans: true));
    }

    [Fact]
    public void Assignment_is_deferred_until_allowed()
    {
        var s = Up(16, "a", "b");
        var before = s.Encode();
        Assert.False(ClusterDecisions.ApplyLeaderActions(s, assignOrphans: false));
        Assert.Equal(before, s.Encode());
        Assert.True(ClusterDecisions.ApplyLeaderActions(s, assignOrphans: true));
        Assert.All(Enumerable.Range(0, 16), i => Assert.Equal(1, s.Owner(i)!.Value.Epoch));
    }
}
