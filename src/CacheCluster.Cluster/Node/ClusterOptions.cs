namespace CacheCluster.Cluster.Node;

public enum Discovery : byte { Static, Dns }

/// <summary>Settings of a node's cluster membership (the host fills them from the node options).</summary>
public sealed class ClusterOptions
{
    public required string NodeId { get; init; }
    /// <summary>IP the cluster port listens on; outgoing links bind their local end to it too.</summary>
    public required string BindAddress { get; init; }
    public required int Port { get; init; }
    /// <summary>host:port peers use to reach this node.</summary>
    public required string Advertise { get; init; }
    public IReadOnlyList<string> Seeds { get; init; } = [];
    public Discovery Discovery { get; init; } = Discovery.Static;
    public string? DnsName { get; init; }
    public string Secret { get; init; } = "";
    /// <summary>Names resolved from this /etc/hosts-style file before DNS (tests; networks without DNS).</summary>
    public string? HostsFile { get; init; }
    public required int ShardCount { get; init; }

    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromMilliseconds(500);
    public double AcceptableHeartbeatPauseMs { get; init; } = 2000;
    /// <summary>Unreachability must stay unchanged this long before anyone is downed (or fences itself).</summary>
    public TimeSpan StableAfter { get; init; } = TimeSpan.FromSeconds(3);
    /// <summary>After downing, wait this long before re-homing the downed node's shards (the minority has fenced itself by then).</summary>
    public TimeSpan DownRemovalMargin { get; init; } = TimeSpan.FromSeconds(1);
    /// <summary>The first seed forms a new cluster when no other seed has answered as a member within this time.</summary>
    public TimeSpan FormAfter { get; init; } = TimeSpan.FromSeconds(3);
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(10);
    public int MaxConcurrentHandoffs { get; init; } = 8;
}
