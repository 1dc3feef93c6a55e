namespace CacheCluster.Integration.Tests.Infrastructure;

/// <summary>
/// One node (plus one reference redis-server) shared by tests that don't interfere with each other:
/// they use distinct key prefixes and never FLUSHALL or change configuration.
/// </summary>
public sealed class SharedNodeFixture : IAsyncLifetime
{
    private NodeProcess? _node;
    private RedisServerProcess? _redis;

    public NodeProcess Node => _node ?? throw new InvalidOperationException("node not started");
    public RedisServerProcess Redis => _redis ?? throw new InvalidOperationException("redis-server not started");

    public async Task InitializeAsync()
    {
        _redis = await RedisServerProcess.StartAsync();
        // Same eviction policy as the reference redis-server's default, so outputs (CONFIG GET...) are comparable.
        _node = await NodeProcess.StartAsync(new NodeOptions { MaxMemoryPolicy = "noeviction" });
    }

    public async Task DisposeAsync()
    {
        if (_node != null) await _node.DisposeAsync();
        if (_redis != null) await _redis.DisposeAsync();
    }

    /// <summary>A key prefix unique to the calling test.</summary>
    public static string Prefix(string testName) => $"{testName}:{Guid.NewGuid().ToString("N")[..8]}:";
}

[CollectionDefinition(Name)]
public sealed class SharedNodeCollection : ICollectionFixture<SharedNodeFixture>
{
    public const string Name = "shared-node";
}
