using System.Text;
using CacheCluster.Persistence.Events;
using CacheCluster.Persistence.Journal;
using CacheCluster.Storage;
using Microsoft.Data.Sqlite;

namespace CacheCluster.Persistence.Recovery;

/// <summary>
/// Rebuilds shards from the database: the latest snapshot (all its chunks, in order), then the
/// events after it. Reads blobs as spans straight from SQLite. Damage is reported with the
/// file, the shard and the sequence number, never skipped.
/// </summary>
public sealed class JournalReader : IDisposable
{
    readonly JournalDatabase _db;
    readonly SqliteConnection _conn;
    readonly RawStatement _latest, _chunks, _events;

    public JournalReader(JournalDatabase db)
    {
        _db = db;
        _conn = db.OpenConnection();
        var h = _conn.Handle!;
        _latest = new RawStatement(h, JournalSchema.LatestSnapshot);
        _chunks = new RawStatement(h, JournalSchema.SnapshotChunks);
        _events = new RawStatement(h, JournalSchema.EventsAfter);
    }

    /// <summary>Loads shard <paramref name="shard"/> into <paramref name="store"/> (which must be empty and not journaling).</summary>
    public RecoveredShard Recover(int shard, CacheStore store, Action<long>? progress = null)
    {
        var pid = Encoding.UTF8.GetBytes(JournalSchema.PersistenceId(shard));
        var applier = new EventApplier(store);
        long seq = 0, snapshotSeq = 0, snapshotRecords = 0, events = 0;
        try
        {
            _latest.BindText(1, pid);
            if (_latest.Step() && !_latest.IsNull(0)) snapshotSeq = _latest.Int64(0);
            _latest.Reset();
            if (snapshotSeq > 0)
            {
                _chunks.BindText(1, pid).Bind(2, snapshotSeq);
                long expect = 0;
                while (_chunks.Step())
                {
                    long chunk = _chunks.Int64(0);
                    if (chunk != expect) throw new CorruptDataException($"snapshot {snapshotSeq} is missing chunk {expect}");
                    var rest = Crc32C.Verify(_chunks.Blob(1), $"snapshot {snapshotSeq} chunk {chunk}");
                    if (chunk == 0 && (rest.Length < 5 || rest[4] != (byte)EventType.SnapshotHeader))
                        throw new CorruptDataException($"snapshot {snapshotSeq} does not start with its header");
                    while (RecordBuffer.TryNext(ref rest, out var record))
                    {
                        applier.Apply(record);
                        snapshotRecords++;
                    }
                    expect++;
                }
                if (expect == 0) throw new CorruptDataException($"snapshot {snapshotSeq} has no chunks");
                if (snapshotRecords != applier.SnapshotEntries + 1)
                    throw new CorruptDataException($"snapshot {snapshotSeq} holds {snapshotRecords - 1} entries, its header says {applier.SnapshotEntries} (a chunk is missing)");
                seq = snapshotSeq;
            }

            _events.BindText(1, pid).Bind(2, snapshotSeq);
            while (_events.Step())
            {
                // a row holds a run of consecutive events; sequence_nr is the first one's
                long first = _events.Int64(0);
                if (first != seq + 1) throw new CorruptDataException($"events {seq + 1}..{first - 1} are missing");
                var rest = Crc32C.Verify(_events.Blob(1), $"journal row {first}");
                if (rest.Length == 0) throw new CorruptDataException($"row {first} holds no event");
                while (RecordBuffer.TryNext(ref rest, out var record))
                {
                    applier.Apply(record);
                    seq++;
                    if ((++events & 0xffff) == 0) progress?.Invoke(0x10000);
                }
            }
        }
        catch (CorruptDataException ex)
        {
            _chunks.Reset();
            _events.Reset();
            throw new PersistenceException($"journal {_db.Path} is corrupt: shard {shard} after sequence number {seq}: {ex.Message}; refusing to start with missing data", ex);
        }
        catch (SqliteFailure ex)
        {
            throw new PersistenceException(ex.IsCorruption
                ? $"journal {_db.Path} is corrupt: reading shard {shard} failed: {ex.Message}; refusing to start with missing data"
                : $"cannot read journal {_db.Path}: shard {shard}: {ex.Message}", ex);
        }
        applier.Finish();
        progress?.Invoke(events & 0xffff);
        return new RecoveredShard(seq, applier.Epoch, events, snapshotSeq, snapshotRecords);
    }

    public void Dispose()
    {
        _latest.Dispose();
        _chunks.Dispose();
        _events.Dispose();
        _conn.Dispose();
    }
}
