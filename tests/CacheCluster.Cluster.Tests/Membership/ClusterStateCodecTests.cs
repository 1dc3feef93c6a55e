using System.Buffers.Binary;
using CacheCluster.Cluster.Membership;
using static CacheCluster.Cluster.Tests.Membership.StateBuilder;

namespace CacheCluster.Cluster.Tests.Membership;

public class ClusterStateCodecTests
{
    /// <summary>A state with every part filled: members (incl. tombstones, non-ASCII), owners, records.</summary>
    private static ClusterState Sample()
    {
        var s = new ClusterState(6);
        s.Upsert(new Member("node-ü", "10.0.0.1:7100", 1_700_000_000_000, MemberStatus.Up));
        s.Upsert(new Member("node-b", "10.0.0.2:7100", 1_700_000_000_123, MemberStatus.Up));
        s.Upsert(new Member("node-c", "", 42, MemberStatus.Leaving));
        s.Upsert(new Member("node-d", "10.0.0.4:7100", 7, MemberStatus.Down));
        s.SetOwner(0, new ShardOwner(1, "node-b", true));
        s.SetOwner(3, new ShardOwner(long.MaxValue, "node-ü", false));
        s.SetOwner(5, new ShardOwner(-1, "gone", true));
        s.SetReachability("node-b", "node-c", true);
        s.SetReachability("node-ü", "node-c", true);
        s.SetReachability("node-ü", "node-c", false);
        return s;
    }

    private static void AssertRejected(byte[] bytes)
    {
        Assert.Throws<ClusterStateFormatException>(() => ClusterState.Decode(bytes));
    }

    [Fact]
    public void Round_trip_preserves_everything()
    {
        var s = Sample();
        var bytes = s.Encode();
        var d = ClusterState.Decode(bytes);
        Assert.Equal(bytes, d.Encode());
        Assert.Equal(s.Digest, d.Digest);
        Assert.Equal(s.ShardCount, d.ShardCount);
        Assert.Equal(s.Members, d.Members);
        for (int i = 0; i < s.ShardCount; i++) Assert.Equal(s.Owner(i), d.Owner(i));
        Assert.Equal(["node-c"], d.Unreachable());
        Assert.Equal(2, EncodingLayout.Parse(bytes).RecordCount);

        // The decoded records keep their versions: the observer's next change still wins elsewhere.
        Assert.True(d.SetReachability("node-ü", "node-c", true));   // v3
        Assert.True(s.Merge(d));
        Assert.Equal(d.Encode(), s.Encode());
    }

    [Fact]
    public void Round_trip_of_random_states()
    {
        var rng = new Random(77);
        for (int i = 0; i < 300; i++)
        {
            var s = StateBuilder.Random(rng, shardCount: rng.Next(1, 40));
            var bytes = s.Encode();
            var d = ClusterState.Decode(bytes);
            Assert.Equal(bytes, d.Encode());
            Assert.Equal(s.Digest, d.Digest);
            Assert.Equal(s.Unreachable().Order(StringComparer.Ordinal), d.Unreachable().Order(StringComparer.Ordinal));
        }
    }

    [Fact]
    public void Empty_and_largest_shard_counts_round_trip()
    {
        foreach (int n in new[] { 1, 16384 })
        {
            var s = new ClusterState(n);
            s.SetOwner(n - 1, new ShardOwner(3, "x", false));
            var d = ClusterState.Decode(s.Encode());
            Assert.Equal(n, d.ShardCount);
            Assert.Equal(new ShardOwner(3, "x", false), d.Owner(n - 1));
            Assert.Empty(d.Members);
        }
    }

    [Fact]
    public void Encoding_is_canonical_whatever_the_insertion_order()
    {
        var a = new ClusterState(4);
        var b = new ClusterState(4);
        string[] ids = ["zeta", "alpha", "Mu", "beta"];
        foreach (var id in ids) a.Upsert(M(id, MemberStatus.Up));
        foreach (var id in ids.Reverse()) b.Upsert(M(id, MemberStatus.Up));
        a.SetReachability("zeta", "alpha", true);
        a.SetReachability("alpha", "Mu", true);
        b.SetReachability("alpha", "Mu", true);
        b.SetReachability("zeta", "alpha", true);
        Assert.Equal(a.Encode(), b.Encode());
        var layout = EncodingLayout.Parse(a.Encode());
        Assert.Equal(4, layout.MemberCount);
    }

    [Fact]
    public void Truncation_at_every_byte_is_rejected()
    {
        var bytes = Sample().Encode();
        for (int len = 0; len < bytes.Length; len++)
            AssertRejected(bytes[..len]);
    }

    [Fact]
    public void Trailing_bytes_are_rejected()
    {
        var bytes = Sample().Encode();
        AssertRejected([.. bytes, 0]);
        AssertRejected([.. bytes, .. bytes]);
    }

    [Fact]
    public void Bad_format_byte_is_rejected()
    {
        var bytes = Sample().Encode();
        foreach (byte f in new byte[] { 0, 2, 255 })
        {
            var b = (byte[])bytes.Clone();
            b[0] = f;
            AssertRejected(b);
        }
    }

    [Fact]
    public void Bad_enum_and_flag_values_are_rejected()
    {
        var bytes = Sample().Encode();
        var layout = EncodingLayout.Parse(bytes);
        Assert.NotEmpty(layout.MemberStatusOffsets);
        Assert.NotEmpty(layout.FreshOffsets);
        Assert.NotEmpty(layout.RecordUnreachableOffsets);

        foreach (int off in layout.MemberStatusOffsets)
            foreach (byte v in new byte[] { 6, 7, 128, 255 })
                AssertRejected(Patch(bytes, off, v));
        foreach (int off in layout.PresenceOffsets)
            AssertRejected(Patch(bytes, off, 2));
        foreach (int off in layout.FreshOffsets.Concat(layout.RecordUnreachableOffsets))
            foreach (byte v in new byte[] { 2, 255 })
                AssertRejected(Patch(bytes, off, v));

        // Every legal status decodes.
        foreach (byte v in new byte[] { 0, 1, 2, 3, 4, 5 })
            Assert.Equal((MemberStatus)v, ClusterState.Decode(Patch(bytes, layout.MemberStatusOffsets[0], v)).Members.First().Status);
    }

    [Fact]
    public void Absurd_counts_are_rejected()
    {
        var bytes = Sample().Encode();
        var layout = EncodingLayout.Parse(bytes);

        foreach (ushort shards in new ushort[] { 0, 16385, ushort.MaxValue })
            AssertRejected(PatchU16(bytes, layout.ShardCountOffset, shards));
        foreach (uint members in new uint[] { 10_001, 1_000_000, uint.MaxValue })
            AssertRejected(PatchU32(bytes, layout.MemberCountOffset, members));
        foreach (uint records in new uint[] { 3, 1_000_000, uint.MaxValue })
            AssertRejected(PatchU32(bytes, layout.RecordCountOffset, records));

        // A header claiming 10,000 members but carrying none: rejected before allocating for them.
        var header = new byte[7];
        header[0] = 1;
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(1), 8);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(3), 10_000);
        AssertRejected(header);
    }

    [Fact]
    public void Ten_thousand_members_decode()
    {
        var s = new ClusterState(1);
        for (int i = 0; i < 10_000; i++) s.Upsert(new Member("n" + i.ToString("D5"), "", i, MemberStatus.Up));
        var d = ClusterState.Decode(s.Encode());
        Assert.Equal(10_000, d.Members.Count);
    }

    [Fact]
    public void Unsorted_or_duplicate_members_are_rejected()
    {
        var s = Up(2, "a", "b");
        var bytes = s.Encode();
        var layout = EncodingLayout.Parse(bytes);
        int secondIdChar = layout.MemberIdOffsets[1] + 1;
        Assert.Equal((byte)'b', bytes[secondIdChar]);
        AssertRejected(Patch(bytes, secondIdChar, (byte)'a'));   // duplicate
        AssertRejected(Patch(bytes, secondIdChar, (byte)'0'));   // "0" < "a": out of order
        Assert.Equal(2, ClusterState.Decode(Patch(bytes, secondIdChar, (byte)'c')).Members.Count);
    }

    [Fact]
    public void Invalid_utf8_is_rejected()
    {
        var bytes = Up(2, "a").Encode();
        var layout = EncodingLayout.Parse(bytes);
        AssertRejected(Patch(bytes, layout.MemberIdOffsets[0] + 1, 0xFF));
    }

    [Fact]
    public void Random_corruption_never_throws_anything_else()
    {
        var rng = new Random(4242);
        var samples = new[] { Sample().Encode(), StateBuilder.Random(new Random(1), 5).Encode(), new ClusterState(1).Encode() };
        int accepted = 0, rejected = 0;
        for (int i = 0; i < 20_000; i++)
        {
            var b = (byte[])samples[i % samples.Length].Clone();
            int flips = rng.Next(1, 4);
            for (int k = 0; k < flips; k++) b[rng.Next(b.Length)] = (byte)rng.Next(256);
            if (rng.Next(10) == 0) b = b[..rng.Next(b.Length)];
            if (Decodes(b)) accepted++;
            else rejected++;
        }
        for (int i = 0; i < 5_000; i++)
        {
            var b = new byte[rng.Next(0, 64)];
            rng.NextBytes(b);
            if (b.Length > 0 && rng.Next(2) == 0) b[0] = 1;
            if (Decodes(b)) accepted++;
            else rejected++;
        }
        Assert.True(rejected > 0 && accepted > 0, $"accepted {accepted}, rejected {rejected}");
    }

    /// <summary>True if decoded (and then the result re-encodes to something that decodes to the same bytes);
    /// false on ClusterStateFormatException; any other exception fails the test.</summary>
    private static bool Decodes(byte[] b)
    {
        ClusterState d;
        try
        {
            d = ClusterState.Decode(b);
        }
        catch (ClusterStateFormatException)
        {
            return false;
        }
        var again = d.Encode();
        Assert.Equal(again, ClusterState.Decode(again).Encode());
        return true;
    }

    private static byte[] Patch(byte[] bytes, int offset, byte value)
    {
        var b = (byte[])bytes.Clone();
        b[offset] = value;
        return b;
    }

    private static byte[] PatchU16(byte[] bytes, int offset, ushort value)
    {
        var b = (byte[])bytes.Clone();
        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(offset), value);
        return b;
    }

    private static byte[] PatchU32(byte[] bytes, int offset, uint value)
    {
        var b = (byte[])bytes.Clone();
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(offset), value);
        return b;
    }
}
