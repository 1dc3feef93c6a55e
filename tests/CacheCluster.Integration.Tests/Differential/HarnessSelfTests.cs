using CacheCluster.Integration.Tests.Infrastructure;

namespace CacheCluster.Integration.Tests.Differential;

/// <summary>
/// The differential harness run redis-server against redis-server: proves the comparison rules have no false
/// positives (timing-dependent TTLs, SCAN order, CLIENT ids...), so every mismatch against the node is real.
/// </summary>
public sealed class HarnessSelfTests
{
    [Theory]
    [InlineData(101, 2)]
    [InlineData(102, 3)]
    public async Task RedisVsRedis_HasNoMismatches(int seed, int protocol)
    {
        await using var a = await RedisServerProcess.StartAsync();
        await using var b = await RedisServerProcess.StartAsync();
        var report = await DifferentialRunner.RunSeedAsync(a.Port, b.Port, seed, protocol, 3000, RespFamilies.All);
        Assert.True(report.Ok, report.Describe());
        Assert.Equal(3000, report.Executed);
        // The generator must actually exercise every template family.
        foreach (var t in new[] { "SET", "GET", "INCRBYFLOAT", "SCAN", "KEYS", "TTL", "EXPIREAT", "GETEX", "unknown", "HELLO" })
            Assert.True(report.TemplateCounts.GetValueOrDefault(t) > 0, $"template {t} never generated");
    }

    [Fact]
    public void Generator_IsDeterministicPerSeed()
    {
        var o = new GenOptions { BaseUnixSeconds = 1_700_000_000 };
        var a = new CommandGenerator(7, o, RespFamilies.All).Take(500).Select(c => c.ToString()).ToList();
        var b = new CommandGenerator(7, o, RespFamilies.All).Take(500).Select(c => c.ToString()).ToList();
        var c = new CommandGenerator(8, o, RespFamilies.All).Take(500).Select(c => c.ToString()).ToList();
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }
}
