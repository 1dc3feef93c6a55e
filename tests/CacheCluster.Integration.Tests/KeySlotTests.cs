using System.Text;
using CacheCluster.Integration.Tests.Infrastructure;

namespace CacheCluster.Integration.Tests;

/// <summary>CLUSTER KEYSLOT compared with a real redis-server running with cluster support enabled.</summary>
[Collection(SharedNodeCollection.Name)]
public sealed class KeySlotTests
{
    private readonly SharedNodeFixture _fx;

    public KeySlotTests(SharedNodeFixture fx) => _fx = fx;

    [Fact]
    public async Task KeySlot_MatchesClusterEnabledRedis_ForRandomAndHashTaggedKeys()
    {
        await using var cluster = await RedisServerProcess.StartAsync("--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf");
        await using var reference = await cluster.ConnectAsync();
        await using var node = await _fx.Node.ConnectAsync();
        var rng = new Random(1234);
        var keys = new List<byte[]>
        {
            Array.Empty<byte>(), "{"u8.ToArray(), "}"u8.ToArray(), "{}"u8.ToArray(), "{}a"u8.ToArray(), "a{}"u8.ToArray(), "{a}"u8.ToArray(),
            "a{b}c{d}"u8.ToArray(), "a{{b}}"u8.ToArray(), "}{a}"u8.ToArray(), "{a"u8.ToArray(), "\0"u8.ToArray(), "{\0}x"u8.ToArray(),
        };
        for (var i = 0; i < 400; i++)
        {
            var b = new byte[rng.Next(0, 40)];
            rng.NextBytes(b);
            if (b.Length > 4 && rng.Next(3) == 0) { b[rng.Next(b.Length)] = (byte)'{'; b[rng.Next(b.Length)] = (byte)'}'; }
            keys.Add(b);
        }
        var problems = new List<string>();
        foreach (var k in keys)
        {
            var e = await reference.CallAsync("CLUSTER", "KEYSLOT", k);
            var a = await node.CallAsync("CLUSTER", "KEYSLOT", k);
            Assert.Equal(RespKind.Integer, e.Kind);
            if (!e.Equals(a)) problems.Add($"CLUSTER KEYSLOT \"{RespValue.Escape(k)}\": redis {e}, node {a}");
        }
        Assert.True(problems.Count == 0, string.Join("\n", problems.Take(30)));

        foreach (var bad in new object[][] { new object[] { "CLUSTER", "KEYSLOT" }, new object[] { "CLUSTER", "KEYSLOT", "a", "b" } })
            Assert.Equal(await reference.CallAsync(bad), await node.CallAsync(bad));
    }
}
