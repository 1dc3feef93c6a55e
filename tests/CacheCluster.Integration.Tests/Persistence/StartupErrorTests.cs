using CacheCluster.Integration.Tests.Infrastructure;

namespace CacheCluster.Integration.Tests.Persistence;

/// <summary>
/// A database the node cannot trust or cannot write makes it refuse to start with one clear line — never start
/// empty over it, never alter it.
/// </summary>
[Collection(PersistenceCollection.Name)]
public sealed class StartupErrorTests
{
    private static bool SaysCorrupt(string line) =>
        new[] { "corrupt", "not a database", "malformed" }.Any(w => line.Contains(w, StringComparison.OrdinalIgnoreCase));

    private static async Task WriteKeysAndStopAsync(string dataDir, int count, int valueBytes = 20, int shards = 4)
    {
        await using var node = await Persist.StartAsync(dataDir, "always", shards);
        await using (var c = await node.ConnectAsync())
            await Persist.SetManyAsync(c, Enumerable.Range(0, count).Select(i => ($"k:{i}", $"v{i}:".PadRight(valueBytes, 'x'))).ToList());
        Assert.Equal(0, await node.StopAsync(Persist.ExitTimeout));
    }

    private static async Task AssertRefusesCorruptAsync(string dataDir, string scenario)
    {
        var db = Persist.DbPath(dataDir);
        var hash = Persist.Sha256(db);
        var length = Persist.FileSize(db);
        for (var attempt = 1; attempt <= 2; attempt++)
        {
            var line = await Persist.AssertRefusesToStartAsync(Persist.ServeArgs(dataDir, 4, "--durability", "always"), $"{scenario} (attempt {attempt})");
            Assert.True(line.Contains(db, StringComparison.Ordinal), $"{scenario}: the error does not name the file {db}: '{line}'");
            Assert.True(SaysCorrupt(line), $"{scenario}: the error does not say the file is corrupt / not a database: '{line}'");
            Assert.True(File.Exists(db) && Persist.FileSize(db) == length && Persist.Sha256(db) == hash,
                $"{scenario}: the refused start changed or replaced {db} (files now: {string.Join(", ", Directory.GetFiles(dataDir).Select(f => $"{Path.GetFileName(f)}={Persist.FileSize(f)}"))})");
        }
    }

    [Theory]
    [InlineData("random bytes in an empty data dir")]
    [InlineData("random bytes over a real database")]
    [InlineData("a text file")]
    public async Task NotASqliteDatabase_RefusesToStart_NamingTheFile(string kind)
    {
        using var dir = new TempDir("cc-corrupt");
        var db = Persist.DbPath(dir.Path);
        var rnd = new Random(4);
        switch (kind)
        {
            case "random bytes in an empty data dir":
            {
                var bytes = new byte[64 * 1024];
                rnd.NextBytes(bytes);
                await File.WriteAllBytesAsync(db, bytes);
                break;
            }
            case "random bytes over a real database":
            {
                await WriteKeysAndStopAsync(dir.Path, 2000);
                foreach (var side in new[] { db + "-wal", db + "-shm" }) File.Delete(side);
                var bytes = new byte[Math.Max(64 * 1024, Persist.FileSize(db))];
                rnd.NextBytes(bytes);
                await File.WriteAllBytesAsync(db, bytes);
                break;
            }
            default:
                await File.WriteAllTextAsync(db, string.Concat(Enumerable.Repeat("this is not a database\n", 200)));
                break;
        }
        await AssertRefusesCorruptAsync(dir.Path, kind);
    }

    /// <summary>A real database with 20,000 keys cut to half its length after a clean stop.</summary>
    [Fact]
    public async Task TruncatedDatabase_RefusesToStart_NamingTheFile()
    {
        using var dir = new TempDir("cc-trunc");
        var db = Persist.DbPath(dir.Path);
        await WriteKeysAndStopAsync(dir.Path, 20_000, valueBytes: 100);
        var wal = Persist.FileSize(db + "-wal");
        var length = Persist.FileSize(db);
        Assert.True(length > 256 * 1024, $"database of 20,000 × 100 B values is only {length} bytes");
        await using (var f = new FileStream(db, FileMode.Open, FileAccess.Write)) f.SetLength(length / 2);
        await AssertRefusesCorruptAsync(dir.Path, $"database truncated from {length} to {length / 2} bytes (WAL: {wal} bytes)");
    }

    /// <summary>
    /// The SQLite file is intact but a stored record is not (8 bytes in the middle of the newest journal row or of a
    /// snapshot chunk overwritten): the node must refuse to start naming the file, not skip or misapply the record.
    /// </summary>
    [Theory]
    [InlineData("journal")]
    [InlineData("snapshot")]
    public async Task CorruptRecordInsideValidDatabase_RefusesToStart(string table)
    {
        using var dir = new TempDir("cc-badrecord");
        var db = Persist.DbPath(dir.Path);
        await using (var node = await NodeProcess.StartAsync(Persist.Options(dir.Path, "always", 4, "--snapshot-events", table == "snapshot" ? "10" : "100000")))
        {
            await using (var c = await node.ConnectAsync())
                await Persist.SetManyAsync(c, Enumerable.Range(0, 1000).Select(i => ($"r:{i}", $"value-{i}".PadRight(60, '.'))).ToList(), batch: 10);
            await node.KillAsync(); // everything is committed (always); a kill leaves the journal as it is
        }
        var rowid = table == "journal" ? "ordering" : "rowid";
        var target = await Persist.SqliteAsync(db, $"SELECT {rowid} || '|' || length(payload) FROM {table} ORDER BY length(payload) DESC, {rowid} DESC LIMIT 1;");
        Assert.True(target.Contains('|'), $"no {table} row to corrupt");
        var parts = target.Split('|');
        var (row, len) = (long.Parse(parts[0]), int.Parse(parts[1]));
        Assert.True(len >= 24, $"{table} row {row} has only {len} bytes of payload");
        var at = len / 2 - 4;
        var update = $"UPDATE {table} SET payload = substr(payload, 1, {at}) || X'DEADBEEFDEADBEEF' || substr(payload, {at + 9}) WHERE {rowid} = {row};";
        var r = await ExternalTool.RunAsync("sqlite3", new[] { "-batch", db, update }, null, TimeSpan.FromSeconds(30));
        Assert.True(r.ExitCode == 0, r.Describe());
        Assert.Equal("ok", await Persist.SqliteAsync(db, "PRAGMA integrity_check;"));

        var line = await Persist.AssertRefusesToStartAsync(Persist.ServeArgs(dir.Path, 4, "--durability", "always"), $"8 bytes overwritten in {table} row {row} ({len} bytes)");
        Assert.True(line.Contains(db, StringComparison.Ordinal), $"the error does not name the file {db}: '{line}'");
        Assert.True(SaysCorrupt(line), $"the error does not say the data is corrupt: '{line}'");
    }

    [Fact]
    public async Task WrongShardCount_RefusesWithBothNumbers_AndKeepsTheData()
    {
        using var dir = new TempDir("cc-shards");
        await WriteKeysAndStopAsync(dir.Path, 100, shards: 4);
        var line = await Persist.AssertRefusesToStartAsync(Persist.ServeArgs(dir.Path, 8, "--durability", "always"), "data dir created with --shards 4, started with --shards 8");
        Assert.True(line.Contains("shards", StringComparison.OrdinalIgnoreCase) && line.Contains('4') && line.Contains('8'),
            $"the error must mention shards and both counts (4 and 8): '{line}'");
        Assert.Equal("4", await Persist.SqliteAsync(Persist.DbPath(dir.Path), "SELECT value FROM metadata WHERE key = 'shard_count';"));

        await using var node = await Persist.StartAsync(dir.Path, "always", 4);
        await using var c = await node.ConnectAsync();
        Assert.Equal(100, (await c.CallAsync("DBSIZE")).Integer);
        Assert.Equal("v7:".PadRight(20, 'x'), (await c.CallAsync("GET", "k:7")).Text);
    }

    [Fact]
    public async Task ReadOnlyEmptyDataDir_RefusesToStart_NamingTheDirectory()
    {
        await using var ro = await Tmpfs.MountAsync("4m", readOnly: true);
        var line = await Persist.AssertRefusesToStartAsync(Persist.ServeArgs(ro.Path, 4, "--durability", "always"), "empty read-only data dir");
        Assert.True(line.Contains(ro.Path, StringComparison.Ordinal), $"the error must name the data directory or the database file ({ro.Path}): '{line}'");
    }

    /// <summary>A data dir holding a database but mounted read-only: refuse (nothing could be made durable), and the data is intact once writable again.</summary>
    [Fact]
    public async Task ReadOnlyDataDirWithData_RefusesToStart_DataIntactWhenWritableAgain()
    {
        await using var fs = await Tmpfs.MountAsync("64m");
        await WriteKeysAndStopAsync(fs.Path, 100);
        await fs.RemountAsync("ro");
        var line = await Persist.AssertRefusesToStartAsync(Persist.ServeArgs(fs.Path, 4, "--durability", "always"), "read-only data dir holding a database");
        Assert.True(line.Contains(fs.Path, StringComparison.Ordinal), $"the error must name the data directory or the database file ({fs.Path}): '{line}'");

        await fs.RemountAsync("rw");
        await using var node = await Persist.StartAsync(fs.Path, "always", 4);
        await using var c = await node.ConnectAsync();
        Assert.Equal(100, (await c.CallAsync("DBSIZE")).Integer);
    }

    [Theory]
    [InlineData("--durability", "sometimes", "durability")]
    [InlineData("--durability", "ALWAYS!", "durability")]
    [InlineData("--snapshot-events", "abc", "snapshot-events")]
    [InlineData("--snapshot-events", "-5", "snapshot-events")]
    public async Task BadPersistenceOption_RefusedWithOneLine(string option, string value, string mention)
    {
        using var dir = new TempDir("cc-badopt");
        var line = await Persist.AssertRefusesToStartAsync(Persist.ServeArgs(dir.Path, 4, option, value), $"{option} {value}");
        Assert.True(line.Contains(mention, StringComparison.OrdinalIgnoreCase), $"the error should mention '{mention}': '{line}'");
    }

    [Fact]
    public async Task BadDurabilityInEnvironment_Refused()
    {
        using var dir = new TempDir("cc-badenv");
        var line = await Persist.AssertRefusesToStartAsync(Persist.ServeArgs(dir.Path, 4), "CACHECLUSTER_DURABILITY=nope",
            new Dictionary<string, string?> { ["CACHECLUSTER_DURABILITY"] = "nope" });
        Assert.True(line.Contains("durability", StringComparison.OrdinalIgnoreCase), $"the error should mention durability: '{line}'");
    }
}
