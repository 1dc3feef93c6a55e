using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using CacheCluster.Integration.Tests.Infrastructure;
using CacheCluster.Integration.Tests.Memcached.Harness;
using Xunit.Abstractions;

namespace CacheCluster.Integration.Tests.Persistence;

/// <summary>While a node replays its journal its listeners are up but it says so: /readyz 503, -LOADING, INFO loading:1.</summary>
[Collection(PersistenceCollection.Name)]
public sealed class LoadingTests
{
    private const int Keys = 300_000;
    private readonly ITestOutputHelper _out;

    public LoadingTests(ITestOutputHelper output) => _out = output;

    private static string Value(int i) => $"v{i}-payload-{i % 977}";

    private static async Task PreloadAsync(NodeProcess node)
    {
        await Task.WhenAll(Enumerable.Range(0, 2).Select(async part =>
        {
            await using var c = await node.ConnectAsync();
            var items = Enumerable.Range(0, Keys).Where(i => i % 2 == part).Select(i => ($"ld:{i}", Value(i))).ToList();
            await Persist.SetManyAsync(c, items, batch: 2000);
        }));
        await Persist.WaitJournalIdleAsync(node, TimeSpan.FromSeconds(20));
    }

    /// <summary>
    /// SIGKILL while the node is recovering (INFO says loading:1), twice, then a full restart: recovery must not
    /// change the database in a way a crash can leave half done — all 300k keys come back intact.
    /// </summary>
    [Fact]
    public async Task KillDuringRecovery_ThenRestart_LosesNothing()
    {
        using var dir = new TempDir("cc-kill-loading");
        var options = Persist.Options(dir.Path, "everysec", shards: 2);
        var node = await NodeProcess.StartAsync(options);
        try
        {
            await PreloadAsync(node);
            await node.KillAsync();
            await node.DisposeAsync();

            var killedWhileLoading = 0;
            for (var attempt = 0; attempt < 2; attempt++)
            {
                node = await NodeProcess.StartAsync(options, waitReady: false);
                var sw = Stopwatch.StartNew();
                var delay = attempt * 50; // first as soon as loading is seen, then a bit later
                while (sw.Elapsed < TimeSpan.FromSeconds(30) && !node.HasExited)
                {
                    try
                    {
                        await using var c = await RespClient.ConnectAsync(node.RespPort, TimeSpan.FromSeconds(2));
                        var loading = (await Persist.InfoAsync(c)).GetValueOrDefault("loading");
                        if (loading == "1")
                        {
                            await Task.Delay(delay);
                            var still = (await Persist.InfoAsync(c)).GetValueOrDefault("loading") == "1";
                            await node.KillAsync();
                            if (still) killedWhileLoading++;
                            _out.WriteLine($"attempt {attempt}: killed {sw.ElapsedMilliseconds} ms after start, loading:1 just before: {still}");
                            break;
                        }
                        if (loading == "0") { _out.WriteLine($"attempt {attempt}: recovery finished before it could be interrupted"); break; }
                    }
                    catch (SocketException) { await Task.Delay(5); }
                }
                await node.KillAsync();
                await node.DisposeAsync();
            }
            Assert.True(killedWhileLoading > 0, "never managed to SIGKILL the node while INFO said loading:1");

            node = await NodeProcess.StartAsync(options);
            await using (var c = await node.ConnectAsync())
            {
                Assert.Equal(Keys, (await c.CallAsync("DBSIZE")).Integer);
                var keys = Enumerable.Range(0, Keys).Select(i => $"ld:{i}").ToList();
                var values = await Persist.GetManyAsync(c, keys, batch: 5000);
                var wrong = Enumerable.Range(0, Keys).Where(i => values[i].IsNull || values[i].Text != Value(i)).Take(5).Select(i => $"{keys[i]} = {values[i]}").ToList();
                Assert.True(wrong.Count == 0, "after recovery was killed twice: " + string.Join("; ", wrong));
            }
        }
        finally
        {
            await Persist.DisposeQuietlyAsync(node);
        }
    }

    /// <summary>
    /// 300k keys on 2 shards, SIGKILL, restart without waiting and probe as fast as possible with /readyz, INFO
    /// persistence, GET, DBSIZE, SET and a memcached get. Recovery may be too quick to catch, so what is asserted is
    /// consistency: once any probe saw the node ready (readyz 200, loading:0, a data reply) no probe may see it
    /// loading again (and /readyz never goes from 200 back to 503); a data command answers -LOADING or the right data, never a miss or a wrong value; a SET
    /// acknowledged during startup is kept and one refused with -LOADING is not applied. Then all keys are served.
    /// </summary>
    [Fact]
    public async Task Recovery_ReportsLoadingUntilDone_NeverServesPartialData()
    {
        using var dir = new TempDir("cc-loading");
        var options = Persist.Options(dir.Path, "everysec", shards: 2);
        var node = await NodeProcess.StartAsync(options);
        try
        {
            var sw = Stopwatch.StartNew();
            await PreloadAsync(node);
            _out.WriteLine($"preloaded {Keys} keys in {sw.ElapsedMilliseconds} ms");
            await node.KillAsync();
            await node.DisposeAsync();

            node = await NodeProcess.StartAsync(options, waitReady: false);
            var clock = Stopwatch.StartNew();
            // each probe kind's state changes, in order ("GET:-LOADING" is noted once until GET answers differently)
            var states = new List<string>();
            var lastByKind = new Dictionary<string, string>();
            bool Note(string s)
            {
                var kind = s[..s.IndexOf(':')];
                if (lastByKind.GetValueOrDefault(kind) == s) return false;
                lastByKind[kind] = s;
                states.Add($"{s}@{clock.ElapsedMilliseconds}ms");
                return true;
            }
            string? readyBy = null; // the first probe that saw the node ready
            var loadingSeen = false;
            RespClient? c = null;
            McConnection? m = null;
            var acceptedWrites = new List<string>();
            var refusedWrites = new List<string>();
            var probe = 0;
            void Ready(string by) => readyBy ??= by;
            void Loading(string by)
            {
                loadingSeen = true;
                Assert.True(readyBy == null, $"{by} after the node was already seen ready ({readyBy}); states: {string.Join(" → ", states)}\n{node.Describe()}");
            }
            try
            {
                var readyz200 = false;
                var info0 = false;
                while (!(readyz200 && info0))
                {
                    Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"not ready within 60 s; states: {string.Join(" → ", states)}\n{node.Describe()}");
                    Assert.False(node.HasExited, "node exited during recovery\n" + node.Describe());
                    probe++;
                    try
                    {
                        var (status, _) = await node.HttpGetAsync("/readyz");
                        Assert.True(status is HttpStatusCode.OK or HttpStatusCode.ServiceUnavailable, $"/readyz answered {(int)status}");
                        if (status == HttpStatusCode.OK) { Note("readyz:200"); Ready("readyz 200"); readyz200 = true; }
                        else
                        {
                            // /readyz may trail the data path by a moment, but never goes back from 200 to 503
                            Note("readyz:503");
                            Assert.False(readyz200, $"/readyz went back to 503 after 200; states: {string.Join(" → ", states)}");
                            loadingSeen = true;
                        }
                    }
                    catch (HttpRequestException) { Note("admin:refused"); }

                    if (c == null)
                    {
                        try { c = await RespClient.ConnectAsync(node.RespPort, TimeSpan.FromSeconds(2)); }
                        catch (SocketException) { Note("resp:refused"); }
                    }
                    if (c != null)
                    {
                        var info = await Persist.InfoAsync(c);
                        var loading = info.GetValueOrDefault("loading");
                        Assert.True(loading is "0" or "1", "INFO persistence loading field: " + Persist.Describe(info));
                        Note("loading:" + loading);
                        if (loading == "1") Loading("INFO loading:1"); else { Ready("INFO loading:0"); info0 = true; }

                        var i = (int)((probe * 7919L) % Keys);
                        var get = await c.CallAsync("GET", $"ld:{i}");
                        if (get.IsError)
                        {
                            Assert.True(get.Text.StartsWith("LOADING", StringComparison.Ordinal), $"GET during startup answered {get}");
                            Note("GET:-LOADING");
                            Loading("GET -LOADING");
                        }
                        else
                        {
                            Assert.True(get.Kind == RespKind.Bulk && get.Text == Value(i), $"GET ld:{i} during startup answered {get} (expected '{Value(i)}' or -LOADING); states: {string.Join(" → ", states)}");
                            Note("GET:value");
                            Ready("GET answered data");
                        }

                        var dbsize = await c.CallAsync("DBSIZE");
                        if (dbsize.IsError)
                        {
                            Assert.True(dbsize.Text.StartsWith("LOADING", StringComparison.Ordinal), $"DBSIZE during startup answered {dbsize}");
                            Note("DBSIZE:-LOADING");
                            Loading("DBSIZE -LOADING");
                        }
                        else
                        {
                            Note("DBSIZE:answered");
                            Assert.True(dbsize.Integer >= Keys, $"DBSIZE during startup answered {dbsize.Integer} of {Keys} keys; states: {string.Join(" → ", states)}");
                            Ready("DBSIZE answered");
                        }

                        var wkey = $"lw:{probe}";
                        var set = await c.CallAsync("SET", wkey, "w");
                        if (set.IsError)
                        {
                            Assert.True(set.Text.StartsWith("LOADING", StringComparison.Ordinal), $"SET during startup answered {set}");
                            refusedWrites.Add(wkey);
                            Note("SET:-LOADING");
                            Loading("SET -LOADING");
                        }
                        else
                        {
                            Assert.Equal("OK", set.Text);
                            acceptedWrites.Add(wkey);
                            Note("SET:OK");
                            Ready("SET accepted");
                        }
                    }

                    if (m == null)
                    {
                        try { m = await McConnection.ConnectAsync(node.MemcachedPort, TimeSpan.FromSeconds(2)); }
                        catch (SocketException) { Note("mc:refused"); }
                    }
                    if (m != null)
                    {
                        var i = (int)((probe * 104729L) % Keys);
                        await m.SendAsync($"get ld:{i}\r\n");
                        var first = await McText.ReadItemAsync(m);
                        if (first.LineText.StartsWith("SERVER_ERROR", StringComparison.Ordinal))
                        {
                            Note("mc:SERVER_ERROR");
                            Loading("memcached " + first.LineText);
                        }
                        else
                        {
                            Assert.True(first.Data != null && first.DataText == Value(i),
                                $"memcached get ld:{i} during startup answered {first} (a miss or wrong data instead of the value or SERVER_ERROR); states: {string.Join(" → ", states)}");
                            Assert.Equal("END", (await McText.ReadItemAsync(m)).LineText);
                            Note("mc:value");
                            Ready("memcached get answered data");
                        }
                    }
                }
            }
            finally
            {
                if (c != null) await c.DisposeAsync();
                if (m != null) await m.DisposeAsync();
            }
            _out.WriteLine($"ready after {clock.ElapsedMilliseconds} ms, {probe} probe rounds; loading observed: {loadingSeen}; states: {string.Join(" → ", states)}");

            await using (var rc = await node.ConnectAsync())
            {
                var info = await Persist.InfoAsync(rc);
                var ctx = Persist.Describe(info);
                _out.WriteLine("INFO persistence after recovery: " + ctx);
                Assert.Equal("0", info.GetValueOrDefault("loading"));
                Assert.Equal(Keys, Persist.Long(info, "recovered_keys", ctx));
                Assert.True(Persist.Long(info, "recovery_ms", ctx) >= 0, ctx);
                Assert.Equal(Keys + acceptedWrites.Count, (await rc.CallAsync("DBSIZE")).Integer);
                var keys = Enumerable.Range(0, Keys).Select(i => $"ld:{i}").ToList();
                var values = await Persist.GetManyAsync(rc, keys, batch: 5000);
                var wrong = Enumerable.Range(0, Keys).Where(i => values[i].IsNull || values[i].Text != Value(i)).Take(5).Select(i => $"{keys[i]} = {values[i]}").ToList();
                Assert.True(wrong.Count == 0, "after recovery: " + string.Join("; ", wrong));
                foreach (var k in acceptedWrites) Assert.Equal("w", (await rc.CallAsync("GET", k)).Text);
                foreach (var k in refusedWrites) Assert.True((await rc.CallAsync("GET", k)).IsNull, $"SET {k} was refused with -LOADING but applied anyway");
            }
            Assert.True(node.Output.Contains("recovered", StringComparison.OrdinalIgnoreCase), "no log line saying what was recovered\n" + node.Describe());
        }
        finally
        {
            await Persist.DisposeQuietlyAsync(node);
        }
    }
}
