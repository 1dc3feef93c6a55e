namespace CacheCluster.Cluster.Membership;

/// <summary>Outcome of the keep-majority split-brain strategy at one node.</summary>
public enum DowningDecision : byte
{
    /// <summary>Nothing unreachable (or this node is not a voter): nothing to do.</summary>
    None,
    /// <summary>This node is on the surviving side: the leader marks the unreachable members Down.</summary>
    DownUnreachable,
    /// <summary>This node is on the minority side: stop serving every shard and rejoin later as a new incarnation.</summary>
    FenceSelf,
}
