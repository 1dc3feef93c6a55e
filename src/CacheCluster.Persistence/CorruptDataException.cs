namespace CacheCluster.Persistence;

/// <summary>Stored bytes that cannot be what this code wrote: a damaged file or a newer format.</summary>
public sealed class CorruptDataException(string message) : Exception(message);
