using CacheCluster.Core;

namespace CacheCluster.Core.Tests;

public class ShardMapTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(16)]
    [InlineData(256)]
    [InlineData(1000)]
    [InlineData(16384)]
    public void Shards_own_contiguous_ranges_that_cover_every_slot(int shards)
    {
        var map = new ShardMap(shards);
        int next = 0;
        for (int s = 0; s < shards; s++)
        {
            var (first, last) = map.SlotRange(s);
            Assert.Equal(next, first);
            Assert.True(last >= first);
            for (int slot = first; slot <= last; slot++) Assert.Equal(s, map.ShardOfSlot(slot));
            next = last + 1;
        }
        Assert.Equal(KeySlot.SlotCount, next);
    }

    [Fact]
    public void Ranges_are_balanced()
    {
        var map = new ShardMap(256);
        for (int s = 0; s < 256; s++)
        {
            var (first, last) = map.SlotRange(s);
            Assert.Equal(64, last - first + 1);
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(16385)]
    public void Rejects_impossible_counts(int shards) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new ShardMap(shards));

    [Fact]
    public void Key_routes_through_its_slot()
    {
        var map = new ShardMap(16);
        Assert.Equal(map.ShardOfSlot(11058), map.ShardOf("somekey"u8));
        Assert.Equal(map.ShardOf("{a}x"u8), map.ShardOf("{a}y"u8));
    }
}
