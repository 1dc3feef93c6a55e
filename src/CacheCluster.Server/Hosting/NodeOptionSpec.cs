using System.Globalization;
using CacheCluster.Core;
using CacheCluster.Persistence;
using CacheCluster.Storage;

namespace CacheCluster.Server.Hosting;

/// <summary>
/// One setting: its flag, its environment variable, its JSON key (the flag without dashes), its
/// help text, and how a text value is checked and applied. The one table the CLI, the config
/// file and the environment all read, so a new option is added in one place.
/// </summary>
public sealed record NodeOptionSpec(string Name, string Help, string DefaultText, Func<string, NodeOptions, string?> Apply)
{
    public string Flag => "--" + Name;
    public string EnvVar => "CACHECLUSTER_" + Name.Replace('-', '_').ToUpperInvariant();

    public static readonly NodeOptionSpec[] All =
    [
        new("resp-port", "TCP port for RESP (Redis protocol) clients", "6379", (v, o) => Port(v, p => o.RespPort = p)),
        new("memcached-port", "TCP port for memcached clients (binary, text and meta)", "11211", (v, o) => Port(v, p => o.MemcachedPort = p)),
        new("admin-port", "HTTP port for /healthz, /readyz", "8379", (v, o) => Port(v, p => o.AdminPort = p)),
        new("bind", "address to listen on (0.0.0.0 for all)", "127.0.0.1", (v, o) => Bind(v, o)),
        new("data-dir", "directory for the node's data", "./data", (v, o) => NonEmpty(v, s => o.DataDir = s)),
        new("node-id", "stable node name", "the host name", (v, o) => NonEmpty(v, s => o.NodeId = s)),
        new("shards", "number of shards (fixed for the life of a data directory)", "256", (v, o) => Shards(v, o)),
        new("maxmemory", "memory budget for data, e.g. 100mb, 2gb (0 = unlimited)", "0", (v, o) => MaxMemory(v, o)),
        new("max-item-size", "largest memcached item value, like memcached -I (e.g. 1m, 512k)", "1m", (v, o) => MaxItemSize(v, o)),
        new("maxmemory-policy", "allkeys-lru, volatile-lru or noeviction", "allkeys-lru", (v, o) => Policy(v, o)),
        new("durability", "when a write is stored: always (acknowledged after its commit), everysec, off", "everysec", (v, o) => DurabilityMode(v, o)),
        new("snapshot-events", "a shard snapshots once its journal holds more than max(this, its live keys) events", "4096", (v, o) => SnapshotEvents(v, o)),
        new("cluster-port", "TCP port for node links (0 = single node, no cluster)", "0", (v, o) => Port(v, p => o.ClusterPort = p)),
        new("seeds", "cluster addresses (host:port,...) to join through; empty = form a cluster alone", "", (v, o) => Seeds(v, o)),
        new("discovery", "how seeds are found: static (--seeds) or dns (--dns-name)", "static", (v, o) => DiscoveryMode(v, o)),
        new("dns-name", "dns discovery: name whose A records are the seeds (e.g. a headless service)", "", (v, o) => { o.DnsName = v.Trim(); return null; }),
        new("advertise", "host[:port] peers use to reach this node (e.g. $(POD_NAME).cachecluster-headless)", "bind:cluster-port", (v, o) => Advertise(v, o)),
        new("cluster-secret", "shared secret node links prove they know (HMAC challenge)", "", (v, o) => { o.ClusterSecret = v; return null; }),
        new("hosts-file", "names the cluster resolves from this /etc/hosts-style file before DNS (re-read on change)", "", (v, o) => { o.HostsFile = string.IsNullOrWhiteSpace(v) ? null : v.Trim(); return null; }),
    ];

    static string? Seeds(string v, NodeOptions o)
    {
        var list = v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (var s in list)
        {
            int colon = s.LastIndexOf(':');
            if (colon <= 0 || !int.TryParse(s.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int p) || p < 1 || p > 65535)
                return $"'{s}' is not host:port";
        }
        o.Seeds = list.ToList();
        return null;
    }

    static string? DiscoveryMode(string v, NodeOptions o)
    {
        var t = v.Trim().ToLowerInvariant();
        if (t is not ("static" or "dns")) return $"'{v}' is not one of static, dns";
        o.Discovery = t;
        return null;
    }

    static string? Advertise(string v, NodeOptions o)
    {
        if (string.IsNullOrWhiteSpace(v)) return "must not be empty";
        o.Advertise = v.Trim();
        return null;
    }

    static string? DurabilityMode(string v, NodeOptions o)
    {
        if (!Durabilities.TryParse(v, out var d)) return $"'{v}' is not one of always, everysec, off";
        o.Durability = d;
        return null;
    }

    static string? SnapshotEvents(string v, NodeOptions o)
    {
        if (!int.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out int n) || n < 1)
            return $"'{v}' is not a positive number of events";
        o.SnapshotEvents = n;
        return null;
    }

    static string? Port(string v, Action<int> set)
    {
        if (!int.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out int p) || p < 0 || p > 65535)
            return $"'{v}' is not a port number (0-65535)";
        set(p);
        return null;
    }

    static string? Bind(string v, NodeOptions o)
    {
        if (!System.Net.IPAddress.TryParse(v, out _) && v != "localhost")
            return $"'{v}' is not an IP address";
        o.Bind = v;
        return null;
    }

    static string? NonEmpty(string v, Action<string> set)
    {
        if (string.IsNullOrWhiteSpace(v)) return "must not be empty";
        set(v);
        return null;
    }

    static string? Shards(string v, NodeOptions o)
    {
        if (!int.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out int n) || n < 1 || n > ShardMap.MaxShards)
            return $"'{v}' is not a shard count (1-{ShardMap.MaxShards})";
        o.Shards = n;
        return null;
    }

    static string? MaxMemory(string v, NodeOptions o)
    {
        if (!ByteSize.TryParse(v, out long b)) return $"'{v}' is not a size (e.g. 0, 100mb, 2gb)";
        o.MaxMemory = b;
        return null;
    }

    static string? MaxItemSize(string v, NodeOptions o)
    {
        // memcached's -I takes k/m suffixes in binary units
        var t = v.Trim().ToLowerInvariant();
        if (t.EndsWith('k') || t.EndsWith('m')) t += "b";
        if (!ByteSize.TryParse(t, out long b) || b < 1024 || b > 1024L * 1024 * 1024)
            return $"'{v}' is not an item size between 1k and 1024m";
        o.MaxItemSize = b;
        return null;
    }

    static string? Policy(string v, NodeOptions o)
    {
        if (!EvictionPolicies.TryParse(v, out var p)) return $"'{v}' is not one of allkeys-lru, volatile-lru, noeviction";
        o.MaxMemoryPolicy = p;
        return null;
    }
}

public static class EvictionPolicies
{
    public static bool TryParse(string v, out EvictionPolicy p)
    {
        switch (v.Trim().ToLowerInvariant())
        {
            case "allkeys-lru": p = EvictionPolicy.AllKeysLru; return true;
            case "volatile-lru": p = EvictionPolicy.VolatileLru; return true;
            case "noeviction": p = EvictionPolicy.NoEviction; return true;
            default: p = default; return false;
        }
    }

    public static string Name(EvictionPolicy p) => p switch
    {
        EvictionPolicy.AllKeysLru => "allkeys-lru",
        EvictionPolicy.VolatileLru => "volatile-lru",
        _ => "noeviction",
    };
}
