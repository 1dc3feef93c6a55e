using System.Globalization;
using CacheCluster.Integration.Tests.Infrastructure;
using CacheCluster.Integration.Tests.Memcached.Harness;

namespace CacheCluster.Integration.Tests.Persistence;

/// <summary>The on-disk format and the INFO persistence counters.</summary>
[Collection(PersistenceCollection.Name)]
public sealed class DatabaseFileTests
{
    /// <summary>
    /// One SQLite database in WAL mode, &lt;data-dir&gt;/cachecluster.db, with journal/snapshot/metadata tables;
    /// persistence ids "shard-N"; per-shard sequence numbers unique and in commit order; metadata records the schema
    /// version, cluster id, shard count and node id; the legacy cachecluster.meta file is not written.
    /// </summary>
    [Fact]
    public async Task Database_IsSqliteWal_WithJournalSnapshotAndMetadata()
    {
        using var dir = new TempDir("cc-db");
        var options = Persist.Options(dir.Path, "always", 4);
        options.NodeId = "node-persist-7";
        var node = await NodeProcess.StartAsync(options);
        var db = Persist.DbPath(dir.Path);
        try
        {
            var startedAt = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            await using (var c = await node.ConnectAsync())
            await using (var m = await McConnection.ConnectAsync(node.MemcachedPort))
            {
                var first = await Persist.InfoAsync(c);
                Assert.Equal("0", first.GetValueOrDefault("loading"));
                Assert.Equal(0, Persist.Long(first, "recovered_keys", "fresh data dir"));

                await Persist.SetManyAsync(c, Enumerable.Range(0, 200).Select(i => ($"db:{i}", $"value-{i}")).ToList());
                for (var i = 0; i < 10; i++) Assert.Equal("STORED", await McText.LineAsync(m, $"set db:mc{i} {i} 0 1\r\nx\r\n"));
                Assert.Equal(1, (await c.CallAsync("DEL", "db:0")).Integer);

                var info = await Persist.InfoAsync(c);
                var ctx = Persist.Describe(info);
                Assert.Equal("0", info.GetValueOrDefault("loading"));
                Assert.Equal("always", info.GetValueOrDefault("durability"));
                Assert.True(info.TryGetValue("journal_file", out var jf) && Path.GetFullPath(jf) == Path.GetFullPath(db), $"journal_file should be {db}: {ctx}");
                Assert.True(Persist.Long(info, "journal_size_bytes", ctx) > 0, ctx);
                var written = Persist.Long(info, "journal_events_written", ctx);
                Assert.True(written >= 211, $"journal_events_written {written} < the 211 writes just acknowledged with always: {ctx}");
                var commits = Persist.Long(info, "journal_commits", ctx);
                Assert.True(commits >= 1 && commits <= written, $"journal_commits {commits} (events {written}): {ctx}");
                Assert.Equal(0, Persist.Long(info, "journal_events_pending", ctx));
                var lastCommit = Persist.Long(info, "journal_last_commit_time", ctx);
                Assert.True(lastCommit >= startedAt - 5 && lastCommit <= DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 5, $"journal_last_commit_time {lastCommit} is not a recent unix time: {ctx}");
                Assert.Equal("ok", info.GetValueOrDefault("journal_last_write_status"));
                Assert.Equal(0, Persist.Long(info, "journal_write_errors", ctx));
                Assert.True(Persist.Long(info, "snapshots_taken", ctx) >= 0, ctx);
                Assert.Contains(info.GetValueOrDefault("aof_enabled"), new[] { "0", "1" });
                Assert.True(Persist.Long(info, "recovery_ms", ctx) >= 0, ctx);
                Assert.Equal(0, Persist.Long(info, "recovered_events", ctx));
            }

            Assert.True(File.Exists(db), "no cachecluster.db in the data dir: " + string.Join(", ", Directory.GetFiles(dir.Path)));
            Assert.False(File.Exists(Path.Combine(dir.Path, "cachecluster.meta")), "the legacy cachecluster.meta file is still written");
            Assert.Equal("wal", await Persist.SqliteAsync(db, "PRAGMA journal_mode;"));

            Assert.Equal(0, await node.StopAsync(Persist.ExitTimeout));
            Assert.Equal("ok", await Persist.SqliteAsync(db, "PRAGMA integrity_check;"));
            var tables = (await Persist.SqliteAsync(db, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name;")).Split('\n');
            Assert.Contains("journal", tables);
            Assert.Contains("snapshot", tables);
            Assert.Contains("metadata", tables);

            var meta = (await Persist.SqliteAsync(db, "SELECT key || '=' || value FROM metadata;")).Split('\n')
                .Select(l => l.Split('=', 2)).ToDictionary(p => p[0], p => p.Length > 1 ? p[1] : "");
            var metaText = string.Join(", ", meta.Select(kv => kv.Key + "=" + kv.Value));
            Assert.True(meta.TryGetValue("schema_version", out var sv) && int.TryParse(sv, out var v) && v >= 1, "metadata.schema_version: " + metaText);
            Assert.True(meta.TryGetValue("cluster_id", out var cid) && cid.Length > 0, "metadata.cluster_id: " + metaText);
            Assert.True(meta.GetValueOrDefault("shard_count") == "4", "metadata.shard_count: " + metaText);
            Assert.True(meta.GetValueOrDefault("node_id") == "node-persist-7", "metadata.node_id: " + metaText);

            var ids = (await Persist.SqliteAsync(db, "SELECT DISTINCT persistence_id FROM journal UNION SELECT DISTINCT persistence_id FROM snapshot;")).Split('\n');
            Assert.True(ids.Length >= 2 && ids.All(id => new[] { "shard-0", "shard-1", "shard-2", "shard-3" }.Contains(id)), "persistence ids: " + string.Join(", ", ids));
            Assert.Equal(0, await Persist.SqliteLongAsync(db,
                "SELECT COUNT(*) FROM journal a JOIN journal b ON a.persistence_id = b.persistence_id AND a.ordering < b.ordering AND a.sequence_nr >= b.sequence_nr;"));
            var uniqueCols = await Persist.SqliteAsync(db,
                "SELECT group_concat(ii.name, ',') FROM pragma_index_list('journal') il, pragma_index_info(il.name) ii WHERE il.\"unique\" = 1 GROUP BY il.name;");
            Assert.True(uniqueCols.Split('\n').Contains("persistence_id,sequence_nr"), "journal has no unique index on (persistence_id, sequence_nr): " + uniqueCols);

            node = await NodeProcess.StartAsync(options);
            await using (var c = await node.ConnectAsync())
            {
                var info = await Persist.InfoAsync(c);
                Assert.Equal(209, Persist.Long(info, "recovered_keys", Persist.Describe(info)));
                Assert.Equal(209, (await c.CallAsync("DBSIZE")).Integer);
                Assert.Equal("value-199", (await c.CallAsync("GET", "db:199")).Text);
            }
            Assert.True(node.Output.Contains("recovered", StringComparison.OrdinalIgnoreCase), "no log line saying what was recovered\n" + node.Describe());
        }
        finally
        {
            await Persist.DisposeQuietlyAsync(node);
        }
    }
}
