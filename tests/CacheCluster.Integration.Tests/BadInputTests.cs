using System.Net;
using System.Net.Sockets;
using System.Text;
using CacheCluster.Integration.Tests.Infrastructure;

namespace CacheCluster.Integration.Tests;

/// <summary>A node (and a reference redis-server) that only the bad-input tests abuse.</summary>
public sealed class BadInputFixture : IAsyncLifetime
{
    public NodeProcess Node { get; private set; } = null!;
    public RedisServerProcess Redis { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Redis = await RedisServerProcess.StartAsync();
        Node = await NodeProcess.StartAsync();
    }

    public async Task DisposeAsync()
    {
        if (Node != null) await Node.DisposeAsync();
        if (Redis != null) await Redis.DisposeAsync();
    }
}

/// <summary>Malformed frames, garbage and connection storms: the offending connection gets "-ERR Protocol error" and is closed, everyone else keeps being served.</summary>
public sealed class BadInputTests : IClassFixture<BadInputFixture>
{
    private static readonly TimeSpan CloseTimeout = TimeSpan.FromSeconds(5);
    private readonly BadInputFixture _fx;

    public BadInputTests(BadInputFixture fx) => _fx = fx;

    public static readonly Dictionary<string, string> Frames = new()
    {
        ["huge multibulk count"] = "*99999999999\r\n",
        ["negative bulk length"] = "*1\r\n$-5\r\n",
        ["huge bulk length"] = "*1\r\n$9999999999\r\n",
        ["bulk over 512MB"] = "*3\r\n$3\r\nSET\r\n$1\r\na\r\n$600000000\r\n",
        ["missing $"] = "*1\r\nfoo\r\n",
        ["non-numeric multibulk"] = "*abc\r\n",
        ["non-numeric bulk"] = "*1\r\n$abc\r\n",
        ["unbalanced quotes inline"] = "SET \"foo bar\r\n",
        ["unbalanced single quote inline"] = "SET 'foo bar\r\n",
        ["closing quote followed by char"] = "SET \"foo\"bar x\r\n",
    };

    public static IEnumerable<object[]> FrameNames() => Frames.Keys.Select(k => new object[] { k });

    [Theory]
    [MemberData(nameof(FrameNames))]
    public async Task MalformedFrame_ProtocolErrorThenClose_OthersUnaffected(string frameName)
    {
        var frame = Frames[frameName];
        var key = "bad:" + Guid.NewGuid().ToString("N");
        await using var bystander = await _fx.Node.ConnectAsync();
        Assert.Equal("OK", (await bystander.CallAsync("SET", key, "still-here")).Text);

        await using var offender = await _fx.Node.ConnectAsync();
        await offender.SendRawAsync(frame);
        var reply = await offender.ReadAsync(TimeSpan.FromSeconds(10));
        Assert.True(reply.Kind == RespKind.Error && reply.Text.StartsWith("ERR Protocol error"), $"frame {Show(frame)}: expected -ERR Protocol error..., got {reply}");
        var (closed, trailing) = await offender.WaitForCloseAsync(CloseTimeout);
        Assert.True(closed, $"frame {Show(frame)}: connection still open {CloseTimeout.TotalSeconds}s after the protocol error (trailing bytes: '{RespValue.Escape(trailing)}')");

        Assert.Equal("PONG", (await bystander.CallAsync("PING")).Text);
        Assert.Equal("still-here", (await bystander.CallAsync("GET", key)).Text);
        Assert.False(_fx.Node.HasExited, _fx.Node.Describe());
    }

    [Theory]
    [MemberData(nameof(FrameNames))]
    public async Task MalformedFrame_ErrorTextMatchesRedis(string frameName)
    {
        var frame = Frames[frameName];
        async Task<RespValue> Probe(int port)
        {
            await using var c = await RespClient.ConnectAsync(port);
            await c.SendRawAsync(frame);
            return await c.ReadAsync(TimeSpan.FromSeconds(10));
        }
        var expected = await Probe(_fx.Redis.Port);
        var actual = await Probe(_fx.Node.RespPort);
        Assert.True(expected.Equals(actual), $"frame {Show(frame)}\nredis: {expected}\nnode : {actual}");
    }

    [Fact]
    public async Task CommandsBeforeTheBadFrameAreAnswered()
    {
        await using var c = await _fx.Node.ConnectAsync();
        await c.SendRawAsync("*1\r\n$4\r\nPING\r\n*2\r\n$4\r\nECHO\r\n$2\r\nhi\r\n*1\r\n$-5\r\n");
        Assert.Equal(RespValue.Simple("PONG"), await c.ReadAsync());
        Assert.Equal(RespValue.Bulk("hi"), await c.ReadAsync());
        var err = await c.ReadAsync();
        Assert.True(err.IsError && err.Text.StartsWith("ERR Protocol error"), err.ToString());
        Assert.True((await c.WaitForCloseAsync(CloseTimeout)).Closed, "connection not closed after protocol error");
    }

    [Fact]
    public async Task InlineCommands_BlankLines_AndByteByByteFrames_MatchRedis()
    {
        var input = "\r\n\r\nPING\r\nSET inl:a \"hello world\"\r\nGET inl:a\r\nset inl:b 'x y'\r\nGET inl:b\r\nECHO \"tab\\there\"\r\nEXISTS inl:a inl:b inl:c\r\n   PING   \r\nDEL inl:a inl:b\r\n";
        async Task<List<RespValue>> Run(int port)
        {
            await using var c = await RespClient.ConnectAsync(port);
            await c.SendRawAsync(input);
            var replies = new List<RespValue>();
            for (var i = 0; i < 9; i++) replies.Add(await c.ReadAsync());
            // a multibulk frame delivered one byte at a time
            foreach (var b in RespClient.Encode(RespClient.Args("ECHO", "slow\r\nloris")))
            {
                await c.SendRawAsync(new[] { b });
                await Task.Delay(1);
            }
            replies.Add(await c.ReadAsync());
            return replies;
        }
        var expected = await Run(_fx.Redis.Port);
        var actual = await Run(_fx.Node.RespPort);
        Assert.Equal(string.Join("\n", expected), string.Join("\n", actual));
    }

    [Fact]
    public async Task RandomGarbage_DoesNotCrashTheNode()
    {
        var rng = new Random(4242);
        var tasks = Enumerable.Range(0, 40).Select(async i =>
        {
            var bytes = new byte[rng.Next(1, 8192)];
            lock (rng) rng.NextBytes(bytes);
            if (i % 4 == 0) bytes[0] = (byte)'*';
            if (i % 4 == 1) bytes[0] = (byte)'$';
            await using var c = await _fx.Node.ConnectAsync();
            try
            {
                await c.SendRawAsync(bytes);
                await c.WaitForCloseAsync(TimeSpan.FromMilliseconds(500)); // whatever the server answers, don't hang
            }
            catch (IOException) { /* server may reset: fine */ }
            catch (SocketException) { }
        });
        await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromSeconds(60));

        // Half frames abandoned mid-way.
        foreach (var partial in new[] { "*3\r\n$3\r\nSET", "*2\r\n$3\r\nGET\r\n$10\r\nabc", "PING", "*1\r\n" })
        {
            await using var c = await _fx.Node.ConnectAsync();
            await c.SendRawAsync(partial);
        }

        Assert.False(_fx.Node.HasExited, _fx.Node.Describe());
        await using var probe = await _fx.Node.ConnectAsync();
        Assert.Equal("PONG", (await probe.CallAsync("PING")).Text);
        var (status, _) = await _fx.Node.HttpGetAsync("/healthz");
        Assert.Equal(HttpStatusCode.OK, status);
    }

    [Fact]
    public async Task ThousandConnectionOpenCloseBurst()
    {
        var failures = 0;
        var sem = new SemaphoreSlim(100);
        var tasks = Enumerable.Range(0, 1000).Select(async i =>
        {
            await sem.WaitAsync();
            try
            {
                await using var c = await _fx.Node.ConnectAsync();
                if (i % 2 == 0)
                {
                    var r = await c.CallAsync("PING");
                    if (r.Text != "PONG") Interlocked.Increment(ref failures);
                }
            }
            catch
            {
                Interlocked.Increment(ref failures);
            }
            finally { sem.Release(); }
        });
        await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromSeconds(120));
        Assert.Equal(0, failures);

        // 1000 simultaneously open connections, then all closed at once.
        var clients = new List<RespClient>();
        try
        {
            for (var i = 0; i < 1000; i++) clients.Add(await _fx.Node.ConnectAsync());
            var pings = await Task.WhenAll(clients.Select(c => c.CallAsync("PING"))).WaitAsync(TimeSpan.FromSeconds(60));
            Assert.All(pings, p => Assert.Equal("PONG", p.Text));
        }
        finally
        {
            foreach (var c in clients) c.Dispose();
        }

        await using var probe = await _fx.Node.ConnectAsync();
        Assert.Equal("PONG", (await probe.CallAsync("PING")).Text);
        // The server notices the closed connections: CLIENT LIST shrinks back (bounded wait).
        var count = int.MaxValue;
        for (var i = 0; i < 100 && count > 10; i++)
        {
            var list = await probe.CallAsync("CLIENT", "LIST");
            count = list.Text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length;
            if (count > 10) await Task.Delay(100);
        }
        Assert.True(count <= 10, $"CLIENT LIST still shows {count} connections 10s after closing them");
    }

    private static string Show(string frame) => "'" + RespValue.Escape(Encoding.UTF8.GetBytes(frame)) + "'";
}
