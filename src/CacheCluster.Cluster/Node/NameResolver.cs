using System.Net;

namespace CacheCluster.Cluster.Node;

/// <summary>
/// Resolves the names the cluster dials and discovers: an optional hosts file (/etc/hosts format,
/// re-read when it changes) first, then DNS. The hosts file lets a test, or a network without
/// DNS, play the role of Kubernetes' headless-service records.
/// </summary>
public sealed class NameResolver(string? hostsFile)
{
    Dictionary<string, IPAddress[]> _entries = new(StringComparer.OrdinalIgnoreCase);
    DateTime _loadedStamp;
    long _loadedLength = -1;

    public IPAddress[] Resolve(string host)
    {
        if (IPAddress.TryParse(host, out var ip)) return [ip];
        if (hostsFile != null && Entries().TryGetValue(host, out var listed)) return listed;
        return Dns.GetHostAddresses(host);
    }

    Dictionary<string, IPAddress[]> Entries()
    {
        try
        {
            var info = new FileInfo(hostsFile!);
            if (!info.Exists) return _entries = new(StringComparer.OrdinalIgnoreCase);
            if (info.LastWriteTimeUtc == _loadedStamp && info.Length == _loadedLength) return _entries;
            var map = new Dictionary<string, List<IPAddress>>(StringComparer.OrdinalIgnoreCase);
            foreach (var raw in File.ReadAllLines(info.FullName))
            {
                var line = raw.Split('#')[0];
                var parts = line.Split((char[])[' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
                if (parts.Length < 2 || !IPAddress.TryParse(parts[0], out var addr)) continue;
                foreach (var name in parts.Skip(1))
                {
                    if (!map.TryGetValue(name, out var list)) map[name] = list = new List<IPAddress>();
                    if (!list.Contains(addr)) list.Add(addr);
                }
            }
            _entries = map.ToDictionary(kv => kv.Key, kv => kv.Value.ToArray(), StringComparer.OrdinalIgnoreCase);
            _loadedStamp = info.LastWriteTimeUtc;
            _loadedLength = info.Length;
        }
        catch (IOException)
        {
            // being rewritten: keep what we had
        }
        return _entries;
    }
}
