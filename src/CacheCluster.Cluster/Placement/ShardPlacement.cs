using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace CacheCluster.Cluster.Placement;

/// <summary>
/// Consistent-hash placement of shards on nodes: a ring of <see cref="VirtualPoints"/> points per node at
/// <c>StableHash(nodeId + "#" + i)</c>; shard <c>s</c> belongs to the node of the first point clockwise (≥) of
/// <c>StableHash("shard:" + s)</c>, wrapping. The same node set gives the same result on every node.
/// </summary>
public static class ShardPlacement
{
    public const int VirtualPoints = 200;

    /// <summary>Desired owner of every shard 0..<paramref name="shardCount"/>-1; independent of the order of
    /// <paramref name="nodeIds"/> and of duplicates. Empty input → all null.</summary>
    public static string?[] Compute(IEnumerable<string> nodeIds, int shardCount)
    {
        ArgumentNullException.ThrowIfNull(nodeIds);
        ArgumentOutOfRangeException.ThrowIfNegative(shardCount);
        var result = new string?[shardCount];
        var distinct = new HashSet<string>(nodeIds, StringComparer.Ordinal);
        if (distinct.Count == 0 || shardCount == 0) return result;

        var ring = new (ulong Hash, string NodeId)[distinct.Count * VirtualPoints];
        int n = 0;
        foreach (var node in distinct)
            for (int i = 0; i < VirtualPoints; i++)
                ring[n++] = (StableHash(node + "#" + i), node);
        // Ties on the hash (astronomically unlikely) are broken by NodeId, so the order of the input never matters.
        Array.Sort(ring, static (a, b) => a.Hash != b.Hash ? a.Hash.CompareTo(b.Hash) : string.CompareOrdinal(a.NodeId, b.NodeId));

        for (int s = 0; s < shardCount; s++)
        {
            ulong h = StableHash("shard:" + s);
            int lo = 0, hi = ring.Length;   // first index with ring[i].Hash >= h
            while (lo < hi)
            {
                int mid = (lo + hi) >>> 1;
                if (ring[mid].Hash < h) lo = mid + 1;
                else hi = mid;
            }
            result[s] = ring[lo == ring.Length ? 0 : lo].NodeId;
        }
        return result;
    }

    /// <summary>First 8 bytes (little endian) of the SHA-256 of the UTF-8 text. Stable across processes and
    /// platforms (never <c>string.GetHashCode</c>).</summary>
    public static ulong StableHash(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        int max = Encoding.UTF8.GetMaxByteCount(text.Length);
        Span<byte> buffer = max <= 512 ? stackalloc byte[512] : new byte[max];
        int len = Encoding.UTF8.GetBytes(text, buffer);
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(buffer[..len], hash);
        return BinaryPrimitives.ReadUInt64LittleEndian(hash);
    }
}
