using CacheCluster.Core;
using CacheCluster.Storage;
using Microsoft.Extensions.Logging.Abstractions;

namespace CacheCluster.Persistence.Tests;

/// <summary>
/// Two databases built once: a small one (2 shards, a snapshot and events after it on shard 0)
/// and one whose shard 0 has a snapshot of several 1 MiB chunks. Each test damages a copy.
/// </summary>
public sealed class CorruptionFixture : IDisposable
{
    readonly TempDir _dir = new();

    public CorruptionFixture()
    {
        Clock = new ManualClock(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());

        SmallDir = _dir.Sub("small");
        using (var node = TestNode.Start(T.Options(SmallDir, 2, Durability.EverySec, snapshotEvents: 10), Clock))
        {
            for (int i = 0; i < 60; i++)
            {
                int s = i % 2;
                node.Stores[s].Set(T.B("k" + (i % 15)), T.B("value " + i), (uint)i, i % 4 == 0 ? T.Year2100 : 0);
                node.Shards[s]!.Submit(null);
            }
            node.Journal.Flush(TimeSpan.FromSeconds(10));
            // leave events after shard 0's last snapshot, each committed (so stored) on its own
            for (int i = 0; i < 4; i++)
            {
                node.Stores[0].Set(T.B("tail" + i), T.B("t"), 0, 0);
                node.Shards[0]!.Submit(null);
                node.Journal.Flush(TimeSpan.FromSeconds(10));
            }
            SmallContents = node.Stores.Select(Contents.Of).ToArray();
        }
        var smallDb = Path.Combine(SmallDir, "cachecluster.db");
        SmallSnapshotSeq = T.Scalar(smallDb, "SELECT MAX(sequence_nr) FROM snapshot WHERE persistence_id = 'shard-0'");
        Assert.True(SmallSnapshotSeq > 0, "shard 0 should have a snapshot");
        Assert.True(T.Scalar(smallDb, $"SELECT COUNT(*) FROM journal WHERE persistence_id = 'shard-0' AND sequence_nr > {SmallSnapshotSeq}") >= 4,
            "shard 0 should have at least four journal rows after its snapshot");

        BigDir = _dir.Sub("big");
        var bigOptions = T.Options(BigDir, 1, Durability.EverySec, snapshotEvents: 100);
        using (var node = JournalEndToEndTests.BigSnapshotNode(bigOptions, Clock)) BigContents = Contents.Of(node.Stores[0]);
        BigChunks = T.Scalar(Path.Combine(BigDir, "cachecluster.db"), "SELECT COUNT(*) FROM snapshot");
        Assert.True(BigChunks >= 3);
    }

    public ManualClock Clock { get; }
    public string SmallDir { get; }
    public SortedDictionary<string, Item>[] SmallContents { get; }
    public long SmallSnapshotSeq { get; }
    public string BigDir { get; }
    public SortedDictionary<string, Item> BigContents { get; }
    public long BigChunks { get; }

    /// <summary>A copy of one of the databases in a directory of its own.</summary>
    public TempDir Copy(string fromDir)
    {
        var d = new TempDir();
        File.Copy(Path.Combine(fromDir, "cachecluster.db"), d.Db);
        return d;
    }

    public void Dispose() => _dir.Dispose();
}

public class RecoveryCorruptionTests(CorruptionFixture f) : IClassFixture<CorruptionFixture>
{
    /// <summary>The k-th journal row of shard 0 after its snapshot (by sequence_nr, whatever a row holds).</summary>
    static string Row(int k) =>
        $"persistence_id = 'shard-0' AND sequence_nr = (SELECT sequence_nr FROM journal WHERE persistence_id = 'shard-0' ORDER BY sequence_nr LIMIT 1 OFFSET {k})";

    static PersistenceException RecoverFails(TempDir dir, int shards, int shard, ManualClock clock)
    {
        using var journal = NodeJournal.Open(T.Options(dir.Path, shards, Durability.EverySec), NullLogger.Instance);
        var store = T.NewShardStore(clock, shard, shards);
        var ex = Record.Exception(() => journal.Recover(shard, store));
        Assert.True(ex != null, $"shard {shard} recovered {store.Count} keys from a damaged journal");
        var pe = Assert.IsType<PersistenceException>(ex);
        Assert.Contains(dir.Db, pe.Message);
        Assert.Contains("corrupt", pe.Message);
        Assert.Contains($"shard {shard}", pe.Message);
        return pe;
    }

    [Fact]
    public void The_undamaged_copies_recover_completely()
    {
        using (var d = f.Copy(f.SmallDir))
        {
            var (stores, rec) = TestNode.RecoverAll(T.Options(d.Path, 2, Durability.EverySec), f.Clock);
            for (int s = 0; s < 2; s++) Contents.Equal(f.SmallContents[s], Contents.Of(stores[s]), $"small shard {s}");
            Assert.Equal(f.SmallSnapshotSeq, rec[0].SnapshotSequenceNr);
        }
        using (var d = f.Copy(f.BigDir))
        {
            var (stores, _) = TestNode.RecoverAll(T.Options(d.Path, 1, Durability.EverySec), f.Clock);
            Contents.Equal(f.BigContents, Contents.Of(stores[0]), "big");
        }
    }

    [Fact]
    public void A_damaged_event_row_is_reported_with_shard_and_sequence()
    {
        using var d = f.Copy(f.SmallDir);
        long first = T.Scalar(d.Db, $"SELECT sequence_nr FROM journal WHERE {Row(1)}");
        T.Exec(d.Db, $"UPDATE journal SET payload = x'63' WHERE {Row(1)}");
        var ex = RecoverFails(d, 2, 0, f.Clock);
        Assert.Contains($"after sequence number {first - 1}", ex.Message);
        Assert.IsType<CorruptDataException>(ex.InnerException);
    }

    [Fact]
    public void A_truncated_event_is_reported()
    {
        using var d = f.Copy(f.SmallDir);
        T.Exec(d.Db, $"UPDATE journal SET payload = substr(payload, 1, length(payload) - 1) WHERE {Row(1)}");
        RecoverFails(d, 2, 0, f.Clock);
    }

    [Fact]
    public void A_missing_event_is_reported()
    {
        using var d = f.Copy(f.SmallDir);
        T.Exec(d.Db, $"DELETE FROM journal WHERE {Row(1)}");
        var ex = RecoverFails(d, 2, 0, f.Clock);
        Assert.Contains("missing", ex.Message);
    }

    [Fact]
    public void A_missing_first_event_after_the_snapshot_is_reported()
    {
        using var d = f.Copy(f.SmallDir);
        T.Exec(d.Db, $"DELETE FROM journal WHERE {Row(0)}");
        RecoverFails(d, 2, 0, f.Clock);
    }

    [Fact]
    public void A_missing_middle_chunk_of_a_snapshot_is_reported()
    {
        using var d = f.Copy(f.BigDir);
        T.Exec(d.Db, "DELETE FROM snapshot WHERE chunk = 1");
        var ex = RecoverFails(d, 1, 0, f.Clock);
        Assert.Contains("missing chunk 1", ex.Message);
    }

    [Fact]
    public void A_missing_first_chunk_of_a_snapshot_is_reported()
    {
        using var d = f.Copy(f.BigDir);
        T.Exec(d.Db, "DELETE FROM snapshot WHERE chunk = 0");
        RecoverFails(d, 1, 0, f.Clock);
    }

    /// <summary>
    /// The snapshot header records how many entries follow; a snapshot whose last chunk is gone
    /// holds fewer, and must not load as if it were whole.
    /// </summary>
    [Fact]
    public void A_missing_last_chunk_of_a_snapshot_is_reported()
    {
        using var d = f.Copy(f.BigDir);
        T.Exec(d.Db, "DELETE FROM snapshot WHERE chunk = (SELECT MAX(chunk) FROM snapshot)");
        RecoverFails(d, 1, 0, f.Clock);
    }

    [Fact]
    public void A_first_chunk_without_the_snapshot_header_is_reported()
    {
        using var d = f.Copy(f.BigDir);
        T.Exec(d.Db, "UPDATE snapshot SET payload = (SELECT payload FROM snapshot WHERE chunk = 1) WHERE chunk = 0");
        var ex = RecoverFails(d, 1, 0, f.Clock);
        Assert.Contains("header", ex.Message);
    }

    [Fact]
    public void A_snapshot_of_a_newer_format_version_is_reported()
    {
        using var d = f.Copy(f.BigDir);
        // chunk 0 = [u32 26][64][version u8]...: the version is the 6th byte; the checksum is made
        // to match, so it is the version check that has to catch it
        PatchBlobs(d.Db, "SELECT rowid, payload FROM snapshot WHERE chunk = 0", "UPDATE snapshot SET payload = $p WHERE rowid = $id", payload =>
        {
            payload[5] = 2;
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(payload.AsSpan(payload.Length - 4),
                CacheCluster.Persistence.Events.Crc32C.Compute(payload.AsSpan(0, payload.Length - 4)));
        });
        var ex = RecoverFails(d, 1, 0, f.Clock);
        Assert.Contains("snapshot format version 2", ex.Message);
    }

    [Fact]
    public void A_snapshot_chunk_cut_short_is_reported()
    {
        using var d = f.Copy(f.BigDir);
        T.Exec(d.Db, "UPDATE snapshot SET payload = substr(payload, 1, length(payload) - 3) WHERE chunk = (SELECT MAX(chunk) FROM snapshot)");
        RecoverFails(d, 1, 0, f.Clock);
    }

    [Fact]
    public void Damage_in_one_shard_leaves_the_others_readable()
    {
        using var d = f.Copy(f.SmallDir);
        T.Exec(d.Db, "UPDATE journal SET payload = x'02ffffffff' WHERE persistence_id = 'shard-0'");
        RecoverFails(d, 2, 0, f.Clock);
        using var journal = NodeJournal.Open(T.Options(d.Path, 2, Durability.EverySec), NullLogger.Instance);
        var store = T.NewShardStore(f.Clock, 1, 2);
        journal.Recover(1, store);
        Contents.Equal(f.SmallContents[1], Contents.Of(store), "shard 1");
    }

    [Fact]
    public void A_flipped_byte_inside_a_journal_row_fails_its_checksum()
    {
        using var d = f.Copy(f.SmallDir);
        // flip one bit in the middle of shard 0's first row: still a well-formed record (a value
        // byte), so only the checksum can tell
        PatchBlobs(d.Db, "SELECT ordering, payload FROM journal WHERE persistence_id = 'shard-0' ORDER BY ordering LIMIT 1",
            "UPDATE journal SET payload = $p WHERE ordering = $id", payload => payload[payload.Length / 2] ^= 1);
        var ex = RecoverFails(d, 2, 0, f.Clock);
        Assert.Contains("checksum", ex.Message);
    }

    /// <summary>Rewrites each blob the query selects (id, payload) in place, through <paramref name="update"/> ($id, $p).</summary>
    static void PatchBlobs(string db, string select, string update, Action<byte[]> patch)
    {
        using var c = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={db};Pooling=False");
        c.Open();
        var rows = new List<(long Id, byte[] Payload)>();
        using (var read = c.CreateCommand())
        {
            read.CommandText = select;
            using var r = read.ExecuteReader();
            while (r.Read()) rows.Add((r.GetInt64(0), (byte[])r.GetValue(1)));
        }
        Assert.NotEmpty(rows);
        foreach (var (id, payload) in rows)
        {
            patch(payload);
            using var write = c.CreateCommand();
            write.CommandText = update;
            write.Parameters.AddWithValue("$p", payload);
            write.Parameters.AddWithValue("$id", id);
            write.ExecuteNonQuery();
        }
    }
}
