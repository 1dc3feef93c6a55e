using System.Runtime.CompilerServices;

// Tests call CheckInvariants() after randomized operation sequences.
[assembly: InternalsVisibleTo("CacheCluster.Storage.Tests")]
