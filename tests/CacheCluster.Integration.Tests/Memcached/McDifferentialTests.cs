using CacheCluster.Integration.Tests.Memcached.Differential;
using CacheCluster.Integration.Tests.Memcached.Harness;
using Xunit.Abstractions;

namespace CacheCluster.Integration.Tests.Memcached;

/// <summary>
/// Seeded random request streams sent to a real memcached 1.6 (<c>-U 0 -m 64 -I 1m</c>) and to the node, in the
/// binary and in the text/meta protocol; every reply must be identical, except that CAS values are compared by their
/// equality pattern, version strings by shape and stats by the set of relied-on names. A failure shows the seed, the
/// request index, the request and both replies.
/// </summary>
public sealed class McDifferentialTests : IClassFixture<McPairFixture>
{
    private const int RequestsPerSeed = 1500;
    private readonly McPairFixture _fx;
    private readonly ITestOutputHelper _out;

    public McDifferentialTests(McPairFixture fx, ITestOutputHelper output)
    {
        _fx = fx;
        _out = output;
    }

    /// <summary>Seeds 1-4 always; CACHECLUSTER_IT_EXTRA_SEEDS=N adds seeds 5..4+N for a longer soak.</summary>
    public static IEnumerable<object[]> Seeds()
    {
        var extra = int.TryParse(Environment.GetEnvironmentVariable("CACHECLUSTER_IT_EXTRA_SEEDS"), out var n) ? Math.Clamp(n, 0, 10_000) : 0;
        return from seed in Enumerable.Range(1, 4 + extra)
               from dialect in new[] { McDialect.Binary, McDialect.Text }
               select new object[] { seed, dialect };
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public async Task RandomSequence_MatchesMemcached(int seed, McDialect dialect)
    {
        var report = await RunSeedAsync(_fx.Reference.Port, _fx.Subject.Port, seed, dialect, RequestsPerSeed);
        _out.WriteLine(report.Describe(40));
        Assert.True(report.Ok, report.Describe(40) + "\n" + _fx.Tail());
        Assert.Equal(RequestsPerSeed, report.Executed);
    }

    public static Task<McDiffReport> RunSeedAsync(int referencePort, int subjectPort, int seed, McDialect dialect, int count)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var label = $"seed={seed} {dialect}";
        return dialect == McDialect.Binary
            ? McDiffRunner.RunAsync(referencePort, subjectPort, dialect, new McBinaryGenerator(seed, now).Take(count), McBinaryGenerator.KeyPool, label)
            : McDiffRunner.RunAsync(referencePort, subjectPort, dialect, new McTextGenerator(seed, now).Take(count), McTextGenerator.KeyPoolBytes, label);
    }
}

/// <summary>
/// The memcached differential harness run memcached against memcached: proves the comparison has no false positives
/// (CAS numbering, version strings, stats, connection closes), so every mismatch against the node is real; and that
/// the generators exercise what they claim.
/// </summary>
public sealed class McHarnessSelfTests
{
    [Theory]
    [InlineData(101, McDialect.Binary)]
    [InlineData(102, McDialect.Text)]
    public async Task MemcachedVsMemcached_HasNoMismatches(int seed, McDialect dialect)
    {
        await using var a = await MemcachedProcess.StartAsync();
        await using var b = await MemcachedProcess.StartAsync();
        var report = await McDifferentialTests.RunSeedAsync(a.Port, b.Port, seed, dialect, 2500);
        Assert.True(report.Ok, report.Describe());
        Assert.Equal(2500, report.Executed);
        var templates = dialect == McDialect.Binary
            ? new[] { "get:GETKQ", "multiget", "store:SETQ", "arith:INCRQ", "concat:APPENDQ", "touch:GATKQ", "flush:FLUSHQ", "misc:STAT", "misc:VERSION", "oversized-value:SET", "wrong-extras:GET+extras", "quit:QUITQ" }
            : new[] { "storage:set", "storage:bad-chunk", "storage:bad-line", "cas", "get:multi-gets", "gat:gats", "touch", "arith:incr", "flush_all", "misc", "bad-line", "mg", "ms", "md", "ma", "oversized" };
        foreach (var t in templates)
            Assert.True(report.TemplateCounts.GetValueOrDefault(t) > 0, $"template {t} never generated: {string.Join(", ", report.TemplateCounts.Keys)}");
        Assert.True(report.Reconnects > 0, "no request ever closed the connection (quit / protocol errors should)");
    }

    /// <summary>A planted difference (one server holds a key the other lacks) must be reported at the right index.</summary>
    [Fact]
    public async Task PlantedDifference_IsDetected()
    {
        await using var a = await MemcachedProcess.StartAsync();
        await using var b = await MemcachedProcess.StartAsync();
        await McDiffRunner.FlushAllAsync(a.Port);
        await McDiffRunner.FlushAllAsync(b.Port);
        await using (var c = await McConnection.ConnectAsync(b.Port))
            Assert.Equal("STORED", await McText.LineAsync(c, "set k2 0 0 1\r\nX\r\n"));
        var requests = new[]
        {
            new McRequest("get", McDialect.Text, "get k0\r\n"u8.ToArray()),
            new McRequest("version", McDialect.Text, "version\r\n"u8.ToArray()),
            new McRequest("get", McDialect.Text, "get k2\r\n"u8.ToArray()),
            new McRequest("get", McDialect.Text, "get k2\r\n"u8.ToArray()),
        };
        var report = await McDiffRunner.RunAsync(a.Port, b.Port, McDialect.Text, requests, McTextGenerator.KeyPoolBytes, "planted", flushFirst: false);
        Assert.False(report.Ok);
        Assert.Equal(1, report.TotalMismatches); // the re-sync after the first mismatch removes k2 from the subject
        Assert.Equal(2, report.Mismatches[0].Index);
        Assert.Equal(new[] { "END" }, report.Mismatches[0].Expected);
        Assert.Equal(new[] { "VALUE k2 0 1 <X>", "END" }, report.Mismatches[0].Actual);
    }

    [Fact]
    public void Generators_AreDeterministicPerSeed()
    {
        static List<string> Bin(int seed) => new McBinaryGenerator(seed, 1_700_000_000).Take(400).Select(r => r.Describe(_ => 7)).ToList();
        static List<string> Txt(int seed) => new McTextGenerator(seed, 1_700_000_000).Take(400).Select(r => r.Describe(_ => 7)).ToList();
        Assert.Equal(Bin(3), Bin(3));
        Assert.NotEqual(Bin(3), Bin(4));
        Assert.Equal(Txt(3), Txt(3));
        Assert.NotEqual(Txt(3), Txt(4));
    }
}
