namespace CacheCluster.Cluster.Membership;

/// <summary>
/// Shard table entry. Merge: higher <paramref name="Epoch"/> wins; equal epoch → lower <paramref name="NodeId"/>
/// (ordinal) wins; equal epoch and owner → <c>Fresh = false</c> wins. <paramref name="Fresh"/>: the owner got the
/// shard without a hand-off, so it may use local state only if that state is at exactly <c>Epoch - 1</c>.
/// </summary>
public readonly record struct ShardOwner(long Epoch, string NodeId, bool Fresh);
