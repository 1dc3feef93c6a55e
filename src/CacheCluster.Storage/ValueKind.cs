namespace CacheCluster.Storage;

/// <summary>Type of the value object an entry holds (Redis TYPE). Later additions: List, Hash, Set, SortedSet.</summary>
public enum ValueKind : byte
{
    String = 0,
}
