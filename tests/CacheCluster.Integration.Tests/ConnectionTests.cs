using CacheCluster.Integration.Tests.Infrastructure;

namespace CacheCluster.Integration.Tests;

/// <summary>A node and a reference redis-server for tests that change connection state or server configuration.</summary>
public sealed class ConnectionFixture : IAsyncLifetime
{
    public NodeProcess Node { get; private set; } = null!;
    public RedisServerProcess Redis { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Redis = await RedisServerProcess.StartAsync();
        Node = await NodeProcess.StartAsync(new NodeOptions { MaxMemoryPolicy = "noeviction" });
    }

    public async Task DisposeAsync()
    {
        if (Node != null) await Node.DisposeAsync();
        if (Redis != null) await Redis.DisposeAsync();
    }
}

/// <summary>Connection-level commands (CLIENT REPLY, QUIT, HELLO options, CLIENT SETINFO) and CONFIG SET, compared with redis-server where it has the feature.</summary>
public sealed class ConnectionTests : IClassFixture<ConnectionFixture>
{
    private readonly ConnectionFixture _fx;

    public ConnectionTests(ConnectionFixture fx) => _fx = fx;

    /// <summary>Sends all commands pipelined, then reads replies until the peer has been quiet for a moment.</summary>
    private static async Task<List<RespValue>> ExchangeAsync(string who, int port, object[][] commands, int expectedReplies)
    {
        await using var c = await RespClient.ConnectAsync(port);
        foreach (var cmd in commands) await c.SendAsync(cmd);
        var replies = new List<RespValue>();
        for (var i = 0; i < expectedReplies; i++)
        {
            try
            {
                replies.Add(await c.ReadAsync(TimeSpan.FromSeconds(5)));
            }
            catch (TimeoutException)
            {
                Assert.Fail($"{who}: only {i} of {expectedReplies} replies arrived: [{string.Join(", ", replies)}]");
            }
        }
        // nothing more may arrive
        var (closed, trailing) = await c.WaitForCloseAsync(TimeSpan.FromMilliseconds(300));
        Assert.True(trailing.Length == 0, $"{who}: unexpected extra bytes after {expectedReplies} replies: '{RespValue.Escape(trailing)}'");
        return replies;
    }

    [Fact]
    public async Task ClientReply_SkipOffOn_SuppressRepliesLikeRedis()
    {
        var cmds = new[]
        {
            new object[] { "SET", "cr:a", "1" },
            new object[] { "CLIENT", "REPLY", "SKIP" },
            new object[] { "INCR", "cr:a" },          // suppressed
            new object[] { "GET", "cr:a" },           // "2"
            new object[] { "CLIENT", "REPLY", "OFF" },// suppressed
            new object[] { "INCR", "cr:a" },          // suppressed
            new object[] { "NOSUCH" },                // suppressed (errors too)
            new object[] { "CLIENT", "REPLY", "ON" }, // +OK
            new object[] { "GET", "cr:a" },           // "3"
            new object[] { "CLIENT", "REPLY", "BOGUS" },
            new object[] { "DEL", "cr:a" },
        };
        var expected = await ExchangeAsync("redis-server", _fx.Redis.Port, cmds, 6);
        var actual = await ExchangeAsync("node", _fx.Node.RespPort, cmds, 6);
        Assert.Equal(string.Join("\n", expected), string.Join("\n", actual));
        Assert.Equal("3", actual[3].Text);
    }

    [Fact]
    public async Task Quit_RepliesOkAndCloses()
    {
        foreach (var (who, port) in new[] { ("redis-server", _fx.Redis.Port), ("node", _fx.Node.RespPort) })
        {
            await using var c = await RespClient.ConnectAsync(port);
            // one write, so the server has the PING after QUIT in its buffer already: it must not be executed
            await c.SendRawAsync(RespClient.Encode(RespClient.Args("PING")).Concat(RespClient.Encode(RespClient.Args("QUIT"))).Concat(RespClient.Encode(RespClient.Args("PING"))).ToArray());
            Assert.Equal(RespValue.Simple("PONG"), await c.ReadAsync());
            Assert.Equal(RespValue.Simple("OK"), await c.ReadAsync());
            var (closed, trailing) = await c.WaitForCloseAsync(TimeSpan.FromSeconds(5));
            Assert.True(closed && trailing.Length == 0, $"{who}: commands pipelined after QUIT must not run; closed={closed} trailing='{RespValue.Escape(trailing)}'");
        }
    }

    [Fact]
    public async Task Hello_WithSetname_AndProtocolSwitchingBackAndForth()
    {
        foreach (var (who, port) in new[] { ("redis-server", _fx.Redis.Port), ("node", _fx.Node.RespPort) })
        {
            await using var c = await RespClient.ConnectAsync(port);
            var h3 = await c.CallAsync("HELLO", "3", "SETNAME", "hello-name");
            Assert.Equal(RespKind.Map, h3.Kind);
            Assert.Equal(3, h3.AsDictionary()["proto"].Integer);
            Assert.Equal(RespValue.Bulk("hello-name"), await c.CallAsync("CLIENT", "GETNAME"));
            Assert.Equal(RespValue.Nil('_'), await c.CallAsync("GET", "hello:missing"));
            Assert.Equal(RespKind.Map, (await c.CallAsync("CONFIG", "GET", "maxmemory")).Kind);
            var h2 = await c.CallAsync("HELLO", "2");
            Assert.Equal(RespKind.Array, h2.Kind);
            Assert.Equal(RespValue.Nil('$'), await c.CallAsync("GET", "hello:missing"));
            Assert.Equal(RespKind.Array, (await c.CallAsync("CONFIG", "GET", "maxmemory")).Kind);
            var bad = await c.CallAsync("HELLO", "4");
            Assert.Equal("NOPROTO unsupported protocol version", bad.Text);
        }
    }

    [Fact]
    public async Task ClientSetinfo_NodeSupportsRedis72Semantics()
    {
        await using var c = await _fx.Node.ConnectAsync();
        Assert.Equal(RespValue.Simple("OK"), await c.CallAsync("CLIENT", "SETINFO", "lib-name", "cc-tests"));
        Assert.Equal(RespValue.Simple("OK"), await c.CallAsync("CLIENT", "SETINFO", "lib-ver", "1.2.3"));
        var info = (await c.CallAsync("CLIENT", "INFO")).Text;
        Assert.Contains("lib-name=cc-tests", info);
        Assert.Contains("lib-ver=1.2.3", info);
        // Redis 7.2: "ERR lib-name cannot contain spaces, newlines or special characters."
        var bad = await c.CallAsync("CLIENT", "SETINFO", "lib-name", "has space");
        Assert.True(bad.IsError, $"CLIENT SETINFO lib-name 'has space' must be rejected, got {bad}");
        var unknownAttr = await c.CallAsync("CLIENT", "SETINFO", "bogus", "x");
        Assert.True(unknownAttr.IsError, $"CLIENT SETINFO bogus x must be rejected, got {unknownAttr}");
    }

    [Fact]
    public async Task ConfigSet_MaxmemoryAndPolicy_MatchRedis()
    {
        var cmds = new[]
        {
            new object[] { "CONFIG", "SET", "maxmemory-policy", "allkeys-lru" },
            new object[] { "CONFIG", "GET", "maxmemory-policy" },
            new object[] { "CONFIG", "SET", "maxmemory-policy", "volatile-lru" },
            new object[] { "CONFIG", "GET", "maxmemory-policy" },
            new object[] { "CONFIG", "SET", "maxmemory", "100mb" },
            new object[] { "CONFIG", "GET", "maxmemory" },
            new object[] { "CONFIG", "SET", "maxmemory", "1gb" },
            new object[] { "CONFIG", "GET", "maxmemory" },
            new object[] { "CONFIG", "SET", "maxmemory", "0" },
            new object[] { "CONFIG", "GET", "maxmemory" },
            new object[] { "CONFIG", "SET", "maxmemory", "lots" },
            new object[] { "CONFIG", "SET", "nosuchparam", "1" },
            new object[] { "CONFIG", "SET", "maxmemory" },
            new object[] { "CONFIG", "GET" },
            new object[] { "CONFIG", "SET", "maxmemory-policy", "noeviction" },
            new object[] { "CONFIG", "GET", "maxmemory-policy" },
        };
        var problems = new List<string>();
        foreach (var proto in new[] { 2, 3 })
        {
            await using var r = await _fx.Redis.ConnectAsync();
            await using var n = await _fx.Node.ConnectAsync();
            if (proto == 3) { await r.CallAsync("HELLO", "3"); await n.CallAsync("HELLO", "3"); }
            foreach (var cmd in cmds)
            {
                var e = await r.CallAsync(cmd);
                var a = await n.CallAsync(cmd);
                if (!e.Equals(a)) problems.Add($"RESP{proto} {string.Join(' ', cmd)}\n  redis: {e}\n  node : {a}");
            }
        }
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }
}
