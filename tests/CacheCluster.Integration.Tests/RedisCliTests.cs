using System.Text;
using CacheCluster.Integration.Tests.Infrastructure;

namespace CacheCluster.Integration.Tests;

/// <summary>The real redis-cli against the node; where possible the same invocation is also run against redis-server and the outputs compared.</summary>
[Collection(SharedNodeCollection.Name)]
public sealed class RedisCliTests
{
    private readonly SharedNodeFixture _fx;

    public RedisCliTests(SharedNodeFixture fx) => _fx = fx;

    private async Task<ToolResult> BothAsync(IEnumerable<string> args, byte[]? stdin = null, string? context = null)
    {
        var argList = args.ToList();
        var expected = await RedisCli.RunAsync(_fx.Redis.Port, argList, stdin);
        var actual = await RedisCli.RunAsync(_fx.Node.RespPort, argList, stdin);
        var msg = $"{context}\nredis-server:\n{expected.Describe()}\n\nnode:\n{actual.Describe()}";
        Assert.True(expected.Stdout == actual.Stdout, "stdout differs from redis-server\n" + msg);
        Assert.True(expected.ExitCode == actual.ExitCode, "exit code differs from redis-server\n" + msg);
        return actual;
    }

    [Fact]
    public async Task OneShotCommands_PrintTheSameAsAgainstRedis()
    {
        var p = SharedNodeFixture.Prefix("cli1");
        var invocations = new[]
        {
            new[] { "PING" },
            new[] { "ECHO", "hello world" },
            new[] { "SET", p + "a", "hello" },
            new[] { "GET", p + "a" },
            new[] { "GET", p + "missing" },
            new[] { "APPEND", p + "a", " there" },
            new[] { "STRLEN", p + "a" },
            new[] { "GETRANGE", p + "a", "0", "4" },
            new[] { "INCR", p + "n" },
            new[] { "INCRBY", p + "n", "41" },
            new[] { "INCRBYFLOAT", p + "n", "0.5" },
            new[] { "INCR", p + "a" },
            new[] { "MSET", p + "x", "1", p + "y", "2" },
            new[] { "MGET", p + "x", p + "y", p + "missing" },
            new[] { "EXPIRE", p + "x", "1000" },
            new[] { "PERSIST", p + "x" },
            new[] { "TTL", p + "x" },
            new[] { "TYPE", p + "x" },
            new[] { "TYPE", p + "missing" },
            new[] { "EXISTS", p + "x", p + "y", p + "missing" },
            new[] { "RENAME", p + "x", p + "z" },
            new[] { "COPY", p + "z", p + "w" },
            new[] { "DEL", p + "z", p + "w", p + "missing" },
            new[] { "SET", p + "a", "v", "NX", "XX" },
            new[] { "foo", "a", "b" },
            new[] { "GET" },
            new[] { "SELECT", "0" },
            new[] { "CONFIG", "GET", "maxmemory-policy" },
            new[] { "GETEX", p + "a", "PERSIST" },
            new[] { "GETDEL", p + "a" },
        };
        foreach (var inv in invocations) await BothAsync(inv, context: string.Join(' ', inv));
        var get = await RedisCli.RunAsync(_fx.Node.RespPort, "GET", p + "y");
        Assert.Equal("2\n", get.Stdout);
    }

    [Fact]
    public async Task CommandsFromStdin_InlineStyle()
    {
        var p = SharedNodeFixture.Prefix("cli2");
        var script = $"SET {p}s 1\nINCR {p}s\nGET {p}s\nECHO \"a b\"\nSET {p}q \"with \\\"quotes\\\" and\\nnewline\"\nGET {p}q\nSTRLEN {p}q\nnosuchcommand x\nDEL {p}s {p}q\n";
        var r = await BothAsync(Array.Empty<string>(), Encoding.UTF8.GetBytes(script), script);
        Assert.Equal(0, r.ExitCode);
        Assert.StartsWith("OK\n2\n2\na b\nOK\nwith \"quotes\" and\nnewline\n25\n", r.Stdout);
        Assert.Contains("ERR unknown command 'nosuchcommand'", r.Stdout);
        Assert.EndsWith("2\n", r.Stdout);
    }

    [Fact]
    public async Task DashX_SendsBinaryStdinAsLastArgument()
    {
        var key = SharedNodeFixture.Prefix("cli3") + "bin";
        var payload = new byte[70_000];
        new Random(3).NextBytes(payload);
        payload[0] = 0; payload[1] = (byte)'\r'; payload[2] = (byte)'\n';
        var r = await RedisCli.RunAsync(_fx.Node.RespPort, new[] { "-x", "SET", key }, payload);
        Assert.True(r.ExitCode == 0 && r.Stdout == "OK\n", r.Describe());
        await using var c = await _fx.Node.ConnectAsync();
        var got = await c.CallAsync("GET", key);
        Assert.Equal(RespKind.Bulk, got.Kind);
        Assert.Equal(payload, got.Bytes);
        Assert.Equal(payload.Length, (await c.CallAsync("STRLEN", key)).Integer);
    }

    [Fact]
    public async Task Resp3Flag_OutputMatchesRedis()
    {
        var p = SharedNodeFixture.Prefix("cli4");
        await using (var c = await _fx.Node.ConnectAsync())
        await using (var r = await _fx.Redis.ConnectAsync())
        {
            foreach (var x in new[] { c, r }) await x.CallAsync("MSET", p + "a", "1", p + "b", "two");
        }
        var invocations = new[]
        {
            new[] { "-3", "GET", p + "a" },
            new[] { "-3", "GET", p + "missing" },
            new[] { "-3", "MGET", p + "a", p + "b", p + "missing" },
            new[] { "-3", "CONFIG", "GET", "maxmemory-policy" },
            new[] { "-3", "INCR", p + "a" },
            new[] { "-3", "INCRBYFLOAT", p + "a", "1.25" },
            new[] { "-3", "EXISTS", p + "a" },
            new[] { "-3", "TTL", p + "a" },
            new[] { "-3", "PING" },
            new[] { "-3", "SET", p + "a", "x", "NX" },
            new[] { "-3", "foo" },
            new[] { "-3", "--no-raw", "MGET", p + "a", p + "missing" },
            new[] { "-3", "--no-raw", "CONFIG", "GET", "maxmemory-policy" },
            new[] { "-3", "--no-raw", "GET", p + "missing" },
            new[] { "--no-raw", "GET", p + "missing" },
            new[] { "--no-raw", "INCR", p + "a" },
            new[] { "--no-raw", "MGET", p + "a", p + "missing" },
        };
        foreach (var inv in invocations) await BothAsync(inv, context: string.Join(' ', inv));
        var hello = await RedisCli.RunAsync(_fx.Node.RespPort, "-3", "--no-raw", "HELLO", "3");
        Assert.True(hello.ExitCode == 0 && hello.Stdout.Contains("\"proto\"") && hello.Stdout.Contains("(integer) 3"), hello.Describe());
    }

    [Theory]
    [InlineData("somekey", "11058")]
    [InlineData("foo{hash_tag}", "2515")]
    [InlineData("{user1000}.following", "3443")]
    [InlineData("foo{}{bar}", "8363")]
    public async Task ClusterKeyslot(string key, string slot)
    {
        var r = await RedisCli.RunAsync(_fx.Node.RespPort, "CLUSTER", "KEYSLOT", key);
        Assert.True(r.ExitCode == 0 && r.Stdout == slot + "\n", r.Describe());
    }

    [Fact]
    public async Task ScanWithPattern_ReturnsExactlyTheMatchingKeys()
    {
        var p = SharedNodeFixture.Prefix("cli5");
        await using var c = await _fx.Node.ConnectAsync();
        var expected = new HashSet<string>();
        for (var i = 0; i < 300; i++)
        {
            var k = $"{p}scan:{i}";
            expected.Add(k);
            await c.SendAsync("SET", k, i.ToString());
        }
        for (var i = 0; i < 300; i++) Assert.Equal("OK", (await c.ReadAsync()).Text);
        for (var i = 0; i < 50; i++) Assert.Equal("OK", (await c.CallAsync("SET", $"{p}other:{i}", "x")).Text);

        var r = await RedisCli.RunAsync(_fx.Node.RespPort, "--scan", "--pattern", p + "scan:*");
        Assert.True(r.ExitCode == 0, r.Describe());
        var got = r.StdoutLines.ToList();
        Assert.True(expected.SetEquals(got), $"expected {expected.Count} keys, got {got.Count} ({got.Distinct().Count()} distinct)\n{r.Describe()}");

        var r2 = await RedisCli.RunAsync(_fx.Node.RespPort, "--scan", "--pattern", p + "scan:1?");
        Assert.True(r2.ExitCode == 0, r2.Describe());
        Assert.Equal(Enumerable.Range(10, 10).Select(i => $"{p}scan:{i}").ToHashSet(), r2.StdoutLines.ToHashSet());
    }

    [Fact]
    public async Task InteractiveSession_OnATerminal_Works()
    {
        var p = SharedNodeFixture.Prefix("cli6");
        var lines = new[] { $"SET {p}i hello", $"GET {p}i", $"INCR {p}n", "HELP GET", $"DEL {p}i {p}n" };
        var node = await RedisCli.RunInteractiveAsync(_fx.Node.RespPort, lines);
        var redis = await RedisCli.RunInteractiveAsync(_fx.Redis.Port, lines);
        var msg = $"node:\n{node.Describe()}\n\nredis-server (reference):\n{redis.Describe()}";
        Assert.True(redis.ExitCode == 0, "reference session failed\n" + msg);
        Assert.True(node.ExitCode == 0, msg);
        Assert.Contains("OK", node.Stdout);
        Assert.Contains("\"hello\"", node.Stdout);
        Assert.Contains("(integer) 1", node.Stdout);
        Assert.Contains("summary:", node.Stdout);
        Assert.Contains("(integer) 2", node.Stdout);
        Assert.DoesNotContain("(error)", node.Stdout);
    }

    /// <summary>redis-cli in interactive mode builds its help from COMMAND DOCS; every implemented command needs a doc entry with the fields it reads.</summary>
    [Fact]
    public async Task CommandDocs_HasRedisCliFieldsForEveryImplementedCommand()
    {
        await using var c = await _fx.Node.ConnectAsync();
        await using var r = await _fx.Redis.ConnectAsync();
        var all = await c.CallAsync("COMMAND", "DOCS");
        Assert.True(all.Kind is RespKind.Array or RespKind.Map, $"COMMAND DOCS answered {all}");
        var docs = all.AsDictionary();
        var commands = new[]
        {
            "get", "set", "setnx", "setex", "psetex", "getset", "getdel", "getex", "mget", "mset", "msetnx", "incr", "decr", "incrby",
            "decrby", "incrbyfloat", "append", "strlen", "getrange", "setrange", "del", "unlink", "exists", "touch", "expire", "pexpire",
            "expireat", "pexpireat", "ttl", "pttl", "expiretime", "pexpiretime", "persist", "type", "keys", "scan", "randomkey", "rename",
            "renamenx", "copy", "ping", "echo", "quit", "hello", "select", "client", "command", "info", "config", "dbsize", "flushdb",
            "flushall", "time", "object", "memory", "cluster",
        };
        var problems = new List<string>();
        var refDocs = (await r.CallAsync("COMMAND", "DOCS")).AsDictionary();
        foreach (var name in commands)
        {
            if (!docs.TryGetValue(name, out var doc)) { problems.Add($"{name}: missing"); continue; }
            var d = doc.AsDictionary();
            foreach (var field in new[] { "summary", "since", "group" })
                if (!d.ContainsKey(field)) problems.Add($"{name}: no '{field}'");
            if (d.TryGetValue("group", out var g) && refDocs.TryGetValue(name, out var rd) && rd.AsDictionary().TryGetValue("group", out var rg) && !g.Equals(rg))
                problems.Add($"{name}: group {g} (redis: {rg})");
        }
        Assert.True(problems.Count == 0, string.Join("\n", problems));
        var one = await c.CallAsync("COMMAND", "DOCS", "GET");
        Assert.Single(one.AsDictionary());
    }
}

/// <summary>redis-cli --pipe mass insertion; its own node because it checks DBSIZE.</summary>
public sealed class RedisCliPipeTests
{
    [Fact]
    public async Task PipeMode_MassInsertOf10000Sets()
    {
        await using var node = await NodeProcess.StartAsync();
        var sb = new MemoryStream();
        for (var i = 0; i < 10_000; i++)
        {
            var bytes = RespClient.Encode(RespClient.Args("SET", $"mass:{i}", $"value-{i}"));
            sb.Write(bytes);
        }
        var r = await RedisCli.RunAsync(node.RespPort, new[] { "--pipe" }, sb.ToArray(), TimeSpan.FromSeconds(60));
        Assert.True(r.ExitCode == 0, r.Describe() + "\n" + node.Describe());
        Assert.Contains("errors: 0, replies: 10000", r.Stdout);
        await using var c = await node.ConnectAsync();
        Assert.Equal(10_000, (await c.CallAsync("DBSIZE")).Integer);
        Assert.Equal("value-9999", (await c.CallAsync("GET", "mass:9999")).Text);
        Assert.Equal("value-0", (await c.CallAsync("GET", "mass:0")).Text);

        // Inline protocol through --pipe as well (what people do with text files).
        var text = string.Concat(Enumerable.Range(0, 1000).Select(i => $"SET inline:{i} {i}\r\n"));
        var r2 = await RedisCli.RunAsync(node.RespPort, new[] { "--pipe" }, Encoding.ASCII.GetBytes(text), TimeSpan.FromSeconds(60));
        Assert.True(r2.ExitCode == 0 && r2.Stdout.Contains("errors: 0, replies: 1000"), r2.Describe());
        Assert.Equal(11_000, (await c.CallAsync("DBSIZE")).Integer);
    }
}
