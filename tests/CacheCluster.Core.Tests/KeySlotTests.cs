using System.Text;
using CacheCluster.Core;

namespace CacheCluster.Core.Tests;

public class KeySlotTests
{
    static int Slot(string key) => KeySlot.Of(Encoding.UTF8.GetBytes(key));

    [Theory]
    // values from Redis Cluster (CLUSTER KEYSLOT on a real redis-server)
    [InlineData("somekey", 11058)]
    [InlineData("foo{hash_tag}", 2515)]
    [InlineData("hash_tag", 2515)]
    [InlineData("foo", 12182)]
    [InlineData("bar", 5061)]
    [InlineData("", 0)]
    public void Matches_redis_cluster(string key, int slot) => Assert.Equal(slot, Slot(key));

    [Fact]
    public void Crc16_xmodem_check_value() => Assert.Equal(0x31C3, KeySlot.Crc16("123456789"u8));

    [Fact]
    public void Hash_tag_rules_follow_redis()
    {
        Assert.Equal(Slot("user1000"), Slot("{user1000}.following"));
        Assert.Equal(Slot("user1000"), Slot("foo{user1000}{bar}"));  // first tag only
        Assert.Equal(Slot("foo{}{bar}"), KeySlot.Crc16("foo{}{bar}"u8) & 16383); // empty tag: whole key
        Assert.Equal(Slot("{bar"), KeySlot.Crc16("{bar"u8) & 16383);            // unclosed: whole key
        Assert.Equal(Slot("{}"), KeySlot.Crc16("{}"u8) & 16383);
    }

    [Fact]
    public void Slots_are_in_range_for_binary_keys()
    {
        var rng = new Random(7);
        var key = new byte[32];
        for (int i = 0; i < 10_000; i++)
        {
            rng.NextBytes(key);
            int s = KeySlot.Of(key.AsSpan(0, rng.Next(33)));
            Assert.InRange(s, 0, KeySlot.SlotCount - 1);
        }
    }
}
