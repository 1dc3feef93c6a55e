namespace CacheCluster.Cluster.Membership;

/// <summary>Thrown by <see cref="ClusterState.Decode"/> on any malformed input.</summary>
public sealed class ClusterStateFormatException(string message) : Exception(message);
