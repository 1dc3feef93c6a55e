namespace CacheCluster.Cluster.Membership;

/// <summary>
/// One member incarnation: <paramref name="NodeId"/> is stable across restarts, <paramref name="Incarnation"/>
/// is the process start time (Unix ms), <paramref name="Address"/> the advertised host:port of its cluster port.
/// </summary>
public sealed record Member(string NodeId, string Address, long Incarnation, MemberStatus Status)
{
    /// <summary>Joining/Up/Leaving/Exiting: a live member that may own shards.</summary>
    public bool IsAlive => Status <= MemberStatus.Exiting;
}
