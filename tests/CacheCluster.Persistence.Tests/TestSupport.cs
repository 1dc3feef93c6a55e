using System.Collections.Concurrent;
using System.Text;
using CacheCluster.Core;
using CacheCluster.Persistence.Events;
using CacheCluster.Persistence.Journal;
using CacheCluster.Storage;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace CacheCluster.Persistence.Tests;

public static class T
{
    public static byte[] B(string s) => Encoding.UTF8.GetBytes(s);
    public static string S(ReadOnlySpan<byte> b) => Encoding.UTF8.GetString(b);

    /// <summary>2100-01-01T00:00:00Z in Unix ms.</summary>
    public const long Year2100 = 4_102_444_800_000;

    /// <summary>A shard's store as the node makes it (CAS series per shard, like ShardRegion).</summary>
    public static CacheStore NewShardStore(IClock clock, int shard, int shards, long maxMemory = 0) =>
        new(clock, maxMemory, EvictionPolicy.AllKeysLru, randomSeed: shard + 1, casSeries: shard, casSeriesCount: shards);

    public static NodeJournalOptions Options(string dir, int shards, Durability durability, int snapshotEvents = 1000,
        TimeSpan? commitInterval = null) => new()
    {
        DataDir = dir,
        Shards = shards,
        NodeId = "test-node",
        Durability = durability,
        SnapshotEvents = snapshotEvents,
        CommitInterval = commitInterval ?? TimeSpan.FromMilliseconds(5),
    };

    /// <summary>A connection of our own to the node's database (no pooling, so the file is released on dispose).</summary>
    public static SqliteConnection Connect(string dbPath)
    {
        var c = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = dbPath, Pooling = false }.ToString());
        c.Open();
        return c;
    }

    public static long Scalar(string dbPath, string sql)
    {
        using var c = Connect(dbPath);
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        var v = cmd.ExecuteScalar();
        return v is null or DBNull ? 0 : Convert.ToInt64(v);
    }

    public static string? Text(string dbPath, string sql)
    {
        using var c = Connect(dbPath);
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        return cmd.ExecuteScalar()?.ToString();
    }

    public static void Exec(string dbPath, string sql)
    {
        using var c = Connect(dbPath);
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    /// <summary>Rows of the journal table per persistence id.</summary>
    public static Dictionary<string, long> JournalRows(string dbPath)
    {
        var rows = new Dictionary<string, long>();
        using var c = Connect(dbPath);
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT persistence_id, COUNT(*) FROM journal GROUP BY persistence_id";
        using var r = cmd.ExecuteReader();
        while (r.Read()) rows[r.GetString(0)] = r.GetInt64(1);
        return rows;
    }
}

/// <summary>A directory under /tmp removed afterwards.</summary>
public sealed class TempDir : IDisposable
{
    public TempDir()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "ccpt-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }
    public string Db => System.IO.Path.Combine(Path, "cachecluster.db");
    public string Sub(string name)
    {
        var p = System.IO.Path.Combine(Path, name);
        Directory.CreateDirectory(p);
        return p;
    }

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

/// <summary>A tmpfs of a given size mounted on a fresh directory (tests run as root); unmounted on dispose.</summary>
public sealed class TmpfsMount : IDisposable
{
    readonly TempDir _dir = new();

    public TmpfsMount(string size, bool readOnly = false)
    {
        Path = _dir.Path;
        Run("mount", "-t", "tmpfs", "-o", (readOnly ? "ro," : "") + "size=" + size, "tmpfs", Path);
    }

    public string Path { get; }

    public void Resize(string size) => Remount("size=" + size);

    public void Remount(string options) => Run("mount", "-o", "remount," + options, Path);

    static void Run(string file, params string[] args)
    {
        var psi = new System.Diagnostics.ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = System.Diagnostics.Process.Start(psi)!;
        string err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed ({p.ExitCode}): {err}");
    }

    public void Dispose()
    {
        try { Run("umount", Path); }
        catch (InvalidOperationException) { Run("umount", "-l", Path); }
        _dir.Dispose();
    }
}

/// <summary>One entry as the tests compare it.</summary>
public readonly record struct Item(string Value, uint Flags, ulong Cas, long ExpiresAt)
{
    public override string ToString() => $"value={(Value.Length > 40 ? Value[..40] + "…" : Value)} flags={Flags} cas={Cas} exp={ExpiresAt}";
}

public static class Contents
{
    /// <summary>Every entry of the store that is live at the store's clock, keyed by the key in hex; does not change the store.</summary>
    public static SortedDictionary<string, Item> Of(CacheStore store)
    {
        var d = new SortedDictionary<string, Item>(StringComparer.Ordinal);
        for (int h = store.LeastRecent; h >= 0; h = store.MoreRecent(h))
        {
            if (store.IsExpired(h)) continue;
            d.Add(Convert.ToHexString(store.KeyOf(h)),
                new Item(Convert.ToHexString(store.StringOf(h)), store.FlagsOf(h), store.CasOf(h), store.ExpiresAtOf(h)));
        }
        return d;
    }

    public static string Hex(string s) => Convert.ToHexString(Encoding.UTF8.GetBytes(s));

    /// <summary>Asserts equal contents, listing the first differences by key.</summary>
    public static void Equal(SortedDictionary<string, Item> expected, SortedDictionary<string, Item> actual, string what = "")
    {
        var diffs = new List<string>();
        foreach (var (k, v) in expected)
        {
            if (!actual.TryGetValue(k, out var a)) diffs.Add($"missing {Show(k)} ({v})");
            else if (a != v) diffs.Add($"differs {Show(k)}: expected {v}, actual {a}");
        }
        foreach (var (k, v) in actual)
            if (!expected.ContainsKey(k)) diffs.Add($"unexpected {Show(k)} ({v})");
        if (diffs.Count > 0)
            Assert.Fail($"{what}: {diffs.Count} differences (expected {expected.Count} keys, actual {actual.Count}):\n  "
                + string.Join("\n  ", diffs.Take(15)));
    }

    static string Show(string hexKey)
    {
        var bytes = Convert.FromHexString(hexKey);
        return bytes.All(b => b is >= 0x20 and < 0x7f) ? "'" + Encoding.ASCII.GetString(bytes) + "'" : "0x" + hexKey;
    }
}

/// <summary>A change sink that encodes exactly like <see cref="ShardJournal"/>, into one growing buffer.</summary>
public sealed class EncodingSink(CacheStore store) : IStoreChangeSink
{
    public RecordBuffer Buffer { get; } = new();
    public void EntryWritten(int h) => EventCodec.WriteEntry(Buffer, store, h);
    public void ExpiryChanged(int h) => EventCodec.WriteExpire(Buffer, store.KeyOf(h), store.ExpiresAtOf(h));
    public void EntryRemoved(ReadOnlySpan<byte> key) => EventCodec.WriteDelete(Buffer, key);
    public void Cleared() => EventCodec.WriteFlush(Buffer);
}

/// <summary>Counts how it was told about its commit (called on the writer's thread).</summary>
public sealed class Waiter : ICommitWaiter
{
    int _committed, _failed;
    public int CommittedCount => Volatile.Read(ref _committed);
    public int FailedCount => Volatile.Read(ref _failed);
    public string? Reason { get; private set; }
    public bool Done => CommittedCount + FailedCount > 0;
    public void Committed() => Interlocked.Increment(ref _committed);
    public void Failed(string reason)
    {
        Reason = reason;
        Interlocked.Increment(ref _failed);
    }
}

/// <summary>Keeps what was logged, for asserting that failures are logged loudly.</summary>
public sealed class ListLogger : ILogger
{
    public ConcurrentQueue<(LogLevel Level, string Message)> Entries { get; } = new();
    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
    public bool IsEnabled(LogLevel logLevel) => true;
    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        Entries.Enqueue((logLevel, formatter(state, exception)));
    public bool Has(LogLevel level, string fragment) => Entries.Any(e => e.Level == level && e.Message.Contains(fragment, StringComparison.Ordinal));
}
