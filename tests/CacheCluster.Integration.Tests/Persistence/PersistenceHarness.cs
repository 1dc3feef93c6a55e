using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using CacheCluster.Integration.Tests.Infrastructure;
using CacheCluster.Integration.Tests.Memcached.Harness;

namespace CacheCluster.Integration.Tests.Persistence;

/// <summary>
/// The persistence tests kill nodes, fill disks and measure timings; they run one at a time and not alongside
/// other test classes, so a busy machine does not blur a TTL or a loss bound.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class PersistenceCollection
{
    public const string Name = "persistence";
}

/// <summary>Helpers for the SQLite-journal tests: starting nodes on a given data dir, INFO persistence, the sqlite3 CLI.</summary>
public static class Persist
{
    public const string DbFile = "cachecluster.db";
    public static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(30);

    public static string DbPath(string dataDir) => Path.Combine(dataDir, DbFile);

    /// <summary>Disposes a node in a finally block; a node already disposed by the test (before a restart that then failed) is fine.</summary>
    public static async Task DisposeQuietlyAsync(NodeProcess? node)
    {
        if (node == null) return;
        try { await node.DisposeAsync(); }
        catch (InvalidOperationException) { /* already disposed */ }
    }

    public static NodeOptions Options(string dataDir, string? durability = "always", int shards = 4, params string[] extra)
    {
        var o = new NodeOptions { DataDir = dataDir, Shards = shards, ReadyTimeout = TimeSpan.FromSeconds(60) };
        if (durability != null) o.ExtraArgs.AddRange(new[] { "--durability", durability });
        o.ExtraArgs.AddRange(extra);
        return o;
    }

    public static Task<NodeProcess> StartAsync(string dataDir, string? durability = "always", int shards = 4, params string[] extra) =>
        NodeProcess.StartAsync(Options(dataDir, durability, shards, extra));

    /// <summary>A full "serve ..." argument list on fresh ports, for <see cref="NodeProcess.RunToExitAsync"/>.</summary>
    public static List<string> ServeArgs(string dataDir, int shards, params string[] extra)
    {
        var args = new List<string>
        {
            "serve", "--bind", "127.0.0.1",
            "--resp-port", PortAllocator.GetFreePort().ToString(),
            "--admin-port", PortAllocator.GetFreePort().ToString(),
            "--memcached-port", PortAllocator.GetFreePort().ToString(),
            "--data-dir", dataDir, "--shards", shards.ToString(),
        };
        args.AddRange(extra);
        return args;
    }

    /// <summary>INFO &lt;section&gt; as field → value.</summary>
    public static async Task<Dictionary<string, string>> InfoAsync(RespClient c, string section = "persistence")
    {
        var r = await c.CallAsync("INFO", section);
        if (r.IsError) throw new InvalidOperationException($"INFO {section} answered {r}");
        return ParseInfo(r.Text);
    }

    public static Dictionary<string, string> ParseInfo(string text)
    {
        var d = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.Length == 0 || line[0] == '#') continue;
            var i = line.IndexOf(':');
            if (i > 0) d[line[..i]] = line[(i + 1)..];
        }
        return d;
    }

    public static async Task<Dictionary<string, string>> InfoAsync(NodeProcess node, string section = "persistence")
    {
        await using var c = await node.ConnectAsync();
        return await InfoAsync(c, section);
    }

    public static long Long(Dictionary<string, string> info, string field, string context)
    {
        Assert.True(info.TryGetValue(field, out var v), $"INFO persistence has no '{field}' field ({context}): {Describe(info)}");
        Assert.True(long.TryParse(v, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n), $"INFO {field}:{v} is not an integer ({context})");
        return n;
    }

    public static string Describe(Dictionary<string, string> info) => string.Join(" ", info.Select(kv => kv.Key + ":" + kv.Value));

    /// <summary>Waits until the journal has nothing pending (everything acknowledged is committed). Fails on timeout.</summary>
    public static async Task WaitJournalIdleAsync(NodeProcess node, TimeSpan timeout)
    {
        var sw = Stopwatch.StartNew();
        await using var c = await node.ConnectAsync();
        Dictionary<string, string> info = new();
        while (sw.Elapsed < timeout)
        {
            info = await InfoAsync(c);
            if (info.TryGetValue("journal_events_pending", out var p) && p == "0") return;
            await Task.Delay(20);
        }
        Assert.Fail($"journal_events_pending never reached 0 within {timeout.TotalSeconds}s: {Describe(info)}\n{node.Describe()}");
    }

    /// <summary>Runs one read-only query with the sqlite3 CLI and returns its output (rows, '|'-separated columns).</summary>
    public static async Task<string> SqliteAsync(string dbPath, string sql)
    {
        var r = await ExternalTool.RunAsync("sqlite3", new[] { "-readonly", "-batch", "-noheader", "-cmd", ".timeout 5000", dbPath, sql }, null, TimeSpan.FromSeconds(30));
        if (r.ExitCode != 0) throw new InvalidOperationException($"sqlite3 query failed:\n{r.Describe()}");
        return r.Stdout.Trim();
    }

    public static async Task<long> SqliteLongAsync(string dbPath, string sql) =>
        long.Parse(await SqliteAsync(dbPath, sql), CultureInfo.InvariantCulture);

    public static long FileSize(string path) => File.Exists(path) ? new FileInfo(path).Length : 0;

    /// <summary>Bytes the journal occupies: the database plus its write-ahead log.</summary>
    public static long DbBytes(string dataDir) => FileSize(DbPath(dataDir)) + FileSize(DbPath(dataDir) + "-wal");

    public static string Sha256(string path) => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path)));

    /// <summary>
    /// Runs the server expecting it to refuse to start: it must exit (not keep serving), non-zero, with exactly one
    /// stderr line "cachecluster: ..." and no stack trace. Returns that line's message.
    /// </summary>
    public static async Task<string> AssertRefusesToStartAsync(IReadOnlyList<string> args, string scenario, IDictionary<string, string?>? env = null)
    {
        var (code, output, lines) = await NodeProcess.RunToExitAsync(args, ExitTimeout, env);
        var msg = $"{scenario}\n$ serve {string.Join(' ', args)}\nexit={code?.ToString() ?? "(still running after 30 s — killed)"}\n--- output ---\n{output}";
        Assert.True(code is not null, "the node did not exit: it must refuse to start\n" + msg);
        Assert.True(code != 0, "exit code 0: the node must refuse to start with a non-zero exit\n" + msg);
        var stderr = output.Split('\n').Where(l => l.StartsWith("err| ", StringComparison.Ordinal)).Select(l => l[5..].TrimEnd('\r')).Where(l => l.Trim().Length > 0).ToList();
        Assert.False(output.Contains("Unhandled exception", StringComparison.Ordinal) || lines.Any(l => l.TrimStart().StartsWith("at ", StringComparison.Ordinal) && l.Contains('(')),
            "a stack trace instead of one clear line\n" + msg);
        Assert.True(stderr.Count == 1 && stderr[0].StartsWith("cachecluster: ", StringComparison.Ordinal),
            $"expected exactly one stderr line 'cachecluster: <message>', got {stderr.Count}: [{string.Join(" | ", stderr)}]\n" + msg);
        return stderr[0];
    }

    /// <summary>Pipelined SETs; every reply must be +OK.</summary>
    public static async Task SetManyAsync(RespClient c, IReadOnlyList<(string Key, string Value)> items, int batch = 1000)
    {
        for (var i = 0; i < items.Count; i += batch)
        {
            var n = Math.Min(batch, items.Count - i);
            var ms = new MemoryStream();
            for (var j = 0; j < n; j++) ms.Write(RespClient.Encode(RespClient.Args("SET", items[i + j].Key, items[i + j].Value)));
            await c.SendRawAsync(ms.ToArray());
            for (var j = 0; j < n; j++)
            {
                var r = await c.ReadAsync();
                if (!(r.Kind == RespKind.SimpleString && r.Text == "OK"))
                    throw new InvalidOperationException($"SET {items[i + j].Key} answered {r}");
            }
        }
    }

    /// <summary>Pipelined GETs (batches of <paramref name="batch"/>), replies in key order.</summary>
    public static async Task<List<RespValue>> GetManyAsync(RespClient c, IReadOnlyList<string> keys, int batch = 1000)
    {
        var result = new List<RespValue>(keys.Count);
        for (var i = 0; i < keys.Count; i += batch)
        {
            var n = Math.Min(batch, keys.Count - i);
            var ms = new MemoryStream();
            for (var j = 0; j < n; j++) ms.Write(RespClient.Encode(RespClient.Args("GET", keys[i + j])));
            await c.SendRawAsync(ms.ToArray());
            for (var j = 0; j < n; j++) result.Add(await c.ReadAsync());
        }
        return result;
    }

    public sealed record McItem(uint Flags, byte[] Data, ulong? Cas)
    {
        public string Text => Encoding.UTF8.GetString(Data);
    }

    /// <summary>memcached text "gets k1 k2 ..." in batches: key → item (missing keys absent).</summary>
    public static async Task<Dictionary<string, McItem>> McGetManyAsync(McConnection c, IReadOnlyList<string> keys, int batch = 100)
    {
        var d = new Dictionary<string, McItem>(StringComparer.Ordinal);
        for (var i = 0; i < keys.Count; i += batch)
        {
            var chunk = keys.Skip(i).Take(batch).ToList();
            await c.SendAsync("gets " + string.Join(' ', chunk) + "\r\n");
            while (true)
            {
                var item = await McText.ReadItemAsync(c);
                if (item.Data == null && item.LineText == "END") break;
                var t = item.Tokens;
                if (t[0] != "VALUE" || item.Data == null) throw new InvalidDataException($"gets {string.Join(' ', chunk.Take(3))}…: unexpected reply line {item}");
                d[t[1]] = new McItem(uint.Parse(t[2], CultureInfo.InvariantCulture), item.Data, t.Length > 4 ? ulong.Parse(t[4], CultureInfo.InvariantCulture) : null);
            }
        }
        return d;
    }

    public static async Task<McItem?> McGetAsync(McConnection c, string key) =>
        (await McGetManyAsync(c, new[] { key })).TryGetValue(key, out var v) ? v : null;
}

/// <summary>A tmpfs mounted over a fresh directory (we run as root in the test sandbox); unmounted on dispose.</summary>
public sealed class Tmpfs : IAsyncDisposable
{
    private readonly TempDir _dir;
    public string Path { get; }
    private bool _mounted;

    private Tmpfs(TempDir dir, string path)
    {
        _dir = dir;
        Path = path;
    }

    public static async Task<Tmpfs> MountAsync(string size, bool readOnly = false)
    {
        var dir = new TempDir("cc-tmpfs");
        var path = System.IO.Path.Combine(dir.Path, "data");
        Directory.CreateDirectory(path);
        var t = new Tmpfs(dir, path);
        await t.RunAsync("mount", "-t", "tmpfs", "-o", $"size={size},mode=0755" + (readOnly ? ",ro" : ""), "tmpfs", path);
        t._mounted = true;
        return t;
    }

    public Task RemountAsync(string options) => RunAsync("mount", "-o", "remount," + options, Path);

    private async Task RunAsync(string tool, params string[] args)
    {
        var r = await ExternalTool.RunAsync(tool, args, null, TimeSpan.FromSeconds(20));
        if (r.ExitCode != 0) throw new InvalidOperationException($"{tool} failed (the persistence tests need root and tmpfs mounts):\n{r.Describe()}");
    }

    public async ValueTask DisposeAsync()
    {
        if (_mounted)
        {
            var r = await ExternalTool.RunAsync("umount", new[] { Path }, null, TimeSpan.FromSeconds(20));
            if (r.ExitCode != 0) await ExternalTool.RunAsync("umount", new[] { "-l", Path }, null, TimeSpan.FromSeconds(20));
            _mounted = false;
        }
        _dir.Dispose();
    }
}
