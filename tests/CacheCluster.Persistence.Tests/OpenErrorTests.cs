using System.Text.RegularExpressions;
using CacheCluster.Core;
using Microsoft.Extensions.Logging.Abstractions;

namespace CacheCluster.Persistence.Tests;

/// <summary>A data directory that cannot be used is refused at open, with one sentence naming the file.</summary>
public class OpenErrorTests
{
    static PersistenceException OpenFails(NodeJournalOptions options)
    {
        var ex = Record.Exception(() => NodeJournal.Open(options, NullLogger.Instance).Dispose());
        Assert.NotNull(ex);
        return Assert.IsType<PersistenceException>(ex);
    }

    /// <summary>Writes some data for <paramref name="shards"/> shards and closes the node.</summary>
    static void MakeDatabase(string dir, int shards, int keysPerShard = 20, int valueBytes = 50)
    {
        using var node = TestNode.Start(T.Options(dir, shards, Durability.EverySec, snapshotEvents: 100), new ManualClock(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()));
        var rng = new Random(3);
        for (int s = 0; s < shards; s++)
        {
            for (int i = 0; i < keysPerShard; i++)
            {
                var v = new byte[valueBytes];
                rng.NextBytes(v);
                node.Stores[s].Set(T.B($"s{s}k{i}"), v, (uint)i, 0);
                node.Shards[s]!.Submit(null);
            }
        }
    }

    [Fact]
    public void A_new_data_directory_gets_its_metadata_and_opens_again()
    {
        using var dir = new TempDir();
        using (var journal = NodeJournal.Open(T.Options(dir.Path, 6, Durability.EverySec), NullLogger.Instance))
        {
            Assert.Equal(dir.Db, journal.Path);
            Assert.Equal(1, journal.Database.Metadata.SchemaVersion);
            Assert.Equal(6, journal.Database.Metadata.ShardCount);
            Assert.Equal("test-node", journal.Database.Metadata.NodeId);
            Assert.Matches("^[0-9a-f]{32}$", journal.Database.Metadata.ClusterId);
        }
        Assert.Equal("wal", T.Text(dir.Db, "PRAGMA journal_mode"));
        using var again = NodeJournal.Open(T.Options(dir.Path, 6, Durability.Always), NullLogger.Instance);
        Assert.Equal(6, again.Database.Metadata.ShardCount);
    }

    [Fact]
    public void A_garbage_file_is_refused_as_corrupt_naming_the_file()
    {
        using var dir = new TempDir();
        var junk = new byte[8192];
        new Random(1).NextBytes(junk);
        File.WriteAllBytes(dir.Db, junk);
        var ex = OpenFails(T.Options(dir.Path, 4, Durability.EverySec));
        Assert.Contains(dir.Db, ex.Message);
        Assert.Contains("corrupt", ex.Message);
        Assert.Equal(junk, File.ReadAllBytes(dir.Db));               // left as it was
    }

    [Fact]
    public void A_file_with_an_sqlite_header_and_garbage_after_it_is_refused_as_corrupt()
    {
        using var dir = new TempDir();
        var junk = new byte[16384];
        new Random(2).NextBytes(junk);
        "SQLite format 3\0"u8.CopyTo(junk);
        File.WriteAllBytes(dir.Db, junk);
        var ex = OpenFails(T.Options(dir.Path, 4, Durability.EverySec));
        Assert.Contains(dir.Db, ex.Message);
        Assert.Contains("corrupt", ex.Message);
    }

    [Fact]
    public void A_short_text_file_is_refused_as_corrupt()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.Db, "hello");
        var ex = OpenFails(T.Options(dir.Path, 4, Durability.EverySec));
        Assert.Contains(dir.Db, ex.Message);
        Assert.Contains("corrupt", ex.Message);
    }

    [Fact]
    public void A_different_shard_count_is_refused_naming_both_counts()
    {
        using var dir = new TempDir();
        MakeDatabase(dir.Path, 12);
        var ex = OpenFails(T.Options(dir.Path, 5, Durability.EverySec));
        Assert.Matches(new Regex(@"\b12\b"), ex.Message);
        Assert.Matches(new Regex(@"\b5\b"), ex.Message);
        Assert.Contains(dir.Path, ex.Message);
        Assert.DoesNotContain('\n', ex.Message);
        // the data is untouched: the right count still opens it
        using var ok = NodeJournal.Open(T.Options(dir.Path, 12, Durability.EverySec), NullLogger.Instance);
    }

    [Fact]
    public void A_newer_schema_version_is_refused()
    {
        using var dir = new TempDir();
        MakeDatabase(dir.Path, 2);
        T.Exec(dir.Db, "UPDATE metadata SET value = '2' WHERE key = 'schema_version'");
        var ex = OpenFails(T.Options(dir.Path, 2, Durability.EverySec));
        Assert.Contains(dir.Db, ex.Message);
        Assert.Contains("schema version 2", ex.Message);
    }

    [Theory]
    [InlineData("schema_version", "one")]
    [InlineData("shard_count", "-3")]
    [InlineData("shard_count", null)]
    public void Damaged_metadata_is_refused_as_corrupt(string key, string? value)
    {
        using var dir = new TempDir();
        MakeDatabase(dir.Path, 2);
        T.Exec(dir.Db, value == null ? $"DELETE FROM metadata WHERE key = '{key}'" : $"UPDATE metadata SET value = '{value}' WHERE key = '{key}'");
        var ex = OpenFails(T.Options(dir.Path, 2, Durability.EverySec));
        Assert.Contains(dir.Db, ex.Message);
        Assert.Contains("corrupt", ex.Message);
    }

    [Fact]
    public void A_missing_data_directory_is_refused_naming_the_file()
    {
        using var dir = new TempDir();
        var missing = Path.Combine(dir.Path, "no", "such", "dir");
        var ex = OpenFails(T.Options(missing, 2, Durability.EverySec));
        Assert.Contains(Path.Combine(missing, "cachecluster.db"), ex.Message);
    }

    [Fact]
    public void A_read_only_empty_data_directory_is_refused()
    {
        using var ro = new TmpfsMount("1m", readOnly: true);
        var ex = OpenFails(T.Options(ro.Path, 2, Durability.EverySec));
        Assert.Contains(Path.Combine(ro.Path, "cachecluster.db"), ex.Message);
    }

    /// <summary>An existing journal on a read-only file system cannot take writes: the node must not start as if it could.</summary>
    [Fact]
    public void A_read_only_data_directory_with_a_journal_is_refused()
    {
        using var fs = new TmpfsMount("4m");
        MakeDatabase(fs.Path, 2);
        fs.Remount("ro");
        var ex = OpenFails(T.Options(fs.Path, 2, Durability.EverySec));
        Assert.Contains(Path.Combine(fs.Path, "cachecluster.db"), ex.Message);
    }

    [Fact]
    public void An_empty_file_is_a_new_database()
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir.Db, []);
        using var journal = NodeJournal.Open(T.Options(dir.Path, 3, Durability.EverySec), NullLogger.Instance);
        Assert.Equal(3, journal.Database.Metadata.ShardCount);
    }

    /// <summary>
    /// A database cut to a fraction of its size must be refused at open (integrity check) or at
    /// recovery (missing rows/pages) — never recovered as if it were empty or complete.
    /// </summary>
    [Theory]
    [InlineData(0.5)]
    [InlineData(0.25)]
    [InlineData(0.9)]
    public void A_truncated_database_is_refused_at_open_or_recovery(double fraction)
    {
        using var dir = new TempDir();
        MakeDatabase(dir.Path, 4, keysPerShard: 300, valueBytes: 400);
        Assert.False(File.Exists(dir.Db + "-wal"), "the database should be a single file after a clean close");
        long size = new FileInfo(dir.Db).Length;
        Assert.True(size > 200_000, $"database is only {size} bytes");
        using (var f = new FileStream(dir.Db, FileMode.Open)) f.SetLength((long)(size * fraction));

        var options = T.Options(dir.Path, 4, Durability.EverySec);
        var counts = new List<int>();
        var ex = Record.Exception(() =>
        {
            using var journal = NodeJournal.Open(options, NullLogger.Instance);
            for (int s = 0; s < 4; s++)
            {
                var store = T.NewShardStore(new ManualClock(), s, 4);
                journal.Recover(s, store);
                counts.Add(store.Count);
            }
        });
        Assert.True(ex != null, $"the truncated database recovered without error: {string.Join(", ", counts)} keys per shard (of 300)");
        var pe = Assert.IsType<PersistenceException>(ex);
        Assert.Contains(dir.Db, pe.Message);
        Assert.Contains("corrupt", pe.Message);
    }
}
