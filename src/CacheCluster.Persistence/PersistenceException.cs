namespace CacheCluster.Persistence;

/// <summary>The journal cannot be used (damaged, wrong shape, unwritable); the message names the file and says why.</summary>
public sealed class PersistenceException(string message, Exception? inner = null) : Exception(message, inner);
