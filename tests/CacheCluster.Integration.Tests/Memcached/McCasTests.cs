using CacheCluster.Integration.Tests.Memcached.Harness;

namespace CacheCluster.Integration.Tests.Memcached;

/// <summary>
/// CAS semantics of memcached 1.6 that the differential tests compare only per key: CAS values come from one
/// server-wide counter (unique across keys), change on every write and never on reads or TTL changes.
/// </summary>
public sealed class McCasTests : IClassFixture<McSubjectFixture>
{
    private readonly McSubjectFixture _fx;

    public McCasTests(McSubjectFixture fx) => _fx = fx;

    private static ulong GetsCas(List<McTextItem> items) => ulong.Parse(items[0].Tokens[4]);

    [Fact]
    public async Task CasValues_AreUniqueAcrossKeys()
    {
        var p = McSubjectFixture.Prefix("cas-uniq");
        await using var c = await McConnection.ConnectAsync(_fx.Port);
        var keys = Enumerable.Range(0, 64).Select(i => $"{p}{i}").ToList();
        foreach (var k in keys) Assert.Equal("STORED", await McText.LineAsync(c, $"set {k} 0 0 1\r\nv\r\n"));
        var items = await McText.CallAsync(c, "gets " + string.Join(' ', keys) + "\r\n");
        Assert.Equal(65, items.Count);
        var cas = items.Take(64).Select(i => (Key: i.Tokens[1], Cas: ulong.Parse(i.Tokens[4]))).ToList();
        var dup = cas.GroupBy(x => x.Cas).Where(g => g.Count() > 1).ToList();
        Assert.True(dup.Count == 0, "memcached hands out every CAS once, server-wide; these keys share CAS values: " +
            string.Join("; ", dup.Select(g => $"{g.Key}: {string.Join(", ", g.Select(x => x.Key))}")));
    }

    [Fact]
    public async Task Cas_ChangesOnWrites_NotOnReadsOrTouch()
    {
        var k = McSubjectFixture.Prefix("cas-life") + "k";
        await using var c = await McConnection.ConnectAsync(_fx.Port);
        Assert.Equal("STORED", await McText.LineAsync(c, $"set {k} 0 0 1\r\nv\r\n"));
        var c0 = GetsCas(await McText.CallAsync(c, $"gets {k}\r\n"));
        Assert.Equal("TOUCHED", await McText.LineAsync(c, $"touch {k} 100\r\n"));
        await McText.CallAsync(c, $"gat 200 {k}\r\n");
        await McText.CallAsync(c, $"mg {k} v\r\n");
        Assert.Equal(c0, GetsCas(await McText.CallAsync(c, $"gets {k}\r\n")));

        Assert.Equal("STORED", await McText.LineAsync(c, $"append {k} 0 0 1\r\nx\r\n"));
        var c1 = GetsCas(await McText.CallAsync(c, $"gets {k}\r\n"));
        Assert.NotEqual(c0, c1);
        Assert.Equal("STORED", await McText.LineAsync(c, $"set {k} 0 0 1\r\n5\r\n"));
        var c2 = GetsCas(await McText.CallAsync(c, $"gets {k}\r\n"));
        Assert.NotEqual(c1, c2);
        Assert.Equal("6", await McText.LineAsync(c, $"incr {k} 1\r\n"));
        var c3 = GetsCas(await McText.CallAsync(c, $"gets {k}\r\n"));
        Assert.NotEqual(c2, c3);
        Assert.True(c1 > c0 && c2 > c1 && c3 > c2, $"memcached's CAS only grows: {c0} {c1} {c2} {c3}");
    }

    /// <summary>A store whose exptime is already in the past succeeds and memcached still answers with the item's CAS.</summary>
    [Fact]
    public async Task StoreOfAlreadyExpiredItem_ReturnsACas()
    {
        var k = McSubjectFixture.Prefix("cas-exp") + "k";
        await using var c = await McConnection.ConnectAsync(_fx.Port);
        var set = await McBin.CallAsync(c, McBin.Frame(Op.Set, McBin.Key(k), McBin.StoreExtras(0, 1_000_000_000), "v"u8.ToArray()));
        Assert.Equal(St.Ok, set.Status);
        Assert.NotEqual(0UL, set.Cas);
        var get = await McBin.CallAsync(c, McBin.Frame(Op.Get, McBin.Key(k)));
        Assert.Equal(St.KeyNotFound, get.Status);
        var incr = await McBin.CallAsync(c, McBin.Frame(Op.Increment, McBin.Key(k + "n"), McBin.DeltaExtras(1, 5, 1_000_000_000)));
        Assert.Equal(St.Ok, incr.Status);
        Assert.Equal(5UL, incr.Counter);
        Assert.NotEqual(0UL, incr.Cas);
    }
}
