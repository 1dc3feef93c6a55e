using System.Diagnostics;
using CacheCluster.Core;
using CacheCluster.Integration.Tests.Infrastructure;
using Xunit.Abstractions;

namespace CacheCluster.Integration.Tests.Persistence;

/// <summary>Snapshots keep the database proportional to the live data, not to the write history.</summary>
[Collection(PersistenceCollection.Name)]
public sealed class CompactionTests
{
    private readonly ITestOutputHelper _out;

    public CompactionTests(ITestOutputHelper output) => _out = output;

    private const int Shards = 4;
    private const int SnapshotEvents = 200;
    private const int Keys = 2000;
    private const int Passes = 100; // 200,000 SETs
    private const int ValueBytes = 100;

    /// <summary>
    /// Bound: the database plus its WAL stays under 8 MB during and after the workload. The live data is
    /// 2,000 × ~110 B ≈ 220 KB; the write history is 200,000 × ~130 B ≈ 26 MB of events, so without compaction the
    /// journal alone would be over three times the bound. SQLite's WAL auto-checkpoints at 1,000 pages (4 MB) and a
    /// snapshot of all live data is well under 1 MB, which leaves room for both.
    /// </summary>
    private const long MaxDbBytes = 8L * 1024 * 1024;

    private static string Value(int key, int pass) => $"k{key}p{pass}:".PadRight(ValueBytes, (char)('a' + pass % 26));

    /// <summary>
    /// 200k SETs over 2000 keys with --shards 4 --snapshot-events 200: the journal keeps at most
    /// max(200, live keys of the shard) events per shard before a snapshot replaces them (plus slack: one more
    /// threshold's worth per shard for events that arrive while the snapshot is written); the files stay under
    /// <see cref="MaxDbBytes"/>; a restart serves the final values.
    /// </summary>
    [Fact]
    public async Task LongOverwriteWorkload_DatabaseStaysBounded_AndRecoversFinalValues()
    {
        using var dir = new TempDir("cc-compact");
        var options = Persist.Options(dir.Path, "everysec", Shards, "--snapshot-events", SnapshotEvents.ToString());
        var node = await NodeProcess.StartAsync(options);
        var db = Persist.DbPath(dir.Path);
        try
        {
            var map = new ShardMap(Shards);
            var keysPerShard = new int[Shards];
            for (var k = 0; k < Keys; k++) keysPerShard[map.ShardOf(System.Text.Encoding.UTF8.GetBytes($"cmp:{k}"))]++;
            var perShardBound = keysPerShard.Select(n => 2 * Math.Max(SnapshotEvents, n)).ToArray();

            long maxSeen = 0;
            var sw = Stopwatch.StartNew();
            await using (var c = await node.ConnectAsync())
            {
                for (var pass = 0; pass < Passes; pass++)
                {
                    await Persist.SetManyAsync(c, Enumerable.Range(0, Keys).Select(k => ($"cmp:{k}", Value(k, pass))).ToList(), batch: 500);
                    maxSeen = Math.Max(maxSeen, Persist.DbBytes(dir.Path));
                    Assert.True(maxSeen < MaxDbBytes, $"after {pass + 1} of {Passes} passes the database + WAL take {maxSeen} bytes (bound {MaxDbBytes})\n{node.Describe()}");
                    Assert.True(sw.Elapsed < TimeSpan.FromSeconds(25), $"only {pass + 1} of {Passes} passes of {Keys} pipelined SETs in {sw.Elapsed.TotalSeconds:F0} s\n{node.Describe()}");
                }
            }
            _out.WriteLine($"{Keys * Passes} SETs in {sw.ElapsedMilliseconds} ms; largest database + WAL seen: {maxSeen} bytes");
            await Persist.WaitJournalIdleAsync(node, TimeSpan.FromSeconds(10));
            await Task.Delay(500); // let a snapshot triggered by the last events finish
            var info = await Persist.InfoAsync(node);
            var ctx = Persist.Describe(info);
            Assert.True(Persist.Long(info, "snapshots_taken", ctx) > 0, "no snapshot taken during 200k writes: " + ctx);
            Assert.True(Persist.Long(info, "journal_events_written", ctx) >= Keys * Passes, "journal_events_written below the writes made: " + ctx);
            Assert.True(Persist.Long(info, "journal_size_bytes", ctx) < MaxDbBytes, ctx);

            // Read-only query while the node runs (WAL readers don't block the writer).
            var rows = (await Persist.SqliteAsync(db, "SELECT persistence_id || '=' || COUNT(*) FROM journal GROUP BY persistence_id;"))
                .Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('=')).ToDictionary(p => p[0], p => long.Parse(p[1]));
            var rowText = string.Join(", ", rows.Select(kv => $"{kv.Key}: {kv.Value}"));
            _out.WriteLine($"journal rows: {rowText}; per-shard bounds: {string.Join(", ", perShardBound)}; {ctx}");
            for (var s = 0; s < Shards; s++)
            {
                var n = rows.GetValueOrDefault($"shard-{s}");
                Assert.True(n <= perShardBound[s],
                    $"shard-{s} keeps {n} journal rows; its {keysPerShard[s]} live keys and --snapshot-events {SnapshotEvents} allow at most 2 × max({SnapshotEvents}, {keysPerShard[s]}) = {perShardBound[s]}. Rows: {rowText}");
            }
            Assert.True(rows.Values.Sum() <= perShardBound.Sum(), $"journal rows {rows.Values.Sum()} > {perShardBound.Sum()}: {rowText}");

            Assert.Equal(0, await node.StopAsync(Persist.ExitTimeout));
            var finalBytes = Persist.DbBytes(dir.Path);
            _out.WriteLine($"after a clean stop: database + WAL = {finalBytes} bytes");
            Assert.True(finalBytes < MaxDbBytes, $"after a clean stop the database + WAL take {finalBytes} bytes (bound {MaxDbBytes})");
            await node.DisposeAsync();

            node = await NodeProcess.StartAsync(options);
            await using (var c = await node.ConnectAsync())
            {
                Assert.Equal(Keys, (await c.CallAsync("DBSIZE")).Integer);
                var keys = Enumerable.Range(0, Keys).Select(k => $"cmp:{k}").ToList();
                var values = await Persist.GetManyAsync(c, keys);
                var wrong = Enumerable.Range(0, Keys).Where(k => values[k].IsNull || values[k].Text != Value(k, Passes - 1)).Take(5)
                    .Select(k => $"{keys[k]} = {values[k]}").ToList();
                Assert.True(wrong.Count == 0, "after the restart, keys without their final value: " + string.Join("; ", wrong));
                var info2 = await Persist.InfoAsync(c);
                Assert.Equal(Keys, Persist.Long(info2, "recovered_keys", Persist.Describe(info2)));
                var replayed = Persist.Long(info2, "recovered_events", Persist.Describe(info2));
                // whether or not snapshot entries count as recovered events, 200k replayed events would mean no compaction
                Assert.True(replayed <= Keys + perShardBound.Sum(), $"recovery replayed {replayed} events; the snapshots should leave at most {perShardBound.Sum()} (+ {Keys} snapshot entries)");
            }
        }
        finally
        {
            await Persist.DisposeQuietlyAsync(node);
        }
    }
}
