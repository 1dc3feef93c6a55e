namespace CacheCluster.Cluster; internal static class AssemblyMarker { }
