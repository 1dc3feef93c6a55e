using CacheCluster.Persistence;
using CacheCluster.Storage;

namespace CacheCluster.Server.Hosting;

/// <summary>The settings of one node, after defaults, config file, environment and flags are merged.</summary>
public sealed class NodeOptions
{
    public int RespPort { get; set; } = 6379;
    public int AdminPort { get; set; } = 8379;
    public int MemcachedPort { get; set; } = 11211;
    public long MaxItemSize { get; set; } = 1024 * 1024;
    public string Bind { get; set; } = "127.0.0.1";
    public string DataDir { get; set; } = "./data";
    public string NodeId { get; set; } = Environment.MachineName;
    public int Shards { get; set; } = 256;
    public long MaxMemory { get; set; }
    public EvictionPolicy MaxMemoryPolicy { get; set; } = EvictionPolicy.AllKeysLru;
    public Durability Durability { get; set; } = Durability.EverySec;
    public int SnapshotEvents { get; set; } = 4096;

    // ---- cluster (README of CacheCluster.Cluster)
    /// <summary>Port of the node links; 0 = no cluster (a single node, as before).</summary>
    public int ClusterPort { get; set; }
    public List<string> Seeds { get; set; } = new();
    public string Discovery { get; set; } = "static";
    public string? DnsName { get; set; }
    /// <summary>host[:port] peers use to reach this node (default bind:cluster-port).</summary>
    public string? Advertise { get; set; }
    public string ClusterSecret { get; set; } = "";
    public string? HostsFile { get; set; }

    public bool ClusterEnabled => ClusterPort != 0;

    /// <summary>The advertised address with the cluster port filled in.</summary>
    public string AdvertisedAddress
    {
        get
        {
            var a = string.IsNullOrEmpty(Advertise) ? Bind : Advertise;
            int colon = a.LastIndexOf(':');
            bool hasPort = colon > 0 && a.IndexOf(':') == colon && int.TryParse(a.AsSpan(colon + 1), out _);
            return hasPort ? a : $"{a}:{ClusterPort}";
        }
    }
}
