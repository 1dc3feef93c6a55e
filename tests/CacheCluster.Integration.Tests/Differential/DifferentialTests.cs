using CacheCluster.Integration.Tests.Infrastructure;
using Xunit.Abstractions;

namespace CacheCluster.Integration.Tests.Differential;

/// <summary>A node and a reference redis-server used exclusively by the differential tests (they FLUSHALL).</summary>
public sealed class DifferentialFixture : IAsyncLifetime
{
    public NodeProcess Node { get; private set; } = null!;
    public RedisServerProcess Redis { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Redis = await RedisServerProcess.StartAsync();
        // The reference redis-server runs with its defaults (noeviction); the node is configured the same way so that
        // configuration-dependent replies (CONFIG GET, OBJECT FREQ) are comparable.
        Node = await NodeProcess.StartAsync(new NodeOptions { MaxMemoryPolicy = "noeviction" });
    }

    public async Task DisposeAsync()
    {
        if (Node != null) await Node.DisposeAsync();
        if (Redis != null) await Redis.DisposeAsync();
    }
}

/// <summary>
/// Seeded random command streams sent to a real redis-server 7 and to the node; every reply pair is compared
/// (exactly, or by a rule for nondeterministic commands). A failure shows seed, index, command and both replies.
/// </summary>
public sealed class DifferentialTests : IClassFixture<DifferentialFixture>
{
    private const int CommandsPerSeed = 2000;
    private readonly DifferentialFixture _fx;
    private readonly ITestOutputHelper _out;

    public DifferentialTests(DifferentialFixture fx, ITestOutputHelper output)
    {
        _fx = fx;
        _out = output;
    }

    /// <summary>Seeds 1-5 always; set CACHECLUSTER_IT_EXTRA_SEEDS=N to add seeds 6..5+N for a longer soak.</summary>
    public static IEnumerable<object[]> Seeds()
    {
        var extra = int.TryParse(Environment.GetEnvironmentVariable("CACHECLUSTER_IT_EXTRA_SEEDS"), out var n) ? Math.Clamp(n, 0, 10_000) : 0;
        return from seed in Enumerable.Range(1, 5 + extra)
               from proto in new[] { 2, 3 }
               select new object[] { seed, proto };
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public async Task RandomSequence_MatchesRedis(int seed, int protocol)
    {
        var report = await DifferentialRunner.RunSeedAsync(_fx.Redis.Port, _fx.Node.RespPort, seed, protocol, CommandsPerSeed, RespFamilies.All);
        _out.WriteLine(report.Describe());
        Assert.True(report.Ok, report.Describe() + "\n" + Tail(_fx.Node.Output));
        Assert.Equal(CommandsPerSeed, report.Executed);
    }

    /// <summary>Hand-picked edge cases, each group run as a fixed sequence in both protocols.</summary>
    public static IEnumerable<object[]> EdgeGroups() =>
        from g in EdgeCases.Groups.Keys
        from proto in new[] { 2, 3 }
        select new object[] { g, proto };

    [Theory]
    [MemberData(nameof(EdgeGroups))]
    public async Task EdgeCases_MatchRedis(string group, int protocol)
    {
        await using var reference = await _fx.Redis.ConnectAsync();
        await using var subject = await _fx.Node.ConnectAsync();
        foreach (var c in new[] { reference, subject })
        {
            Assert.Equal("OK", (await c.CallAsync("FLUSHALL")).Text);
            if (protocol == 3) Assert.Equal(RespKind.Map, (await c.CallAsync("HELLO", "3")).Kind);
        }
        var report = await DifferentialRunner.RunAsync(reference, subject, EdgeCases.Groups[group](), $"edge-cases '{group}' RESP{protocol}", keepMismatches: 50);
        _out.WriteLine(report.Describe(50));
        Assert.True(report.Ok, report.Describe(50));
    }

    private static string Tail(string s) => "--- node output (tail) ---\n" + (s.Length > 3000 ? s[^3000..] : s);
}
