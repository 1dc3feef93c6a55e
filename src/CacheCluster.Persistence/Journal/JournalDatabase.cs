using System.Globalization;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace CacheCluster.Persistence.Journal;

/// <summary>What the metadata table records about a node's data directory.</summary>
public sealed record JournalMetadata(int SchemaVersion, string ClusterId, int ShardCount, string NodeId);

/// <summary>
/// The node's SQLite file: opened once at start, checked (header, integrity, schema version,
/// shard count) before anything is served, with errors that name the file and the fix.
/// Connections: one for the journal writer, short-lived readers for recovery.
/// </summary>
public sealed class JournalDatabase
{
    const int PageSize = 1024;
    static readonly byte[] SqliteHeader = "SQLite format 3\0"u8.ToArray();

    static JournalDatabase() => Batteries_V2.Init();

    JournalDatabase(string path, JournalMetadata metadata)
    {
        Path = path;
        Metadata = metadata;
    }

    public string Path { get; }
    public JournalMetadata Metadata { get; }

    /// <summary>Bytes on disk: the database and its write-ahead log.</summary>
    public long SizeBytes => FileSize(Path) + FileSize(Path + "-wal");

    /// <summary>
    /// Opens (creating if needed) the database in <paramref name="dataDir"/> and checks it. Throws
    /// <see cref="PersistenceException"/> with one clear sentence when it cannot be used.
    /// </summary>
    public static JournalDatabase Open(string dataDir, int shards, string nodeId, bool verifyIntegrity = true)
    {
        var path = System.IO.Path.GetFullPath(System.IO.Path.Combine(dataDir, JournalSchema.FileName));
        CheckHeader(path);
        try
        {
            using var c = Connect(path, create: true);
            // Small pages: a commit rewrites every page it touches into the WAL, and journal rows of
            // different shards land on different index pages, so bytes written per event scale with
            // the page size (takes effect only when the file is created).
            Exec(c, $"PRAGMA page_size={PageSize};");
            Exec(c, "PRAGMA journal_mode=WAL;");
            if (verifyIntegrity)
            {
                var check = Scalar(c, "PRAGMA quick_check;");
                if (!string.Equals(check, "ok", StringComparison.Ordinal))
                    throw Corrupt(path, $"integrity check failed: {check}");
            }
            Exec(c, JournalSchema.Create);
            var meta = ReadOrInitMetadata(c, path, shards, nodeId);
            return new JournalDatabase(path, meta);
        }
        catch (SqliteException ex) when (ex.SqliteErrorCode is raw.SQLITE_CORRUPT or raw.SQLITE_NOTADB)
        {
            throw Corrupt(path, ex.Message);
        }
        catch (SqliteException ex)
        {
            throw new PersistenceException($"cannot open journal {path}: {ex.Message} (is the data directory writable?)", ex);
        }
    }

    /// <summary>A new connection on the file (the caller owns it).</summary>
    internal SqliteConnection OpenConnection() => Connect(Path, create: false);

    static SqliteConnection Connect(string path, bool create)
    {
        var cs = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = create ? SqliteOpenMode.ReadWriteCreate : SqliteOpenMode.ReadWrite,
            Pooling = false,
        }.ToString();
        var c = new SqliteConnection(cs);
        c.Open();
        // Pages are read through a memory map: journal inserts of many shards touch index pages
        // all over the file, and a read() per cache miss showed up as a large share of the
        // writer's time. The page cache stays modest: at 64 MB it was ~70 B of RSS per key for
        // 1M keys, at 8 MB the writer's CPU per event measured the same.
        Exec(c, "PRAGMA busy_timeout=5000; PRAGMA mmap_size=1073741824; PRAGMA cache_size=-8192;");
        return c;
    }

    /// <summary>Anything that is not an SQLite file is refused before SQLite is asked (it would say "not a database").</summary>
    static void CheckHeader(string path)
    {
        if (!File.Exists(path)) return;
        var head = new byte[16];
        int n;
        try
        {
            using var f = File.OpenRead(path);
            n = f.ReadAtLeast(head, 16, throwOnEndOfStream: false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new PersistenceException($"cannot read journal {path}: {ex.Message}", ex);
        }
        if (n == 0) return; // an empty file: SQLite treats it as a new database
        if (n < 16 || !head.AsSpan().SequenceEqual(SqliteHeader))
            throw Corrupt(path, "it is not an SQLite database");
    }

    static PersistenceException Corrupt(string path, string why) =>
        new($"journal {path} is corrupt ({why}); refusing to start with missing data — restore it from a backup, or move it away to start empty");

    static JournalMetadata ReadOrInitMetadata(SqliteConnection c, string path, int shards, string nodeId)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        using (var cmd = c.CreateCommand())
        {
            cmd.CommandText = "SELECT key, value FROM metadata";
            using var r = cmd.ExecuteReader();
            while (r.Read()) values[r.GetString(0)] = r.GetString(1);
        }
        if (values.Count == 0)
        {
            var fresh = new JournalMetadata(JournalSchema.Version, Guid.NewGuid().ToString("N"), shards, nodeId);
            using var tx = c.BeginTransaction();
            Put(c, "schema_version", fresh.SchemaVersion.ToString(CultureInfo.InvariantCulture));
            Put(c, "cluster_id", fresh.ClusterId);
            Put(c, "shard_count", shards.ToString(CultureInfo.InvariantCulture));
            Put(c, "node_id", nodeId);
            Put(c, "created_at", DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture));
            tx.Commit();
            return fresh;
        }
        int version = Int(values, "schema_version", path);
        if (version > JournalSchema.Version)
            throw new PersistenceException($"journal {path} has schema version {version}, written by a newer CacheCluster (this one reads up to {JournalSchema.Version})");
        int recorded = Int(values, "shard_count", path);
        if (recorded != shards)
            throw new PersistenceException($"data directory {System.IO.Path.GetDirectoryName(path)} was created with --shards {recorded}; it cannot be opened with --shards {shards}");
        values.TryGetValue("cluster_id", out var cluster);
        values.TryGetValue("node_id", out var node);
        return new JournalMetadata(version, cluster ?? "", recorded, node ?? nodeId);
    }

    static int Int(Dictionary<string, string> values, string key, string path)
    {
        if (values.TryGetValue(key, out var s) && int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out int n)) return n;
        throw Corrupt(path, $"metadata has no valid {key}");
    }

    static void Put(SqliteConnection c, string key, string value)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = "INSERT OR REPLACE INTO metadata(key, value) VALUES($k, $v)";
        cmd.Parameters.AddWithValue("$k", key);
        cmd.Parameters.AddWithValue("$v", value);
        cmd.ExecuteNonQuery();
    }

    internal static void Exec(SqliteConnection c, string sql)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    static string? Scalar(SqliteConnection c, string sql)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        return cmd.ExecuteScalar()?.ToString();
    }

    static long FileSize(string p)
    {
        try { return File.Exists(p) ? new FileInfo(p).Length : 0; }
        catch (IOException) { return 0; }
    }
}
