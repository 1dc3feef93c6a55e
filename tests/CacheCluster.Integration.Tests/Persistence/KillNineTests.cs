using CacheCluster.Integration.Tests.Infrastructure;
using Xunit.Abstractions;

namespace CacheCluster.Integration.Tests.Persistence;

/// <summary>
/// SIGKILL mid-stream under write load from 13 connections (8 RESP SET, memcached text, memcached binary, RESP INCR, RESP DEL, RESP MSET),
/// then restart on the same data directory and read back every key that was written.
/// </summary>
[Collection(PersistenceCollection.Name)]
public sealed class KillNineTests
{
    private readonly ITestOutputHelper _out;

    public KillNineTests(ITestOutputHelper output) => _out = output;

    /// <summary>
    /// --durability always: not one acknowledged write may be missing or rolled back to an older value, over three
    /// kill/restart rounds on the same data directory (each of the 1,000 keys per writer is overwritten several times per round, so a replay in the
    /// wrong order or a lost tail shows up as an older value).
    /// </summary>
    /// <remarks>
    /// Second case: 20 keys per writer and --snapshot-events 50, so every shard snapshots every ~60 events — each key
    /// is overwritten hundreds of times and the kill lands while snapshots are being written and events deleted.
    /// </remarks>
    [Theory]
    [InlineData(1000, 1000)]
    [InlineData(50, 20)]
    public async Task Always_EveryAcknowledgedWriteSurvivesKill9_ThreeRounds(int snapshotEvents, int keysPerWriter)
    {
        using var dir = new TempDir("cc-kill-always");
        var all = new List<Writer>();
        var options = Persist.Options(dir.Path, "always", 4, "--snapshot-events", snapshotEvents.ToString());
        NodeProcess? node = await NodeProcess.StartAsync(options);
        try
        {
            for (var round = 1; round <= 3; round++)
            {
                var writers = KillWorkload.MakeWriters($"a{round}", keySpace: keysPerWriter, deletePrefill: 20_000);
                all.AddRange(writers);
                var (time, acked) = await KillWorkload.RunAndKillAsync(node, writers, TimeSpan.FromMilliseconds(1200 + Random.Shared.Next(600)));
                var summary = $"round {round}: {acked} writes acknowledged in {time.TotalMilliseconds:F0} ms before SIGKILL: {KillWorkload.Summary(writers)}";
                _out.WriteLine(summary);
                Assert.True(acked >= 2000, "too few acknowledged writes for a meaningful kill test (want thousands per round)\n" + summary + "\n" + node.Describe());
                Assert.True(writers.All(w => w.Acked > 0), "a writer got no acknowledgement at all\n" + summary);
                await node.DisposeAsync();

                node = await NodeProcess.StartAsync(options);
                var result = await KillWorkload.VerifyAsync(node, all);
                _out.WriteLine("  after restart: " + result.Describe());
                Assert.True(result.Lost == 0 && result.Phantoms.Count == 0,
                    $"after kill -9 with --durability always and a restart: {result.Describe()}\n{summary}\n{node.Describe()}");

                var info = await Persist.InfoAsync(node);
                Assert.Equal("0", info.GetValueOrDefault("loading"));
                Assert.Equal("always", info.GetValueOrDefault("durability"));
                Assert.True(Persist.Long(info, "recovered_keys", "after restart") > 0, "recovered_keys is 0 after a restart with data: " + Persist.Describe(info));
            }

            // A clean stop leaves a database SQLite itself finds intact, with one row per (shard, sequence number).
            Assert.Equal(0, await node.StopAsync(Persist.ExitTimeout));
            var db = Persist.DbPath(dir.Path);
            Assert.Equal("ok", await Persist.SqliteAsync(db, "PRAGMA integrity_check;"));
            Assert.Equal(0, await Persist.SqliteLongAsync(db,
                "SELECT COUNT(*) FROM (SELECT persistence_id, sequence_nr FROM journal GROUP BY 1, 2 HAVING COUNT(*) > 1);"));
            Assert.True(await Persist.SqliteLongAsync(db, "SELECT COUNT(DISTINCT persistence_id) FROM snapshot;") > 0, "no shard ever took a snapshot");
        }
        finally
        {
            await Persist.DisposeQuietlyAsync(node);
        }
    }

    /// <summary>
    /// --durability everysec: writes are acknowledged before they are stored, so a kill may lose the newest ones, but
    /// never more than about a second of writes (the bound asserted: lost ≤ acknowledged writes per second of the
    /// round), never a value nobody wrote, and the database must reopen cleanly. Keys are unique so every lost write
    /// is counted.
    /// </summary>
    [Fact]
    public async Task Everysec_LossBoundedToAboutOneSecond_DatabaseReopensCleanly()
    {
        using var dir = new TempDir("cc-kill-everysec");
        var rounds = new List<(List<Writer> Writers, double PerSecond, string Summary)>();
        NodeProcess? node = await Persist.StartAsync(dir.Path, "everysec", shards: 4);
        try
        {
            for (var round = 1; round <= 2; round++)
            {
                var writers = KillWorkload.MakeWriters($"e{round}", keySpace: long.MaxValue, deletePrefill: 60_000);
                var (time, acked) = await KillWorkload.RunAndKillAsync(node, writers, TimeSpan.FromMilliseconds(2500 + Random.Shared.Next(1000)));
                var perSecond = acked / time.TotalSeconds;
                var summary = $"round {round}: {acked} writes acknowledged in {time.TotalMilliseconds:F0} ms ({perSecond:F0}/s) before SIGKILL: {KillWorkload.Summary(writers)}";
                _out.WriteLine(summary);
                Assert.True(acked >= 2000, "too few acknowledged writes for a meaningful kill test\n" + summary + "\n" + node.Describe());
                rounds.Add((writers, perSecond, summary));
                await node.DisposeAsync();

                node = await Persist.StartAsync(dir.Path, "everysec", shards: 4);
                foreach (var (ws, rate, sum) in rounds)
                {
                    var result = await KillWorkload.VerifyAsync(node, ws);
                    _out.WriteLine($"  after restart {round}: {result.Describe()}");
                    Assert.True(result.Phantoms.Count == 0, $"values no write produced after kill -9 (everysec): {result.Describe()}\n{sum}\n{node.Describe()}");
                    Assert.True(result.Lost <= rate,
                        $"everysec lost {result.Lost} acknowledged writes, more than one second's worth ({rate:F0}): {result.Describe()}\n{sum}\n{node.Describe()}");
                }
                var info = await Persist.InfoAsync(node);
                Assert.Equal("0", info.GetValueOrDefault("loading"));
                Assert.Equal("everysec", info.GetValueOrDefault("durability"));
            }

            Assert.Equal(0, await node.StopAsync(Persist.ExitTimeout));
            Assert.Equal("ok", await Persist.SqliteAsync(Persist.DbPath(dir.Path), "PRAGMA integrity_check;"));
        }
        finally
        {
            await Persist.DisposeQuietlyAsync(node);
        }
    }

    /// <summary>
    /// --durability everysec, SIGTERM in the middle of a write storm: a graceful stop commits everything it acknowledged,
    /// so nothing at all may be missing after the restart (whatever was still pending when the signal came).
    /// </summary>
    [Fact]
    public async Task Everysec_SigtermUnderLoad_LosesNothing()
    {
        using var dir = new TempDir("cc-term-everysec");
        var options = Persist.Options(dir.Path, "everysec", 4);
        NodeProcess? node = await NodeProcess.StartAsync(options);
        try
        {
            var writers = KillWorkload.MakeWriters("t1", keySpace: long.MaxValue, deletePrefill: 60_000);
            var (time, acked) = await KillWorkload.RunAndKillAsync(node, writers, TimeSpan.FromMilliseconds(2000), sigterm: true);
            var summary = $"{acked} writes acknowledged in {time.TotalMilliseconds:F0} ms before SIGTERM: {KillWorkload.Summary(writers)}";
            _out.WriteLine(summary);
            Assert.True(acked >= 2000, "too few acknowledged writes\n" + summary);
            await node.DisposeAsync();

            node = await NodeProcess.StartAsync(options);
            var result = await KillWorkload.VerifyAsync(node, writers);
            _out.WriteLine("after restart: " + result.Describe());
            Assert.True(result.Lost == 0 && result.Phantoms.Count == 0, $"after SIGTERM under load (everysec) and a restart: {result.Describe()}\n{summary}\n{node.Describe()}");
        }
        finally
        {
            await Persist.DisposeQuietlyAsync(node);
        }
    }

    /// <summary>
    /// --durability everysec on an idle node: a write acknowledged more than a second before a SIGKILL is stored
    /// (commits happen at least every second, not only when a batch fills up).
    /// </summary>
    [Fact]
    public async Task Everysec_WriteOlderThanOneSecond_SurvivesKill9()
    {
        using var dir = new TempDir("cc-everysec-idle");
        var options = Persist.Options(dir.Path, "everysec");
        var node = await NodeProcess.StartAsync(options);
        try
        {
            var sw = System.Diagnostics.Stopwatch.StartNew();
            await using (var c = await node.ConnectAsync())
            {
                Assert.Equal("OK", (await c.CallAsync("SET", "idle:1", "one")).Text);
                Assert.Equal(1, (await c.CallAsync("INCR", "idle:n")).Integer);
                Assert.Equal("OK", (await c.CallAsync("SET", "idle:ttl", "t", "EX", "100")).Text);
            }
            await Task.Delay(1100);
            await node.KillAsync();
            await node.DisposeAsync();
            node = await NodeProcess.StartAsync(options);
            await using (var c = await node.ConnectAsync())
            {
                Assert.Equal("one", (await c.CallAsync("GET", "idle:1")).Text);
                Assert.Equal("1", (await c.CallAsync("GET", "idle:n")).Text);
                var ttl = (await c.CallAsync("TTL", "idle:ttl")).Integer;
                Assert.True(ttl is > 90 and <= 100, $"TTL idle:ttl = {ttl} after kill -9 + restart");
            }
        }
        finally
        {
            await Persist.DisposeQuietlyAsync(node);
        }
    }
}
