using CacheCluster.Cluster.Placement;

namespace CacheCluster.Cluster.Membership;

/// <summary>Pure decisions over a <see cref="ClusterState"/>: leader, convergence, keep-majority downing, leader actions.</summary>
public static class ClusterDecisions
{
    /// <summary>Lowest NodeId (ordinal) among Up/Leaving members that are not unreachable; none → the lowest Joining
    /// member that is not unreachable; else null.</summary>
    public static string? Leader(ClusterState s)
    {
        var unreachable = s.Unreachable();
        string? joining = null;
        foreach (var m in s.AliveMembers())   // sorted by NodeId
        {
            if (unreachable.Contains(m.NodeId)) continue;
            if (m.Status is MemberStatus.Up or MemberStatus.Leaving) return m.NodeId;
            if (m.Status == MemberStatus.Joining) joining ??= m.NodeId;
        }
        return joining;
    }

    /// <summary>True iff no Joining/Up/Leaving member is unreachable and every Joining/Up/Leaving member other
    /// than <paramref name="selfId"/> last reported this state's digest.</summary>
    public static bool Converged(ClusterState s, string selfId, IReadOnlyDictionary<string, ulong> seenDigests)
    {
        var unreachable = s.Unreachable();
        ulong digest = s.Digest;
        foreach (var m in s.Members)
        {
            if (!IsVoting(m) && m.Status != MemberStatus.Joining) continue;
            if (unreachable.Contains(m.NodeId)) return false;
            if (string.Equals(m.NodeId, selfId, StringComparison.Ordinal)) continue;
            if (!seenDigests.TryGetValue(m.NodeId, out var seen) || seen != digest) return false;
        }
        return true;
    }

    /// <summary>
    /// Keep-majority split-brain decision at <paramref name="selfId"/>, over the Up/Leaving members. Nothing
    /// unreachable, or self not among them → None. The reachable side wins when it holds more than half of them
    /// (exactly half: when it holds the lowest NodeId) → DownUnreachable; otherwise → FenceSelf.
    /// The caller applies it only once the unreachable set has been stable for a while.
    /// </summary>
    public static DowningDecision KeepMajority(ClusterState s, string selfId)
    {
        var unreachable = s.Unreachable();
        int considered = 0, reachable = 0, unreachableCount = 0;
        bool selfConsidered = false;
        string? lowest = null;
        bool lowestReachable = false;
        foreach (var m in s.Members)   // sorted by NodeId: the first considered is the lowest
        {
            if (!IsVoting(m)) continue;
            considered++;
            bool isUnreachable = unreachable.Contains(m.NodeId);
            if (isUnreachable) unreachableCount++;
            else reachable++;
            if (lowest is null)
            {
                lowest = m.NodeId;
                lowestReachable = !isUnreachable;
            }
            if (string.Equals(m.NodeId, selfId, StringComparison.Ordinal)) selfConsidered = true;
        }
        if (unreachableCount == 0 || !selfConsidered) return DowningDecision.None;
        if (2 * reachable > considered) return DowningDecision.DownUnreachable;
        if (2 * reachable == considered && lowestReachable) return DowningDecision.DownUnreachable;
        return DowningDecision.FenceSelf;
    }

    /// <summary>No table entry, or the owner is not a live (Joining/Up/Leaving/Exiting) member.</summary>
    public static bool IsOrphan(ClusterState s, int shard)
    {
        if (s.Owner(shard) is not { } owner) return true;
        return s.Get(owner.NodeId) is not { IsAlive: true };
    }

    /// <summary>
    /// Leader actions (the caller checks it is the leader and converged): Joining → Up, Exiting → Removed,
    /// Down → Removed; then, if <paramref name="assignOrphans"/>, every orphan shard goes to its desired owner
    /// (placement over the Up members after the status moves) at old epoch + 1 (or 1), Fresh. No Up member →
    /// no assignment. True if the state changed.
    /// </summary>
    public static bool ApplyLeaderActions(ClusterState s, bool assignOrphans)
    {
        bool changed = false;
        foreach (var m in s.Members)   // a snapshot: safe to mutate while iterating
        {
            var next = m.Status switch
            {
                MemberStatus.Joining => MemberStatus.Up,
                MemberStatus.Exiting or MemberStatus.Down => MemberStatus.Removed,
                _ => m.Status,
            };
            if (next != m.Status) changed |= s.SetStatus(m.NodeId, next);
        }
        if (!assignOrphans) return changed;

        var desired = DesiredOwners(s);
        for (int shard = 0; shard < s.ShardCount; shard++)
        {
            if (desired[shard] is not { } target || !IsOrphan(s, shard)) continue;
            long epoch = s.Owner(shard) is { } old ? old.Epoch + 1 : 1;
            changed |= s.SetOwner(shard, new ShardOwner(epoch, target, Fresh: true));
        }
        return changed;
    }

    /// <summary>Desired owner of every shard: <see cref="ShardPlacement.Compute"/> over the Up members
    /// (all null when there is no Up member).</summary>
    public static string?[] DesiredOwners(ClusterState s) => ShardPlacement.Compute(s.UpNodeIds(), s.ShardCount);

    private static bool IsVoting(Member m) => m.Status is MemberStatus.Up or MemberStatus.Leaving;
}
