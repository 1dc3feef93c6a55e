using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using CacheCluster.Integration.Tests.Infrastructure;

namespace CacheCluster.Integration.Tests;

/// <summary>Process-level behaviour of "CacheCluster.Server serve": health endpoints, option validation, signals, configuration precedence, data-dir checks.</summary>
public sealed class HostTests
{
    private static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task HealthAndReadiness()
    {
        var admin = PortAllocator.GetFreePort();
        var resp = PortAllocator.GetFreePort();
        await using var node = await NodeProcess.StartAsync(new NodeOptions { AdminPort = admin, RespPort = resp }, waitReady: false);

        // Poll from process start: until ready, /readyz may be unreachable or 503, never anything else.
        var sw = Stopwatch.StartNew();
        var seen = new List<string>();
        var ready = false;
        while (sw.Elapsed < TimeSpan.FromSeconds(60) && !ready)
        {
            Assert.False(node.HasExited, node.Describe());
            try
            {
                var (status, _) = await node.HttpGetAsync("/readyz");
                seen.Add(((int)status).ToString());
                Assert.True(status is HttpStatusCode.OK or HttpStatusCode.ServiceUnavailable, $"/readyz answered {(int)status}\n{node.Describe()}");
                ready = status == HttpStatusCode.OK;
            }
            catch (HttpRequestException) { seen.Add("refused"); }
            if (!ready) await Task.Delay(20);
        }
        Assert.True(ready, $"never ready; seen: {string.Join(",", seen.Distinct())}\n{node.Describe()}");

        // Ready means the RESP port serves immediately.
        await using (var c = await node.ConnectAsync())
            Assert.Equal("PONG", (await c.CallAsync("PING")).Text);

        var (h, _) = await node.HttpGetAsync("/healthz");
        Assert.Equal(HttpStatusCode.OK, h);
        var (r, _) = await node.HttpGetAsync("/readyz");
        Assert.Equal(HttpStatusCode.OK, r);
    }

    public static IEnumerable<object[]> BadOptions() => new[]
    {
        new object[] { "--maxmemory", "lots", "maxmemory" },
        new object[] { "--shards", "0", "shards" },
        new object[] { "--shards", "abc", "shards" },
        new object[] { "--maxmemory-policy", "foo", "maxmemory-policy" },
        new object[] { "--resp-port", "70000", "resp-port" },
        new object[] { "--resp-port", "-1", "resp-port" },
        new object[] { "--admin-port", "99999", "admin-port" },
    };

    [Theory]
    [MemberData(nameof(BadOptions))]
    public async Task BadOptionValue_ExitsNonZero_WithOneClearLine(string option, string value, string mention)
    {
        using var dir = new TempDir();
        var args = new List<string> { "serve", "--bind", "127.0.0.1", "--resp-port", PortAllocator.GetFreePort().ToString(), "--admin-port", PortAllocator.GetFreePort().ToString(), "--memcached-port", PortAllocator.GetFreePort().ToString(), "--data-dir", dir.Path, "--shards", "16" };
        // replace or append the option under test
        var idx = args.IndexOf(option);
        if (idx >= 0) args[idx + 1] = value; else args.AddRange(new[] { option, value });

        var (code, output, lines) = await NodeProcess.RunToExitAsync(args, ExitTimeout);
        var msg = $"serve {string.Join(' ', args)}\nexit={code?.ToString() ?? "(still running — killed)"}\n{output}";
        Assert.True(code is not null, "process did not exit on a bad option value\n" + msg);
        Assert.True(code != 0, "exit code 0 on a bad option value\n" + msg);
        Assert.True(lines.Any(l => l.Contains(mention, StringComparison.OrdinalIgnoreCase)), $"no output line mentions '{mention}'\n" + msg);
        Assert.True(!output.Contains("Unhandled exception") && !lines.Any(l => l.TrimStart().StartsWith("at ") && l.Contains('(')), "a stack trace instead of one clear line\n" + msg);
        Assert.True(lines.Length <= 5, $"expected one clear line, got {lines.Length} lines\n" + msg);
    }

    [Fact]
    public async Task Sigterm_NoClients_ExitCode0()
    {
        await using var node = await NodeProcess.StartAsync();
        await using (var c = await node.ConnectAsync())
            Assert.Equal("OK", (await c.CallAsync("SET", "a", "1")).Text);
        var code = await node.StopAsync(ExitTimeout);
        Assert.True(code == 0, $"exit code after SIGTERM: {code?.ToString() ?? "did not exit"}\n{node.Describe()}");
    }

    /// <summary>An idle client must not keep the node alive: SIGTERM closes client connections and exits 0 promptly.</summary>
    [Fact]
    public async Task Sigterm_WithIdleClientConnected_ExitsPromptly_ClientSeesEof()
    {
        await using var node = await NodeProcess.StartAsync();
        await using var c = await node.ConnectAsync();
        Assert.Equal("OK", (await c.CallAsync("SET", "a", "1")).Text);
        var code = await node.StopAsync(TimeSpan.FromSeconds(10));
        Assert.True(code == 0, $"exit code after SIGTERM with one idle client connected: {code?.ToString() ?? "did not exit within 10 s"}\n{node.Describe()}");
        var (closed, _) = await c.WaitForCloseAsync(TimeSpan.FromSeconds(5));
        Assert.True(closed, "client connection still open after the node exited");
        await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            await using var again = await RespClient.ConnectAsync(node.RespPort, TimeSpan.FromSeconds(2));
            again.Timeout = TimeSpan.FromSeconds(2);
            await again.CallAsync("PING");
        });
    }

    [Fact]
    public async Task Sigkill_ThenRestartOnSameDataDir_BecomesReady()
    {
        using var dir = new TempDir();
        var first = await NodeProcess.StartAsync(new NodeOptions { DataDir = dir.Path });
        await using (first)
        {
            await first.KillAsync();
            Assert.True(first.HasExited);
            Assert.NotEqual(0, first.ExitCode);
        }
        await using var second = await NodeProcess.StartAsync(new NodeOptions { DataDir = dir.Path });
        await using (var c = await second.ConnectAsync())
            Assert.Equal("PONG", (await c.CallAsync("PING")).Text);
        Assert.Equal(0, await second.StopAsync(ExitTimeout));
    }

    private static async Task AssertServesOn(int port, NodeProcess node, string because)
    {
        try
        {
            await using var c = await RespClient.ConnectAsync(port, TimeSpan.FromSeconds(5));
            Assert.Equal("PONG", (await c.CallAsync("PING")).Text);
        }
        catch (Exception e) when (e is SocketException or TimeoutException or IOException)
        {
            Assert.Fail($"{because}: nothing serving RESP on {port}: {e.Message}\n{node.Describe()}");
        }
    }

    private static void AssertNotListening(int port, NodeProcess node, string because)
    {
        using var probe = new TcpClient();
        bool connected;
        try
        {
            connected = probe.ConnectAsync(IPAddress.Loopback, port).Wait(TimeSpan.FromSeconds(2)) && probe.Connected;
        }
        catch (AggregateException e) when (e.InnerException is SocketException)
        {
            connected = false; // refused: nothing listens there
        }
        Assert.False(connected, $"{because}: something listens on {port}\n{node.Describe()}");
    }

    [Fact]
    public async Task RespPort_FromEnvironment()
    {
        var envPort = PortAllocator.GetFreePort();
        var o = new NodeOptions { PassRespPort = false, RespPort = envPort };
        o.Env["CACHECLUSTER_RESP_PORT"] = envPort.ToString();
        await using var node = await NodeProcess.StartAsync(o);
        await AssertServesOn(envPort, node, "CACHECLUSTER_RESP_PORT");
    }

    [Fact]
    public async Task RespPort_FromConfigFile()
    {
        using var dir = new TempDir();
        var cfgPort = PortAllocator.GetFreePort();
        var cfg = Path.Combine(dir.Path, "node.json");
        await File.WriteAllTextAsync(cfg, JsonSerializer.Serialize(new Dictionary<string, object> { ["resp-port"] = cfgPort, ["maxmemory-policy"] = "volatile-lru" }));
        var o = new NodeOptions { PassRespPort = false, RespPort = cfgPort };
        o.ExtraArgs.AddRange(new[] { "--config", cfg });
        await using var node = await NodeProcess.StartAsync(o);
        await AssertServesOn(cfgPort, node, "--config resp-port");
        await using var c = await node.ConnectAsync();
        var policy = (await c.CallAsync("CONFIG", "GET", "maxmemory-policy")).AsDictionary();
        Assert.Equal("volatile-lru", policy["maxmemory-policy"].Text);
    }

    [Fact]
    public async Task Precedence_EnvBeatsConfig()
    {
        using var dir = new TempDir();
        var envPort = PortAllocator.GetFreePort();
        var cfgPort = PortAllocator.GetFreePort();
        var cfg = Path.Combine(dir.Path, "node.json");
        await File.WriteAllTextAsync(cfg, JsonSerializer.Serialize(new Dictionary<string, object> { ["resp-port"] = cfgPort, ["maxmemory-policy"] = "volatile-lru" }));
        var o = new NodeOptions { PassRespPort = false, RespPort = envPort };
        o.ExtraArgs.AddRange(new[] { "--config", cfg });
        o.Env["CACHECLUSTER_RESP_PORT"] = envPort.ToString();
        o.Env["CACHECLUSTER_MAXMEMORY_POLICY"] = "noeviction";
        await using var node = await NodeProcess.StartAsync(o);
        await AssertServesOn(envPort, node, "env must beat config");
        AssertNotListening(cfgPort, node, "config port must be overridden by env");
        await using var c = await node.ConnectAsync();
        Assert.Equal("noeviction", (await c.CallAsync("CONFIG", "GET", "maxmemory-policy")).AsDictionary()["maxmemory-policy"].Text);
    }

    [Fact]
    public async Task Precedence_CliBeatsEnvAndConfig()
    {
        using var dir = new TempDir();
        var cliPort = PortAllocator.GetFreePort();
        var envPort = PortAllocator.GetFreePort();
        var cfgPort = PortAllocator.GetFreePort();
        var cfg = Path.Combine(dir.Path, "node.json");
        await File.WriteAllTextAsync(cfg, JsonSerializer.Serialize(new Dictionary<string, object> { ["resp-port"] = cfgPort, ["maxmemory-policy"] = "volatile-lru" }));
        var o = new NodeOptions { RespPort = cliPort, MaxMemoryPolicy = "allkeys-lru" };
        o.ExtraArgs.AddRange(new[] { "--config", cfg });
        o.Env["CACHECLUSTER_RESP_PORT"] = envPort.ToString();
        o.Env["CACHECLUSTER_MAXMEMORY_POLICY"] = "noeviction";
        await using var node = await NodeProcess.StartAsync(o);
        await AssertServesOn(cliPort, node, "CLI must beat env and config");
        AssertNotListening(envPort, node, "env port must be overridden by CLI");
        AssertNotListening(cfgPort, node, "config port must be overridden by CLI");
        await using var c = await node.ConnectAsync();
        Assert.Equal("allkeys-lru", (await c.CallAsync("CONFIG", "GET", "maxmemory-policy")).AsDictionary()["maxmemory-policy"].Text);
    }

    [Fact]
    public async Task BadValueInEnvOrConfig_AlsoRejected()
    {
        using var dir = new TempDir();
        var cfg = Path.Combine(dir.Path, "bad.json");
        await File.WriteAllTextAsync(cfg, "{\"shards\": 0}");
        var baseArgs = new List<string> { "serve", "--bind", "127.0.0.1", "--resp-port", PortAllocator.GetFreePort().ToString(), "--admin-port", PortAllocator.GetFreePort().ToString(), "--memcached-port", PortAllocator.GetFreePort().ToString(), "--data-dir", dir.Path };

        var (code1, out1, lines1) = await NodeProcess.RunToExitAsync(baseArgs.Concat(new[] { "--config", cfg }), ExitTimeout);
        Assert.True(code1 is not null and not 0 && lines1.Any(l => l.Contains("shards", StringComparison.OrdinalIgnoreCase)), $"config shards=0: exit={code1}\n{out1}");

        var (code2, out2, lines2) = await NodeProcess.RunToExitAsync(baseArgs, ExitTimeout, new Dictionary<string, string?> { ["CACHECLUSTER_MAXMEMORY"] = "lots" });
        Assert.True(code2 is not null and not 0 && lines2.Any(l => l.Contains("maxmemory", StringComparison.OrdinalIgnoreCase)), $"env maxmemory=lots: exit={code2}\n{out2}");
    }

    [Fact]
    public async Task DataDirCreatedWith16Shards_RefusesToStartWith32()
    {
        using var dir = new TempDir();
        await using (var node = await NodeProcess.StartAsync(new NodeOptions { DataDir = dir.Path, Shards = 16 }))
        {
            await using (var c = await node.ConnectAsync())
                Assert.Equal("OK", (await c.CallAsync("SET", "k", "v")).Text);
            Assert.Equal(0, await node.StopAsync(ExitTimeout));
        }

        var args = new[] { "serve", "--bind", "127.0.0.1", "--resp-port", PortAllocator.GetFreePort().ToString(), "--admin-port", PortAllocator.GetFreePort().ToString(), "--memcached-port", PortAllocator.GetFreePort().ToString(), "--data-dir", dir.Path, "--shards", "32" };
        var (code, output, lines) = await NodeProcess.RunToExitAsync(args, ExitTimeout);
        var msg = $"serve {string.Join(' ', args)}\nexit={code?.ToString() ?? "(still running — killed)"}\n{output}";
        Assert.True(code is not null && code != 0, "must refuse a data dir created with a different shard count\n" + msg);
        Assert.True(lines.Any(l => l.Contains("shards", StringComparison.OrdinalIgnoreCase) && (l.Contains("16") || l.Contains("32"))), "no clear line about the shard count\n" + msg);
        Assert.False(lines.Any(l => l.TrimStart().StartsWith("at ") && l.Contains('(')), "stack trace instead of a clear line\n" + msg);

        // and the original shard count still works
        await using var again = await NodeProcess.StartAsync(new NodeOptions { DataDir = dir.Path, Shards = 16 });
        await using var c2 = await again.ConnectAsync();
        Assert.Equal("PONG", (await c2.CallAsync("PING")).Text);
    }
}
