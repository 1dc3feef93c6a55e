using CacheCluster.Cluster.Membership;

namespace CacheCluster.Cluster.Node;

/// <summary>What /cluster, INFO cluster, CLUSTER INFO and memcached stats show: an immutable snapshot.</summary>
public sealed record ClusterView(
    string Self,
    string? Leader,
    string State,                     // joining | ok | leaving | fenced | exited
    int ShardCount,
    IReadOnlyList<MemberView> Members,
    int ShardsOwned,
    int HandoffsInProgress,
    long HandoffsDone,
    long MaxEpoch,
    bool Ready,
    string NotReadyReason,
    int MovesPending)                 // shards whose owner is not yet their desired owner (hand-offs to come)
{
    public int KnownMembers => Members.Count(m => m.Status is not (MemberStatus.Removed));
    public int UpMembers => Members.Count(m => m.Status == MemberStatus.Up);
    public int MembersOwningShards => Members.Count(m => m.Shards.Count > 0);
}

public sealed record MemberView(string Id, string Address, MemberStatus Status, long Incarnation, bool Reachable, IReadOnlyList<int> Shards)
{
    public string StatusName => Status.ToString().ToLowerInvariant();
}
