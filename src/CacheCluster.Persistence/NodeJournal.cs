using CacheCluster.Persistence.Journal;
using CacheCluster.Persistence.Recovery;
using CacheCluster.Storage;
using Microsoft.Extensions.Logging;

namespace CacheCluster.Persistence;

public sealed class NodeJournalOptions
{
    public required string DataDir { get; init; }
    public required int Shards { get; init; }
    public required string NodeId { get; init; }
    public Durability Durability { get; init; } = Durability.EverySec;
    /// <summary>A shard snapshots once its journal holds more than max(this, its live keys) events.</summary>
    public int SnapshotEvents { get; init; } = 4096;
    /// <summary>everysec: how long writes gather before a commit (the most a killed process loses).</summary>
    public TimeSpan CommitInterval { get; init; } = TimeSpan.FromMilliseconds(100);
    /// <summary>everysec: beyond this many uncommitted events, writes are acknowledged after their commit.</summary>
    public long BacklogEvents { get; init; } = 500_000;
}

/// <summary>
/// A node's persistence: the checked database, the writer thread, recovery, and a journal per
/// local shard. The host opens it before serving; the shard region recovers and attaches shards.
/// </summary>
public sealed class NodeJournal : IDisposable
{
    readonly NodeJournalOptions _options;
    readonly ILogger _log;
    readonly JournalWriter? _writer;

    NodeJournal(NodeJournalOptions options, JournalDatabase db, ILogger log)
    {
        _options = options;
        Database = db;
        _log = log;
        if (options.Durability != Durability.Off)
            _writer = new JournalWriter(db, new JournalWriterOptions
            {
                Durability = options.Durability,
                CommitInterval = options.CommitInterval,
                BacklogEvents = options.BacklogEvents,
            }, log);
    }

    /// <summary>Opens and checks the database; throws <see cref="PersistenceException"/> with a clear message.</summary>
    public static NodeJournal Open(NodeJournalOptions options, ILogger log) =>
        new(options, JournalDatabase.Open(options.DataDir, options.Shards, options.NodeId), log);

    public JournalDatabase Database { get; }
    public Durability Durability => _options.Durability;
    public JournalStats Stats => _writer?.Stats ?? EmptyStats;
    public RecoveryProgress Progress { get; } = new();
    public string Path => Database.Path;
    static readonly JournalStats EmptyStats = new();

    /// <summary>Rebuilds one shard's store from the database (start-up, and after a lost write).</summary>
    public RecoveredShard Recover(int shard, CacheStore store, JournalReader? reader = null)
    {
        if (reader != null) return reader.Recover(shard, store, Progress.AddEvents);
        using var own = new JournalReader(Database);
        return own.Recover(shard, store);
    }

    /// <summary>Starts journaling the shard's store; null when durability is off.</summary>
    public ShardJournal? Attach(int shard, CacheStore store, RecoveredShard from) =>
        _writer == null ? null : new ShardJournal(shard, _writer, store, from, _options.SnapshotEvents);

    /// <summary>
    /// Cluster mode: starts journaling a shard this node now owns; the caller then records the
    /// ownership epoch with <see cref="ShardJournal.BeginEpoch"/>. Null when durability is off.
    /// </summary>
    public ShardJournal? AttachOwned(int shard, CacheStore store, RecoveredShard from) =>
        _writer == null ? null : new ShardJournal(shard, _writer, store, from, _options.SnapshotEvents, clusterEpochs: true);

    /// <summary>Waits until everything submitted so far is written (or failed).</summary>
    public void Flush(TimeSpan timeout) => _writer?.Flush(timeout);

    /// <summary>Commits what is queued and closes the writer.</summary>
    public void Dispose()
    {
        _writer?.Dispose();
        _log.LogInformation("journal {Path} closed ({Size} bytes)", Database.Path, Database.SizeBytes);
    }
}
