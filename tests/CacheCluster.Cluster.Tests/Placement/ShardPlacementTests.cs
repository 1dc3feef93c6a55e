using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using CacheCluster.Cluster.Placement;
using Xunit.Abstractions;

namespace CacheCluster.Cluster.Tests.Placement;

public class ShardPlacementTests(ITestOutputHelper output)
{
    private const int S = 256;

    private static Dictionary<string, int> Counts(string?[] owners) =>
        owners.GroupBy(o => o!).ToDictionary(g => g.Key, g => g.Count());

    private static string[] Nodes(int n) => Enumerable.Range(1, n).Select(i => $"cache-{i - 1}").ToArray();

    [Fact]
    public void StableHash_known_answers()
    {
        // SHA-256("abc") = ba7816bf 8f01cfea ...; SHA-256("") = e3b0c442 98fc1c14 ...
        Assert.Equal(0xEACF018FBF1678BAUL, ShardPlacement.StableHash("abc"));
        Assert.Equal(0x141CFC9842C4B0E3UL, ShardPlacement.StableHash(""));

        foreach (var text in new[] { "shard:0", "shard:255", "cache-0#0", "cache-2#199", "nœud-ü#7", new string('x', 1000) })
        {
            var sha = SHA256.HashData(Encoding.UTF8.GetBytes(text));
            Assert.Equal(BinaryPrimitives.ReadUInt64LittleEndian(sha), ShardPlacement.StableHash(text));
        }
    }

    [Fact]
    public void Empty_input_gives_no_owner()
    {
        Assert.All(ShardPlacement.Compute([], 16), Assert.Null);
        Assert.Equal(16, ShardPlacement.Compute([], 16).Length);
        Assert.Empty(ShardPlacement.Compute(["a"], 0));
    }

    [Fact]
    public void Single_node_owns_everything()
    {
        Assert.All(ShardPlacement.Compute(["only"], S), o => Assert.Equal("only", o));
    }

    [Fact]
    public void Independent_of_order_and_duplicates()
    {
        string[] nodes = ["node-c", "node-a", "node-e", "node-b", "node-d"];
        var expected = ShardPlacement.Compute(nodes, S);
        Assert.Equal(expected, ShardPlacement.Compute(nodes.Reverse(), S));
        Assert.Equal(expected, ShardPlacement.Compute(nodes.Order(StringComparer.Ordinal), S));
        Assert.Equal(expected, ShardPlacement.Compute([.. nodes, "node-a", "node-c", "node-a"], S));
        var rng = new Random(3);
        for (int i = 0; i < 10; i++)
            Assert.Equal(expected, ShardPlacement.Compute(nodes.OrderBy(_ => rng.Next()).ToList(), S));
    }

    [Fact]
    public void Every_shard_is_assigned_to_an_input_node()
    {
        for (int n = 1; n <= 6; n++)
        {
            var nodes = Nodes(n);
            var owners = ShardPlacement.Compute(nodes, S);
            Assert.Equal(S, owners.Length);
            Assert.All(owners, o => Assert.Contains(o, nodes));
        }
    }

    [Theory]
    [InlineData("cache-{0}", 0)]
    [InlineData("local-node{0}", 1)]                                   // cluster-config/local-3-node
    [InlineData("cachecluster-{0}", 0)]                                // StatefulSet pod names
    [InlineData("cachecluster-{0}.cachecluster.default.svc", 0)]
    public void Balanced_for_256_shards_and_2_to_5_nodes(string format, int first)
    {
        for (int n = 2; n <= 5; n++)
        {
            var nodes = Enumerable.Range(first, n).Select(i => string.Format(format, i)).ToArray();
            var counts = Counts(ShardPlacement.Compute(nodes, S));
            double ideal = (double)S / n;
            output.WriteLine($"N={n}: " + string.Join(", ", counts.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}={kv.Value}")) +
                $" (ideal {ideal:F1}, max deviation {counts.Values.Max(c => Math.Abs(c - ideal)) / ideal:P1})");
            Assert.Equal(n, counts.Count);   // every node gets shards
            Assert.All(counts.Values, c => Assert.InRange(c, ideal * 0.65, ideal * 1.35));
        }
    }

    [Fact]
    public void Adding_a_fourth_node_moves_only_shards_to_it()
    {
        var three = ShardPlacement.Compute(Nodes(3), S);
        var four = ShardPlacement.Compute(Nodes(4), S);
        int moved = 0;
        for (int s = 0; s < S; s++)
        {
            if (three[s] == four[s]) continue;
            Assert.Equal("cache-3", four[s]);
            moved++;
        }
        output.WriteLine($"3 → 4 nodes: {moved} of {S} shards moved (ideal {S / 4})");
        Assert.Equal(Counts(four)["cache-3"], moved);
        Assert.InRange(moved, S / 4 * 0.6, S / 4 * 1.4);
    }

    [Fact]
    public void Removing_a_node_moves_only_its_shards()
    {
        for (int n = 2; n <= 5; n++)
        {
            var nodes = Nodes(n);
            var before = ShardPlacement.Compute(nodes, S);
            foreach (var gone in nodes)
            {
                var after = ShardPlacement.Compute(nodes.Where(x => x != gone), S);
                for (int s = 0; s < S; s++)
                {
                    if (before[s] == gone) Assert.NotEqual(gone, after[s]);
                    else Assert.Equal(before[s], after[s]);
                }
            }
        }
    }

    [Fact]
    public void Matches_a_naive_ring_walk()
    {
        // Independent reference: sort all points, walk clockwise from each shard's hash.
        string[] nodes = ["x", "y", "z"];
        var points = nodes.SelectMany(n => Enumerable.Range(0, ShardPlacement.VirtualPoints)
            .Select(i => (Hash: Sha64(n + "#" + i), Node: n))).OrderBy(p => p.Hash).ToList();
        var owners = ShardPlacement.Compute(nodes, 64);
        for (int s = 0; s < 64; s++)
        {
            ulong h = Sha64("shard:" + s);
            var point = points.FirstOrDefault(p => p.Hash >= h, points[0]);
            Assert.Equal(point.Node, owners[s]);
        }
    }

    private static ulong Sha64(string text) => BinaryPrimitives.ReadUInt64LittleEndian(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
}
