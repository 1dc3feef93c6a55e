using System.Collections.Concurrent;
using System.Diagnostics;
using CacheCluster.Integration.Tests.Infrastructure;
using CacheCluster.Integration.Tests.Memcached.Harness;
using Xunit.Abstractions;

namespace CacheCluster.Integration.Tests.Persistence;

/// <summary>The data dir on a 3 MB tmpfs: what happens when SQLite cannot write.</summary>
[Collection(PersistenceCollection.Name)]
public sealed class DiskFullTests
{
    private const int ValueBytes = 2000;
    private readonly ITestOutputHelper _out;

    public DiskFullTests(ITestOutputHelper output) => _out = output;

    private static string Value(string key) => (key + "|").PadRight(ValueBytes, (char)('a' + key.Length % 26));

    private static async Task<int> RespWriterAsync(int port, string prefix, ConcurrentDictionary<string, string> acked, ConcurrentQueue<(string Key, string Reply)> errors, int stopAfterErrors, TimeSpan limit)
    {
        await using var c = await RespClient.ConnectAsync(port);
        var sw = Stopwatch.StartNew();
        var myErrors = 0;
        var s = 0;
        while (myErrors < stopAfterErrors && sw.Elapsed < limit)
        {
            var keys = Enumerable.Range(s, 4).Select(i => $"{prefix}{i}").ToList();
            s += 4;
            var ms = new MemoryStream();
            foreach (var k in keys) ms.Write(RespClient.Encode(RespClient.Args("SET", k, Value(k))));
            await c.SendRawAsync(ms.ToArray());
            foreach (var k in keys)
            {
                var r = await c.ReadAsync(TimeSpan.FromSeconds(15));
                if (r.Kind == RespKind.SimpleString && r.Text == "OK") acked[k] = Value(k);
                else if (r.IsError) { errors.Enqueue((k, r.Text)); myErrors++; }
                else throw new InvalidOperationException($"SET {k} answered {r}");
            }
        }
        return s;
    }

    /// <summary>
    /// --durability always on a full disk: writes fail with "-ERR journal write failed" (memcached: SERVER_ERROR) and are
    /// not acknowledged; the node stays up and serves reads; INFO reports the error. When space returns, writes are
    /// accepted again. After SIGKILL, the files copied to a roomy directory hold every acknowledged write.
    /// </summary>
    [Fact]
    public async Task Always_DiskFull_WritesFail_NodeStaysUp_NothingAcknowledgedIsLost()
    {
        await using var fs = await Tmpfs.MountAsync("3m");
        using var copy = new TempDir("cc-diskfull-copy");
        var node = await Persist.StartAsync(fs.Path, "always", shards: 2);
        try
        {
            var acked = new ConcurrentDictionary<string, string>();
            var errors = new ConcurrentQueue<(string Key, string Reply)>();
            var mcErrors = new ConcurrentQueue<string>();
            var limit = TimeSpan.FromSeconds(20);
            var resp = Enumerable.Range(0, 4).Select(w => RespWriterAsync(node.RespPort, $"df:{w}:", acked, errors, 10, limit)).ToList();
            var mcWriter = Task.Run(async () =>
            {
                await using var m = await McConnection.ConnectAsync(node.MemcachedPort, TimeSpan.FromSeconds(5));
                m.Timeout = TimeSpan.FromSeconds(15);
                var sw = Stopwatch.StartNew();
                for (var i = 0; mcErrors.Count < 5 && sw.Elapsed < limit; i++)
                {
                    var k = $"dfm:{i}";
                    var line = await McText.LineAsync(m, $"set {k} 0 0 {ValueBytes}\r\n{Value(k)}\r\n");
                    if (line == "STORED") acked[k] = Value(k);
                    else mcErrors.Enqueue(line);
                }
            });
            await Task.WhenAll(resp.Append(mcWriter));
            var summary = $"{acked.Count} writes acknowledged, {errors.Count} RESP errors, {mcErrors.Count} memcached errors";
            _out.WriteLine(summary);

            Assert.True(errors.Count > 0, $"no RESP write failed on a full 3 MB disk with always ({summary})\n{node.Describe()}");
            Assert.True(errors.All(e => e.Reply.StartsWith("ERR journal write failed", StringComparison.Ordinal)), "RESP errors: " + string.Join(" | ", errors.Select(e => e.Reply).Distinct().Take(5)));
            Assert.True(mcErrors.Count > 0 && mcErrors.All(l => l.StartsWith("SERVER_ERROR", StringComparison.Ordinal)), "memcached set replies on a full disk: " + string.Join(" | ", mcErrors.Distinct().Take(5)));
            Assert.True(acked.Count > 100, "almost nothing was stored before the disk filled: " + summary);

            // The node is up and serves reads of what it stored.
            Assert.False(node.HasExited, "the node exited on a full disk\n" + node.Describe());
            await using (var c = await node.ConnectAsync())
            {
                Assert.Equal("PONG", (await c.CallAsync("PING")).Text);
                var some = acked.Keys.Where(k => k.StartsWith("df:", StringComparison.Ordinal)).Take(50).ToList();
                var got = await Persist.GetManyAsync(c, some);
                for (var i = 0; i < some.Count; i++) Assert.Equal(acked[some[i]], got[i].Text);
                var info = await Persist.InfoAsync(c);
                // the last commit may have succeeded (a small batch can still fit), so the status is either; the error count is not
                Assert.Contains(info.GetValueOrDefault("journal_last_write_status"), new[] { "ok", "err" });
                Assert.True(Persist.Long(info, "journal_write_errors", Persist.Describe(info)) > 0, Persist.Describe(info));
                var erroredLive = 0;
                foreach (var (k, _) in errors.Take(20)) if (!(await c.CallAsync("GET", k)).IsNull) erroredLive++;
                _out.WriteLine($"of {Math.Min(20, errors.Count)} keys whose SET failed, {erroredLive} are readable on the live node");
            }
            var (health, _) = await node.HttpGetAsync("/healthz");
            Assert.Equal(System.Net.HttpStatusCode.OK, health);

            // Space comes back: writes are accepted again.
            await fs.RemountAsync("size=64m");
            await using (var c = await node.ConnectAsync())
            {
                var sw = Stopwatch.StartNew();
                RespValue r = RespValue.Nil('$');
                for (var i = 0; sw.Elapsed < TimeSpan.FromSeconds(10); i++)
                {
                    var k = $"retry:{i}";
                    r = await c.CallAsync("SET", k, Value(k));
                    if (!r.IsError) { acked[k] = Value(k); break; }
                    await Task.Delay(100);
                }
                Assert.True(r.Kind == RespKind.SimpleString && r.Text == "OK", $"10 s after the disk got space again SET still answers {r}\n{node.Describe()}");
                var after = Enumerable.Range(0, 200).Select(i => ($"after:{i}", Value($"after:{i}"))).ToList();
                await Persist.SetManyAsync(c, after, batch: 50);
                foreach (var (k, v) in after) acked[k] = v;
                Assert.Equal("ok", (await Persist.InfoAsync(c)).GetValueOrDefault("journal_last_write_status"));
            }

            await node.KillAsync();
            foreach (var f in Directory.GetFiles(fs.Path)) File.Copy(f, Path.Combine(copy.Path, Path.GetFileName(f)));
            await node.DisposeAsync();

            node = await Persist.StartAsync(copy.Path, "always", shards: 2);
            await using (var c = await node.ConnectAsync())
            {
                var keys = acked.Keys.ToList();
                var values = await Persist.GetManyAsync(c, keys);
                var lost = Enumerable.Range(0, keys.Count).Where(i => values[i].IsNull || values[i].Text != acked[keys[i]]).Select(i => keys[i]).ToList();
                Assert.True(lost.Count == 0, $"{lost.Count} of {keys.Count} acknowledged writes missing after the restart, e.g. {string.Join(", ", lost.Take(10))}\n{node.Describe()}");
                var erroredBack = 0;
                foreach (var (k, _) in errors) if (!(await c.CallAsync("GET", k)).IsNull) erroredBack++;
                _out.WriteLine($"of {errors.Count} keys whose SET failed, {erroredBack} are present after the restart");
            }
        }
        finally
        {
            await Persist.DisposeQuietlyAsync(node);
        }
    }

    /// <summary>
    /// --durability everysec on a full disk: writes are acknowledged (that is the mode), the node logs the failure
    /// loudly, reports it in INFO, keeps the events pending and retries; once space returns everything pending is
    /// committed and survives a SIGKILL.
    /// </summary>
    [Fact]
    public async Task Everysec_DiskFull_LogsAndRetries_EverythingCommittedOnceSpaceReturns()
    {
        await using var fs = await Tmpfs.MountAsync("3m");
        var node = await Persist.StartAsync(fs.Path, "everysec", shards: 2);
        try
        {
            const int n = 4000; // 8 MB of values on a 3 MB disk
            var items = Enumerable.Range(0, n).Select(i => ($"es:{i}", Value($"es:{i}"))).ToList();
            await using (var c = await node.ConnectAsync())
            {
                await Persist.SetManyAsync(c, items, batch: 100);

                var sw = Stopwatch.StartNew();
                Dictionary<string, string> info;
                while (true)
                {
                    info = await Persist.InfoAsync(c);
                    if (info.GetValueOrDefault("journal_last_write_status") == "err") break;
                    Assert.True(sw.Elapsed < TimeSpan.FromSeconds(10), "INFO never reported a write error with 8 MB written to a 3 MB disk: " + Persist.Describe(info));
                    await Task.Delay(50);
                }
                var ctx = Persist.Describe(info);
                Assert.True(Persist.Long(info, "journal_write_errors", ctx) > 0, ctx);
                Assert.True(Persist.Long(info, "journal_events_pending", ctx) > 0, "nothing pending although the disk is full: " + ctx);
                Assert.Equal(items[^1].Item2, (await c.CallAsync("GET", items[^1].Item1)).Text);
                Assert.Equal("PONG", (await c.CallAsync("PING")).Text);
            }
            Assert.False(node.HasExited, "the node exited on a full disk\n" + node.Describe());
            var loud = node.Process.OutputLines.Where(l =>
                new[] { "warn", "fail", "crit", "error" }.Any(w => l.Contains(w, StringComparison.OrdinalIgnoreCase)) &&
                new[] { "journal", "sqlite", "disk", "database", "full", "write" }.Any(w => l.Contains(w, StringComparison.OrdinalIgnoreCase))).ToList();
            Assert.True(loud.Count > 0, "no warning/error in the log about failing journal writes\n" + node.Describe());

            await fs.RemountAsync("size=64m");
            var wait = Stopwatch.StartNew();
            await using (var c = await node.ConnectAsync())
            {
                Dictionary<string, string> info;
                while (true)
                {
                    info = await Persist.InfoAsync(c);
                    if (info.GetValueOrDefault("journal_events_pending") == "0" && info.GetValueOrDefault("journal_last_write_status") == "ok") break;
                    Assert.True(wait.Elapsed < TimeSpan.FromSeconds(15), "15 s after space returned the journal has not caught up: " + Persist.Describe(info) + "\n" + node.Describe());
                    await Task.Delay(100);
                }
                _out.WriteLine($"caught up {wait.ElapsedMilliseconds} ms after space returned: {Persist.Describe(info)}");
            }

            await node.KillAsync();
            await node.DisposeAsync();
            node = await Persist.StartAsync(fs.Path, "everysec", shards: 2);
            await using (var c = await node.ConnectAsync())
            {
                var values = await Persist.GetManyAsync(c, items.Select(i => i.Item1).ToList());
                var lost = Enumerable.Range(0, n).Where(i => values[i].IsNull || values[i].Text != items[i].Item2).Select(i => items[i].Item1).ToList();
                Assert.True(lost.Count == 0, $"{lost.Count} of {n} writes lost although the journal retried and caught up, e.g. {string.Join(", ", lost.Take(10))}\n{node.Describe()}");
            }
        }
        finally
        {
            await Persist.DisposeQuietlyAsync(node);
        }
    }
}
