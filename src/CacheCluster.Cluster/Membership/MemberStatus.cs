namespace CacheCluster.Cluster.Membership;

/// <summary>
/// Lifecycle of a member incarnation. Only ever moves forward (a higher value replaces a lower one
/// for the same incarnation); Down may be reached from any earlier state.
/// </summary>
public enum MemberStatus : byte
{
    Joining = 0,
    Up = 1,
    Leaving = 2,
    Exiting = 3,
    Down = 4,
    Removed = 5,
}
