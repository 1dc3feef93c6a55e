using System.Diagnostics;
using System.Globalization;
using CacheCluster.Integration.Tests.Infrastructure;
using CacheCluster.Integration.Tests.Memcached.Harness;

namespace CacheCluster.Integration.Tests.Persistence;

/// <summary>
/// What a restart (graceful SIGTERM or SIGKILL, --durability always) must keep: TTLs as absolute expiry times,
/// memcached flags and CAS values, deletions and flushes, the results of read-modify-write commands.
/// </summary>
[Collection(PersistenceCollection.Name)]
public sealed class RestartSemanticsTests
{
    private static async Task<NodeProcess> RestartAsync(NodeProcess node, string how, NodeOptions options)
    {
        if (how == "sigterm")
        {
            var code = await node.StopAsync(Persist.ExitTimeout);
            Assert.True(code == 0, $"SIGTERM exit code {code?.ToString() ?? "(did not exit)"}\n{node.Describe()}");
        }
        else
        {
            await node.KillAsync();
        }
        await node.DisposeAsync();
        return await NodeProcess.StartAsync(options);
    }

    private static async Task<string> Line(McConnection m, string request) => await McText.LineAsync(m, request);

    private static async Task Ok(RespClient c, params object[] cmd)
    {
        var r = await c.CallAsync(cmd);
        Assert.True(r.Kind == RespKind.SimpleString && r.Text == "OK", $"{string.Join(' ', cmd)} answered {r}");
    }

    /// <summary>
    /// An item set with EX 6 keeps its absolute deadline across a restart: after the restart its PTTL is what is
    /// left of the original 6 s (not re-armed), it still exists, and it is gone at the original deadline. Items
    /// that expired while the node was down are gone; items without a TTL (or PERSISTed) keep none.
    /// </summary>
    [Theory]
    [InlineData("sigterm")]
    [InlineData("sigkill")]
    public async Task Ttl_IsAnAbsoluteDeadline_AcrossRestart(string how)
    {
        using var dir = new TempDir("cc-ttl");
        var options = Persist.Options(dir.Path, "always");
        var node = await NodeProcess.StartAsync(options);
        try
        {
            var clock = Stopwatch.StartNew();
            long setStart, setEnd;
            await using (var c = await node.ConnectAsync())
            await using (var m = await McConnection.ConnectAsync(node.MemcachedPort))
            {
                setStart = clock.ElapsedMilliseconds;
                await Ok(c, "SET", "ttl:long", "L", "EX", "6");
                var unixMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
                await Ok(c, "SET", "ttl:at", "A");
                Assert.Equal(1, (await c.CallAsync("PEXPIREAT", "ttl:at", unixMs + 6000)).Integer);
                await Ok(c, "SET", "ttl:short", "S", "PX", "700");
                await Ok(c, "SET", "ttl:none", "N");
                await Ok(c, "SET", "ttl:persisted", "P", "EX", "100");
                Assert.Equal(1, (await c.CallAsync("PERSIST", "ttl:persisted")).Integer);
                Assert.Equal("STORED", await Line(m, "set ttl:mc 5 6 2\r\nmv\r\n"));
                setEnd = clock.ElapsedMilliseconds;
            }
            await Task.Delay(1000); // ttl:short expires while the node is still up or down — either way it must stay gone

            node = await RestartAsync(node, how, options);
            var afterRestart = clock.ElapsedMilliseconds;
            Assert.True(afterRestart - setStart < 4500, $"the restart took {afterRestart - setStart} ms after the SETs; too slow to observe a 6 s TTL surviving\n{node.Describe()}");

            await using (var c = await node.ConnectAsync())
            await using (var m = await McConnection.ConnectAsync(node.MemcachedPort))
            {
                Assert.True((await c.CallAsync("GET", "ttl:short")).IsNull, "a key whose TTL ran out before the restart came back");
                Assert.Equal(0, (await c.CallAsync("EXISTS", "ttl:short")).Integer);
                Assert.Equal("N", (await c.CallAsync("GET", "ttl:none")).Text);
                Assert.Equal(-1, (await c.CallAsync("PTTL", "ttl:none")).Integer);
                Assert.Equal("P", (await c.CallAsync("GET", "ttl:persisted")).Text);
                Assert.Equal(-1, (await c.CallAsync("PTTL", "ttl:persisted")).Integer);

                foreach (var key in new[] { "ttl:long", "ttl:at" })
                {
                    var before = clock.ElapsedMilliseconds;
                    var pttl = (await c.CallAsync("PTTL", key)).Integer;
                    var after = clock.ElapsedMilliseconds;
                    // deadline is in [setStart+6000, setEnd+6000]; what is left now lies between these (plus clock slack)
                    var maxLeft = setEnd + 6000 - before + 300;
                    var minLeft = setStart + 6000 - after - 300;
                    Assert.True(pttl <= maxLeft && pttl >= minLeft,
                        $"PTTL {key} after the restart = {pttl} ms; the original deadline leaves between {minLeft} and {maxLeft} ms (a re-armed TTL would be ~6000)\n{node.Describe()}");
                    Assert.NotNull((await c.CallAsync("GET", key)).Bytes);
                }
                var mcItem = await Persist.McGetAsync(m, "ttl:mc");
                Assert.True(mcItem != null, "memcached item with exptime 6 s gone right after the restart\n" + node.Describe());
                Assert.Equal(5u, mcItem!.Flags);
                Assert.Equal("mv", mcItem.Text);

                // gone at the original deadline, not 6 s after the restart
                var wait = setEnd + 6000 + 400 - clock.ElapsedMilliseconds;
                if (wait > 0) await Task.Delay((int)wait);
                Assert.True((await c.CallAsync("GET", "ttl:long")).IsNull, $"ttl:long still there {clock.ElapsedMilliseconds - setEnd} ms after SET EX 6 (TTL re-armed by the restart?)");
                Assert.Equal(-2, (await c.CallAsync("PTTL", "ttl:long")).Integer);
                Assert.True((await c.CallAsync("GET", "ttl:at")).IsNull, "ttl:at (PEXPIREAT) outlived its deadline after a restart");
                wait = setEnd + 6000 + 1100 - clock.ElapsedMilliseconds; // memcached exptime has 1 s granularity
                if (wait > 0) await Task.Delay((int)wait);
                Assert.Null(await Persist.McGetAsync(m, "ttl:mc"));
            }

            // and they stay gone after one more restart
            node = await RestartAsync(node, how, options);
            await using (var c = await node.ConnectAsync())
            {
                var keys = (await c.CallAsync("KEYS", "*")).Items!.Select(k => k.Text).Order().ToList();
                Assert.Equal(new[] { "ttl:none", "ttl:persisted" }, keys);
                Assert.Equal(2, (await c.CallAsync("DBSIZE")).Integer);
            }
        }
        finally
        {
            await Persist.DisposeQuietlyAsync(node);
        }
    }

    /// <summary>memcached flags and CAS values are the same after a restart; a CAS token from before the restart still works (or is stale) exactly as before, and new CAS values stay above every recovered one.</summary>
    [Theory]
    [InlineData("sigterm")]
    [InlineData("sigkill")]
    public async Task FlagsAndCas_SurviveRestart(string how)
    {
        using var dir = new TempDir("cc-cas");
        var options = Persist.Options(dir.Path, "always");
        var node = await NodeProcess.StartAsync(options);
        try
        {
            var keys = new[] { "f:a", "f:b", "f:c", "f:bin" };
            Dictionary<string, Persist.McItem> before;
            ulong staleC;
            await using (var m = await McConnection.ConnectAsync(node.MemcachedPort))
            {
                Assert.Equal("STORED", await Line(m, "set f:a 12345 0 3\r\naaa\r\n"));
                Assert.Equal("STORED", await Line(m, "set f:b 4294967295 0 3\r\nbbb\r\n"));
                Assert.Equal("STORED", await Line(m, "set f:c 0 0 1\r\n1\r\n"));
                staleC = (await Persist.McGetAsync(m, "f:c"))!.Cas!.Value;
                Assert.Equal("STORED", await Line(m, "set f:c 7 0 1\r\n2\r\n"));
                await using (var b = await McConnection.ConnectAsync(node.MemcachedPort)) // binary protocol: its own connection
                {
                    var bin = await McBin.CallAsync(b, McBin.Frame(Op.Set, McBin.Key("f:bin"), McBin.StoreExtras(77, 0), "bin"u8));
                    Assert.Equal(St.Ok, bin.Status);
                }
                before = await Persist.McGetManyAsync(m, keys);
            }
            Assert.Equal(4, before.Count);
            // 64 more keys over all shards, each written 3 times: every CAS handed out before the restart
            var bulkKeys = Enumerable.Range(0, 64).Select(i => $"cb:{i}").ToList();
            var casBefore = new HashSet<ulong>(before.Values.Select(i => i.Cas!.Value)) { staleC };
            Dictionary<string, Persist.McItem> bulkBefore;
            await using (var m = await McConnection.ConnectAsync(node.MemcachedPort))
            {
                for (var round = 0; round < 3; round++)
                {
                    foreach (var k in bulkKeys) Assert.Equal("STORED", await Line(m, $"set {k} {round} 0 1\r\n{round}\r\n"));
                    foreach (var it in (await Persist.McGetManyAsync(m, bulkKeys)).Values) casBefore.Add(it.Cas!.Value);
                }
                bulkBefore = await Persist.McGetManyAsync(m, bulkKeys);
            }

            node = await RestartAsync(node, how, options);
            ulong casA2;
            await using (var m = await McConnection.ConnectAsync(node.MemcachedPort))
            await using (var c = await node.ConnectAsync())
            {
                var after = await Persist.McGetManyAsync(m, keys);
                foreach (var k in keys)
                {
                    Assert.True(after.ContainsKey(k), $"{k} missing after restart ({how})\n{node.Describe()}");
                    Assert.True(before[k].Flags == after[k].Flags && before[k].Text == after[k].Text && before[k].Cas == after[k].Cas,
                        $"{k}: before restart flags={before[k].Flags} data={before[k].Text} cas={before[k].Cas}; after flags={after[k].Flags} data={after[k].Text} cas={after[k].Cas}");
                }
                Assert.Equal("aaa", (await c.CallAsync("GET", "f:a")).Text);

                Assert.Equal("EXISTS", await Line(m, $"cas f:c 0 0 1 {staleC}\r\nX\r\n"));
                Assert.Equal("STORED", await Line(m, $"cas f:a 99 0 3 {before["f:a"].Cas}\r\nAAA\r\n"));
                var a2 = (await Persist.McGetAsync(m, "f:a"))!;
                Assert.Equal(99u, a2.Flags);
                Assert.Equal("AAA", a2.Text);
                casA2 = a2.Cas!.Value;
                Assert.True(casA2 > before["f:a"].Cas, $"f:a: CAS {casA2} after the restart is not above its CAS before ({before["f:a"].Cas})");
                Assert.False(casBefore.Contains(casA2), $"f:a: CAS {casA2} after the restart was already handed out before it");

                // After the restart the counters go on past everything recovered: no CAS value is handed out twice, and
                // each key's CAS keeps growing (a reissued value could let a stale token from before the restart match).
                var recovered = await Persist.McGetManyAsync(m, bulkKeys);
                foreach (var k in bulkKeys)
                    Assert.True(recovered[k].Cas == bulkBefore[k].Cas && recovered[k].Flags == 2, $"{k}: before the restart cas={bulkBefore[k].Cas}, after {recovered[k]}");
                var reissued = new List<string>();
                for (var round = 0; round < 3; round++)
                {
                    foreach (var k in bulkKeys) Assert.Equal("STORED", await Line(m, $"set {k} 9 0 1\r\nn\r\n"));
                    foreach (var (k, it) in await Persist.McGetManyAsync(m, bulkKeys))
                    {
                        if (casBefore.Contains(it.Cas!.Value)) reissued.Add($"{k}={it.Cas}");
                        Assert.True(it.Cas > bulkBefore[k].Cas, $"{k}: CAS {it.Cas} after the restart is not above its CAS before ({bulkBefore[k].Cas})");
                    }
                }
                Assert.True(reissued.Count == 0, $"CAS values handed out again after the restart ({reissued.Count}): {string.Join(", ", reissued.Take(10))}");
                await using var b = await McConnection.ConnectAsync(node.MemcachedPort);
                var bin = await McBin.CallAsync(b, McBin.Frame(Op.Get, McBin.Key("f:bin")));
                Assert.Equal(St.Ok, bin.Status);
                Assert.Equal(77u, bin.Flags);
                Assert.Equal(before["f:bin"].Cas, bin.Cas);
            }

            node = await RestartAsync(node, how, options);
            await using (var m = await McConnection.ConnectAsync(node.MemcachedPort))
            {
                var a3 = await Persist.McGetAsync(m, "f:a");
                Assert.True(a3 != null && a3.Flags == 99 && a3.Text == "AAA" && a3.Cas == casA2, $"f:a after the second restart: {a3}");
                Assert.Equal("2", (await Persist.McGetAsync(m, "f:c"))!.Text);
                Assert.Equal("STORED", await Line(m, $"cas f:a 1 0 1 {casA2}\r\nz\r\n"));
            }
        }
        finally
        {
            await Persist.DisposeQuietlyAsync(node);
        }
    }

    private sealed record KeyState(string Value, long Pttl, uint Flags);

    private static async Task<SortedDictionary<string, KeyState>> CaptureAsync(NodeProcess node)
    {
        await using var c = await node.ConnectAsync();
        await using var m = await McConnection.ConnectAsync(node.MemcachedPort);
        var keys = (await c.CallAsync("KEYS", "*")).Items!.Select(k => k.Text).ToList();
        var items = await Persist.McGetManyAsync(m, keys);
        var d = new SortedDictionary<string, KeyState>(StringComparer.Ordinal);
        foreach (var k in keys)
        {
            var v = await c.CallAsync("GET", k);
            d[k] = new KeyState(v.Text, (await c.CallAsync("PTTL", k)).Integer, items.TryGetValue(k, out var it) ? it.Flags : uint.MaxValue);
        }
        return d;
    }

    private static string Show(SortedDictionary<string, KeyState> s) =>
        string.Join("\n  ", s.Select(kv => $"{kv.Key} = '{kv.Value.Value}' pttl={kv.Value.Pttl} flags={kv.Value.Flags}"));

    private static void AssertSameState(SortedDictionary<string, KeyState> before, SortedDictionary<string, KeyState> after, long elapsedMs, string context)
    {
        var msg = $"{context}\nbefore:\n  {Show(before)}\nafter:\n  {Show(after)}";
        Assert.True(before.Keys.SequenceEqual(after.Keys), "different key set after the restart\n" + msg);
        foreach (var (k, b) in before)
        {
            var a = after[k];
            Assert.True(a.Value == b.Value && a.Flags == b.Flags, $"{k} changed across the restart\n" + msg);
            if (b.Pttl < 0) Assert.True(a.Pttl == b.Pttl, $"{k}: PTTL {b.Pttl} became {a.Pttl}\n" + msg);
            else Assert.True(a.Pttl <= b.Pttl && a.Pttl >= b.Pttl - elapsedMs - 1000, $"{k}: PTTL {b.Pttl} became {a.Pttl} ({elapsedMs} ms later)\n" + msg);
        }
    }

    /// <summary>
    /// Deletions (DEL, UNLINK, GETDEL, memcached delete), FLUSHALL and memcached flush_all, and read-modify-write
    /// results (INCR/DECR/INCRBYFLOAT, APPEND/SETRANGE, memcached incr/append/prepend/touch, RENAME, PERSIST...) read
    /// back the same after a restart. With --snapshot-events 10 the deletes and flushes straddle snapshots.
    /// </summary>
    [Theory]
    [InlineData("sigterm", 1000)]
    [InlineData("sigkill", 1000)]
    [InlineData("sigkill", 10)]
    public async Task DeletionsFlushesAndMutations_SurviveRestart(string how, int snapshotEvents)
    {
        using var dir = new TempDir("cc-mut");
        var options = Persist.Options(dir.Path, "always", 4, "--snapshot-events", snapshotEvents.ToString(CultureInfo.InvariantCulture));
        var node = await NodeProcess.StartAsync(options);
        try
        {
            await using (var c = await node.ConnectAsync())
            await using (var m = await McConnection.ConnectAsync(node.MemcachedPort))
            {
                for (var i = 0; i < 30; i++) await Ok(c, "SET", $"pre:{i}", $"v{i}");
                Assert.Equal(10, (await c.CallAsync(new object[] { "DEL" }.Concat(Enumerable.Range(0, 10).Select(i => (object)$"pre:{i}")).ToArray())).Integer);
                Assert.Equal(1, (await c.CallAsync("UNLINK", "pre:10")).Integer);
                Assert.Equal("v11", (await c.CallAsync("GETDEL", "pre:11")).Text);
                Assert.Equal("DELETED", await Line(m, "delete pre:12\r\n"));
            }
            var s0 = await CaptureAsync(node);
            Assert.Equal(17, s0.Count);
            var t0 = Stopwatch.StartNew();
            node = await RestartAsync(node, how, options);
            AssertSameState(s0, await CaptureAsync(node), t0.ElapsedMilliseconds, $"deletions, {how}, snapshot-events {snapshotEvents}");

            await using (var c = await node.ConnectAsync())
            await using (var m = await McConnection.ConnectAsync(node.MemcachedPort))
            {
                await Ok(c, "FLUSHALL");
                await Ok(c, "SET", "s:a", "hello");
                Assert.Equal(11, (await c.CallAsync("APPEND", "s:a", " world")).Integer);
                Assert.Equal(11, (await c.CallAsync("SETRANGE", "s:a", "0", "J")).Integer);
                for (var i = 0; i < 5; i++) await c.CallAsync("INCR", "n:i");
                Assert.Equal(105, (await c.CallAsync("INCRBY", "n:i", "100")).Integer);
                Assert.Equal(104, (await c.CallAsync("DECR", "n:i")).Integer);
                await c.CallAsync("INCRBYFLOAT", "n:f", "1.5");
                Assert.Equal("3", (await c.CallAsync("INCRBYFLOAT", "n:f", "1.5")).Text);
                await Ok(c, "MSET", "ms:1", "a", "ms:2", "b");
                await Ok(c, "RENAME", "ms:2", "ms:3");
                Assert.Equal(0, (await c.CallAsync("SETNX", "ms:1", "z")).Integer);
                Assert.Equal("a", (await c.CallAsync("GETSET", "ms:1", "y")).Text);
                await Ok(c, "SET", "e:1", "v", "EX", "1000");
                Assert.Equal(1, (await c.CallAsync("PERSIST", "e:1")).Integer);
                await Ok(c, "SET", "e:2", "v");
                Assert.Equal(1, (await c.CallAsync("EXPIRE", "e:2", "1000")).Integer);
                await Ok(c, "SET", "e:3", "v", "EX", "2000");
                Assert.Equal("v", (await c.CallAsync("GETEX", "e:3", "EX", "3000")).Text);
                Assert.Equal("STORED", await Line(m, "set mc:a 5 0 1\r\nb\r\n"));
                Assert.Equal("STORED", await Line(m, "append mc:a 0 0 1\r\nc\r\n"));
                Assert.Equal("STORED", await Line(m, "prepend mc:a 0 0 1\r\na\r\n"));
                Assert.Equal("NOT_STORED", await Line(m, "add mc:a 9 0 1\r\nq\r\n"));
                Assert.Equal("STORED", await Line(m, "set mc:n 0 0 2\r\n10\r\n"));
                Assert.Equal("15", await Line(m, "incr mc:n 5\r\n"));
                Assert.Equal("12", await Line(m, "decr mc:n 3\r\n"));
                Assert.Equal("STORED", await Line(m, "set mc:t 3 0 1\r\nt\r\n"));
                Assert.Equal("TOUCHED", await Line(m, "touch mc:t 1000\r\n"));
                Assert.Equal("NOT_STORED", await Line(m, "replace mc:r 0 0 1\r\nr\r\n"));
                for (var j = 0; j < 60; j++) await Ok(c, "SET", $"ow:{j % 5}", $"{j}");
                Assert.Equal(1, (await c.CallAsync("DEL", "ow:4")).Integer);
                Assert.Equal("DELETED", await Line(m, "delete ow:3\r\n"));
            }
            var s1 = await CaptureAsync(node);
            Assert.Equal("Jello world", s1["s:a"].Value);
            Assert.Equal("104", s1["n:i"].Value);
            Assert.Equal("abc", s1["mc:a"].Value);
            Assert.Equal(5u, s1["mc:a"].Flags);
            Assert.False(s1.ContainsKey("pre:20"), "FLUSHALL left keys behind");
            var t1 = Stopwatch.StartNew();
            node = await RestartAsync(node, how, options);
            AssertSameState(s1, await CaptureAsync(node), t1.ElapsedMilliseconds, $"FLUSHALL + mutations, {how}, snapshot-events {snapshotEvents}");

            await using (var m = await McConnection.ConnectAsync(node.MemcachedPort))
            {
                Assert.Equal("OK", await Line(m, "flush_all\r\n"));
                Assert.Equal("STORED", await Line(m, "set after:flush 0 0 1\r\nx\r\n"));
            }
            node = await RestartAsync(node, how, options);
            await using (var c = await node.ConnectAsync())
            {
                var keys = (await c.CallAsync("KEYS", "*")).Items!.Select(k => k.Text).ToList();
                Assert.True(keys.Count == 1 && keys[0] == "after:flush", $"after memcached flush_all + one set + restart ({how}): keys [{string.Join(", ", keys)}]");
                Assert.Equal("x", (await c.CallAsync("GET", "after:flush")).Text);
            }
        }
        finally
        {
            await Persist.DisposeQuietlyAsync(node);
        }
    }

    /// <summary>
    /// Recovery respects --maxmemory: 30 MB of data (3,000 × 10 KB) restarted with --maxmemory 10mb and allkeys-lru comes
    /// up within the limit (the same ~2× slack the memory tests allow for 20 MB), keeps what it kept intact, and accepts writes.
    /// </summary>
    [Fact]
    public async Task Recovery_RespectsMaxmemory()
    {
        using var dir = new TempDir("cc-maxmem");
        var value = new string('m', 10 * 1024);
        var node = await Persist.StartAsync(dir.Path, "always");
        try
        {
            await using (var c = await node.ConnectAsync())
                await Persist.SetManyAsync(c, Enumerable.Range(0, 3000).Select(i => ($"mm:{i}", $"{i}:" + value)).ToList(), batch: 100);
            Assert.Equal(0, await node.StopAsync(Persist.ExitTimeout));
            await node.DisposeAsync();

            var small = Persist.Options(dir.Path, "always");
            small.MaxMemory = "10mb";
            small.MaxMemoryPolicy = "allkeys-lru";
            node = await NodeProcess.StartAsync(small);
            await using (var c = await node.ConnectAsync())
            {
                var size = (await c.CallAsync("DBSIZE")).Integer;
                Assert.True(size is > 50 and < 2000, $"DBSIZE {size} after recovering 3000 × 10 KB into --maxmemory 10mb\n{node.Describe()}");
                var used = long.Parse(Persist.ParseInfo((await c.CallAsync("INFO", "memory")).Text)["used_memory"]);
                Assert.True(used <= 10L * 1024 * 1024, $"used_memory {used} above --maxmemory 10mb after recovery");
                var keys = (await c.CallAsync("KEYS", "mm:*")).Items!.Select(k => k.Text).ToList();
                var values = await Persist.GetManyAsync(c, keys);
                for (var i = 0; i < keys.Count; i++) Assert.Equal($"{keys[i][3..]}:" + value, values[i].Text);
                Assert.Equal("OK", (await c.CallAsync("SET", "mm:new", value)).Text);
            }
        }
        finally
        {
            await Persist.DisposeQuietlyAsync(node);
        }
    }

    /// <summary>--durability off writes nothing: a restart of a fresh data directory comes back empty.</summary>
    [Theory]
    [InlineData("sigterm")]
    [InlineData("sigkill")]
    public async Task DurabilityOff_RestartIsEmpty(string how)
    {
        using var dir = new TempDir("cc-off");
        var options = Persist.Options(dir.Path, "off");
        var node = await NodeProcess.StartAsync(options);
        try
        {
            await using (var c = await node.ConnectAsync())
            await using (var m = await McConnection.ConnectAsync(node.MemcachedPort))
            {
                await Persist.SetManyAsync(c, Enumerable.Range(0, 500).Select(i => ($"off:{i}", $"v{i}")).ToList());
                Assert.Equal("STORED", await Line(m, "set off:mc 1 0 1\r\nx\r\n"));
                Assert.Equal(501, (await c.CallAsync("DBSIZE")).Integer);
                var info = await Persist.InfoAsync(c);
                Assert.Equal("off", info.GetValueOrDefault("durability"));
                Assert.Equal(0, Persist.Long(info, "journal_events_written", "durability off"));
            }
            node = await RestartAsync(node, how, options);
            await using (var c = await node.ConnectAsync())
            {
                Assert.Equal(0, (await c.CallAsync("DBSIZE")).Integer);
                Assert.True((await c.CallAsync("GET", "off:1")).IsNull);
            }
        }
        finally
        {
            await Persist.DisposeQuietlyAsync(node);
        }
    }

    /// <summary>
    /// The mode comes from --durability, else CACHECLUSTER_DURABILITY, else everysec; data written under one mode
    /// is recovered under another.
    /// </summary>
    [Fact]
    public async Task DurabilityMode_FlagEnvDefault_AndDataCarriesAcrossModes()
    {
        using var dir = new TempDir("cc-mode");
        var node = await NodeProcess.StartAsync(Persist.Options(dir.Path, null));
        try
        {
            await using (var c = await node.ConnectAsync())
            {
                Assert.Equal("everysec", (await Persist.InfoAsync(c)).GetValueOrDefault("durability"));
                await Persist.SetManyAsync(c, Enumerable.Range(0, 100).Select(i => ($"m:{i}", $"v{i}")).ToList());
            }
            Assert.Equal(0, await node.StopAsync(Persist.ExitTimeout));
            await node.DisposeAsync();

            var envOptions = Persist.Options(dir.Path, null);
            envOptions.Env["CACHECLUSTER_DURABILITY"] = "always";
            node = await NodeProcess.StartAsync(envOptions);
            await using (var c = await node.ConnectAsync())
            {
                Assert.Equal("always", (await Persist.InfoAsync(c)).GetValueOrDefault("durability"));
                Assert.Equal(100, (await c.CallAsync("DBSIZE")).Integer);
                await Ok(c, "SET", "m:always", "1");
            }
            await node.KillAsync();
            await node.DisposeAsync();

            var both = Persist.Options(dir.Path, "everysec");
            both.Env["CACHECLUSTER_DURABILITY"] = "off";
            node = await NodeProcess.StartAsync(both);
            await using (var c = await node.ConnectAsync())
            {
                Assert.Equal("everysec", (await Persist.InfoAsync(c)).GetValueOrDefault("durability"));
                Assert.Equal(101, (await c.CallAsync("DBSIZE")).Integer);
                Assert.Equal("1", (await c.CallAsync("GET", "m:always")).Text);
                Assert.Equal("v42", (await c.CallAsync("GET", "m:42")).Text);
            }
        }
        finally
        {
            await Persist.DisposeQuietlyAsync(node);
        }
    }
}
