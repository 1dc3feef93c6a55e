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
    public int SnapshotEvents { get; set; } = 1000;
}
