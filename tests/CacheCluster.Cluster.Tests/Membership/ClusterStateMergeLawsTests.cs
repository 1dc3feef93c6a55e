using CacheCluster.Cluster.Membership;

namespace CacheCluster.Cluster.Tests.Membership;

/// <summary>Merge is a join: commutative, associative, idempotent — checked on seeded random states by comparing
/// the canonical encodings and digests.</summary>
public class ClusterStateMergeLawsTests
{
    private const int Cases = 400;

    private static ClusterState Join(ClusterState a, ClusterState b)
    {
        var r = a.Clone();
        r.Merge(b);
        return r;
    }

    private static void AssertSame(ClusterState x, ClusterState y)
    {
        Assert.Equal(x.Encode(), y.Encode());
        Assert.Equal(x.Digest, y.Digest);
    }

    [Fact]
    public void Merge_is_commutative()
    {
        var rng = new Random(1234);
        for (int i = 0; i < Cases; i++)
        {
            var a = StateBuilder.Random(rng);
            var b = StateBuilder.Random(rng);
            AssertSame(Join(a, b), Join(b, a));
        }
    }

    [Fact]
    public void Merge_is_associative()
    {
        var rng = new Random(5678);
        for (int i = 0; i < Cases; i++)
        {
            var a = StateBuilder.Random(rng);
            var b = StateBuilder.Random(rng);
            var c = StateBuilder.Random(rng);
            AssertSame(Join(Join(a, b), c), Join(a, Join(b, c)));
            AssertSame(Join(Join(a, b), c), Join(Join(c, a), b));
        }
    }

    [Fact]
    public void Merge_is_idempotent()
    {
        var rng = new Random(91011);
        for (int i = 0; i < Cases; i++)
        {
            var a = StateBuilder.Random(rng);
            var b = StateBuilder.Random(rng);
            var self = a.Clone();
            Assert.False(self.Merge(a.Clone()));
            Assert.False(self.Merge(self));
            AssertSame(a, self);

            var ab = Join(a, b);
            var again = ab.Clone();
            Assert.False(again.Merge(b));
            Assert.False(again.Merge(a));
            Assert.False(again.Merge(ab));
            AssertSame(ab, again);
        }
    }

    [Fact]
    public void Merge_reports_change_exactly_when_the_encoding_changes()
    {
        var rng = new Random(1213);
        int changes = 0;
        for (int i = 0; i < Cases; i++)
        {
            var a = StateBuilder.Random(rng);
            var b = StateBuilder.Random(rng);
            var before = a.Encode();
            bool changed = a.Merge(b);
            Assert.Equal(changed, !before.AsSpan().SequenceEqual(a.Encode()));
            if (changed) changes++;
        }
        Assert.InRange(changes, Cases / 4, Cases);   // the generator does produce conflicts
    }

    [Fact]
    public void Gossip_in_any_order_converges()
    {
        var rng = new Random(1415);
        for (int i = 0; i < 100; i++)
        {
            var states = Enumerable.Range(0, 5).Select(_ => StateBuilder.Random(rng)).ToArray();
            var expected = states.Aggregate(new ClusterState(8), Join);
            var order = states.OrderBy(_ => rng.Next()).ToArray();
            // Pairwise gossip along a random order, then back again, reaches the same join everywhere.
            var nodes = order.Select(s => s.Clone()).ToArray();
            for (int k = 1; k < nodes.Length; k++) nodes[k].Merge(nodes[k - 1]);
            for (int k = nodes.Length - 2; k >= 0; k--) nodes[k].Merge(nodes[k + 1]);
            foreach (var n in nodes) AssertSame(expected, n);
        }
    }

    [Fact]
    public void Digest_equal_iff_encoding_equal()
    {
        var rng = new Random(1617);
        var states = Enumerable.Range(0, 120).Select(_ => StateBuilder.Random(rng, shardCount: 2)).ToList();
        // Add equal pairs reached by different routes.
        for (int i = 0; i + 1 < 40; i += 2)
        {
            states.Add(Join(states[i], states[i + 1]));
            states.Add(Join(states[i + 1], states[i]));
        }
        int equalPairs = 0;
        for (int i = 0; i < states.Count; i++)
        {
            var ei = states[i].Encode();
            for (int j = i + 1; j < states.Count; j++)
            {
                bool sameBytes = ei.AsSpan().SequenceEqual(states[j].Encode());
                Assert.Equal(sameBytes, states[i].Digest == states[j].Digest);
                if (sameBytes) equalPairs++;
            }
        }
        Assert.True(equalPairs >= 20, $"only {equalPairs} equal pairs");
    }
}
