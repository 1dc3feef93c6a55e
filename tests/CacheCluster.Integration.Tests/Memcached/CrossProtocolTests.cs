using CacheCluster.Integration.Tests.Infrastructure;
using CacheCluster.Integration.Tests.Memcached.Harness;

namespace CacheCluster.Integration.Tests.Memcached;

/// <summary>A node (always the real node: this needs its RESP port too) for the cross-protocol tests.</summary>
public sealed class McNodeFixture : IAsyncLifetime
{
    private NodeMcServer? _node;
    public NodeMcServer Node => _node ?? throw new InvalidOperationException("not started");

    public async Task InitializeAsync() => _node = await NodeMcServer.StartAsync();

    public async Task DisposeAsync()
    {
        if (_node != null) await _node.DisposeAsync();
    }

    public string Tail()
    {
        var s = Node.Describe();
        return "--- node ---\n" + (s.Length > 4000 ? "…" + s[^4000..] : s);
    }
}

/// <summary>
/// memcached and RESP clients share one keyspace: what one protocol writes, the other reads, deletes, expires and
/// increments. memcached flags are not visible to RESP; a RESP-written string reads back with flags 0.
/// </summary>
public sealed class CrossProtocolTests : IClassFixture<McNodeFixture>
{
    private readonly McNodeFixture _fx;

    public CrossProtocolTests(McNodeFixture fx) => _fx = fx;

    private static string P(string test) => McSubjectFixture.Prefix("xp-" + test);

    private Task<McConnection> Mc() => McConnection.ConnectAsync(_fx.Node.Port);
    private Task<RespClient> Resp() => RespClient.ConnectAsync(_fx.Node.Node.RespPort);

    [Fact]
    public async Task McSet_RespGet()
    {
        var k = P("mcset");
        await using var mc = await Mc();
        await using var resp = await Resp();
        Assert.Equal("STORED", await McText.LineAsync(mc, $"set {k} 7 0 5\r\nhello\r\n"));
        Assert.Equal("hello", (await resp.CallAsync("GET", k)).Text);
        Assert.Equal(5, (await resp.CallAsync("STRLEN", k)).Integer);
        Assert.Equal(-1, (await resp.CallAsync("TTL", k)).Integer);

        // binary value written over the binary protocol
        var bin = new byte[] { 0, 1, 2, 13, 10, 255 };
        await using var bc = await Mc(); // a connection's first byte fixes its protocol: a separate one for binary
        var set = await McBin.CallAsync(bc, McBin.Frame(Op.Set, McBin.Key(k + "b"), McBin.StoreExtras(0, 0), bin));
        Assert.Equal(St.Ok, set.Status);
        Assert.Equal(bin, (await resp.CallAsync("GET", k + "b")).Bytes);

        // exptime maps to a TTL
        Assert.Equal("STORED", await McText.LineAsync(mc, $"set {k}t 0 100 1\r\nv\r\n"));
        var ttl = (await resp.CallAsync("TTL", k + "t")).Integer;
        Assert.InRange(ttl, 98, 100);
    }

    [Fact]
    public async Task RespSet_McGet_FlagsZero()
    {
        var k = P("respset");
        await using var mc = await Mc();
        await using var resp = await Resp();
        Assert.Equal("OK", (await resp.CallAsync("SET", k, "from-resp")).Text);
        var items = await McText.CallAsync(mc, $"get {k}\r\n");
        Assert.Equal(2, items.Count);
        Assert.Equal($"VALUE {k} 0 9", items[0].LineText);
        Assert.Equal("from-resp", items[0].DataText);
        Assert.Equal("END", items[1].LineText);

        await using var bc = await Mc();
        var got = await McBin.CallAsync(bc, McBin.Frame(Op.Get, McBin.Key(k)));
        Assert.Equal(St.Ok, got.Status);
        Assert.Equal(0u, got.Flags);
        Assert.Equal("from-resp", got.ValueText);

        var mg = await McText.CallAsync(mc, $"mg {k} v f s\r\n");
        Assert.Equal("VA 9 f0 s9", mg[0].LineText);
    }

    [Fact]
    public async Task McDelete_RespExistsZero()
    {
        var k = P("del");
        await using var mc = await Mc();
        await using var resp = await Resp();
        Assert.Equal("OK", (await resp.CallAsync("SET", k, "x")).Text);
        Assert.Equal(1, (await resp.CallAsync("EXISTS", k)).Integer);
        Assert.Equal("DELETED", await McText.LineAsync(mc, $"delete {k}\r\n"));
        Assert.Equal(0, (await resp.CallAsync("EXISTS", k)).Integer);
        Assert.Equal("NOT_FOUND", await McText.LineAsync(mc, $"delete {k}\r\n"));

        // and the other way round
        Assert.Equal("STORED", await McText.LineAsync(mc, $"set {k} 0 0 1\r\ny\r\n"));
        Assert.Equal(1, (await resp.CallAsync("DEL", k)).Integer);
        Assert.Equal("END", await McText.LineAsync(mc, $"get {k}\r\n"));
    }

    [Fact]
    public async Task RespExpire_McGetMissesAfterExpiry()
    {
        var k = P("exp");
        await using var mc = await Mc();
        await using var resp = await Resp();
        Assert.Equal("STORED", await McText.LineAsync(mc, $"set {k} 0 0 1\r\nv\r\n"));
        Assert.Equal(1, (await resp.CallAsync("EXPIRE", k, "1")).Integer);
        Assert.Equal(2, (await McText.CallAsync(mc, $"get {k}\r\n")).Count); // still there
        await Task.Delay(TimeSpan.FromSeconds(2.5));
        Assert.Equal("END", await McText.LineAsync(mc, $"get {k}\r\n"));
        Assert.Equal(0, (await resp.CallAsync("EXISTS", k)).Integer);

        // memcached touch sets a TTL that RESP sees; RESP PERSIST clears it for memcached too
        Assert.Equal("OK", (await resp.CallAsync("SET", k, "w")).Text);
        Assert.Equal("TOUCHED", await McText.LineAsync(mc, $"touch {k} 1000\r\n"));
        Assert.InRange((await resp.CallAsync("TTL", k)).Integer, 998, 1000);
        Assert.Equal(1, (await resp.CallAsync("PERSIST", k)).Integer);
        Assert.Equal("HD t-1", (await McText.CallAsync(mc, $"mg {k} t\r\n"))[0].LineText);
    }

    [Fact]
    public async Task McIncr_OnRespNumber()
    {
        var k = P("incr");
        await using var mc = await Mc();
        await using var resp = await Resp();
        Assert.Equal("OK", (await resp.CallAsync("SET", k, "41")).Text);
        Assert.Equal("42", await McText.LineAsync(mc, $"incr {k} 1\r\n"));
        Assert.Equal("42", (await resp.CallAsync("GET", k)).Text!.TrimEnd(' '));
        Assert.Equal(52, (await resp.CallAsync("INCRBY", k, "10")).Integer);
        Assert.Equal("50", await McText.LineAsync(mc, $"decr {k} 2\r\n"));

        Assert.Equal("OK", (await resp.CallAsync("SET", k + "t", "text")).Text);
        Assert.Equal("CLIENT_ERROR cannot increment or decrement non-numeric value", await McText.LineAsync(mc, $"incr {k}t 1\r\n"));

        // binary incr with an initial value creates a key RESP can read
        await using var bc = await Mc();
        var r = await McBin.CallAsync(bc, McBin.Frame(Op.Increment, McBin.Key(k + "b"), McBin.DeltaExtras(1, 100, 0)));
        Assert.Equal(St.Ok, r.Status);
        Assert.Equal(100UL, r.Counter);
        Assert.Equal("100", (await resp.CallAsync("GET", k + "b")).Text);
    }

    [Fact]
    public async Task McAppend_OnRespString_And_FlushAllClearsBoth()
    {
        var k = P("app");
        await using var mc = await Mc();
        await using var resp = await Resp();
        Assert.Equal("OK", (await resp.CallAsync("SET", k, "abc")).Text);
        Assert.Equal("STORED", await McText.LineAsync(mc, $"append {k} 0 0 3\r\ndef\r\n"));
        Assert.Equal("abcdef", (await resp.CallAsync("GET", k)).Text);
        Assert.Equal(9, (await resp.CallAsync("APPEND", k, "ghi")).Integer);
        var items = await McText.CallAsync(mc, $"get {k}\r\n");
        Assert.Equal("abcdefghi", items[0].DataText);

        Assert.Equal("OK", await McText.LineAsync(mc, "flush_all\r\n"));
        Assert.True((await resp.CallAsync("GET", k)).IsNull, "flush_all over memcached must clear what RESP sees");
    }
}
