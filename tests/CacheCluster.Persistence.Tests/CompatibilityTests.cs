using CacheCluster.Core;
using CacheCluster.Storage;
using Microsoft.Extensions.Logging.Abstractions;

namespace CacheCluster.Persistence.Tests;

/// <summary>
/// The checked-in Samples/journal-v1.db (written by <see cref="SampleJournalV1"/>, see
/// Samples/README.md) must load with the current code, with exactly the contents below.
/// Tests work on a copy: opening a database may write to it.
/// </summary>
public class CompatibilityTests
{
    const int Shards = SampleJournalV1.Shards;
    const long Now = 1_750_000_000_000;       // 2025-06-15: the sample's short TTLs (2023) have passed
    const long Start = SampleJournalV1.StartMs;

    static readonly string Sample = Path.Combine(AppContext.BaseDirectory, "Samples", "journal-v1.db");

    static Item I(string value, uint flags, ulong cas, long exp) => new(Contents.Hex(value), flags, cas, exp);
    static Item I(byte[] value, uint flags, ulong cas, long exp) => new(Convert.ToHexString(value), flags, cas, exp);

    /// <summary>What each shard holds at <see cref="Now"/>, apart from the keys of <see cref="TtlChangedAfterSet"/>.</summary>
    static readonly Dictionary<string, Item>[] Expected =
    [
        new()
        {
            [Contents.Hex("alpha")] = I("first", 0xDEADBEEF, 1, 0),            // SetFlags after the snapshot keeps the CAS
            [Contents.Hex("gamma")] = I("", 7, 89, 0),                         // empty value, BumpCas
            [Contents.Hex("delta")] = I("replaced", 0, 81, 0),                 // ReplaceValue: new CAS
            [Contents.Hex("counter")] = I("16", 0, 93, 0),                     // 15 values before the snapshot, one after
            [Contents.Hex("zeta")] = I("lives until 2100", 2100, 85, T.Year2100),
            // beta: deleted after the snapshot; epsilon: expired in 2023
        },
        new()
        {
            // before-flush-1/2: flushed; dropped-ttl: expired in 2023
            [Contents.Hex("after-flush")] = I("kept", 11, 10, 0),
            [Convert.ToHexString(SampleJournalV1.BinaryKey)] = I(SampleJournalV1.AllBytes, uint.MaxValue, 14, 0),
        },
        new()
        {
            [""] = I("empty key", 0, 3, 0),
            [Contents.Hex("big")] = I(SampleJournalV1.BigValue, 77, 7, T.Year2100),
            // temp: removed
        },
        new(),
    ];

    /// <summary>Keys set with a 1 s TTL whose expiry was then removed or moved to 2100.</summary>
    static readonly Dictionary<string, Item> TtlChangedAfterSet = new()
    {
        [Contents.Hex("ttl-then-persist")] = I("v", 0, 18, 0),
        [Contents.Hex("ttl-extended")] = I("w", 0, 22, T.Year2100),
    };

    static readonly long[] LastSeq = [27, 11, 5, 0];
    static readonly long[] Epoch = [1, 1, 1, 0];
    static readonly ulong[] NextCas = [97, 30, 15, 4];

    static TempDir CopySample()
    {
        Assert.True(File.Exists(Sample), $"{Sample} is missing (is it copied to the output?)");
        var d = new TempDir();
        File.Copy(Sample, d.Db);
        return d;
    }

    static NodeJournalOptions Options(TempDir d) => T.Options(d.Path, Shards, Durability.EverySec);

    [Fact]
    public void The_sample_is_what_the_README_says()
    {
        using var d = CopySample();
        Assert.Equal("1", T.Text(d.Db, "SELECT value FROM metadata WHERE key = 'schema_version'"));
        Assert.Equal("4", T.Text(d.Db, "SELECT value FROM metadata WHERE key = 'shard_count'"));
        Assert.Equal("sample-node", T.Text(d.Db, "SELECT value FROM metadata WHERE key = 'node_id'"));
        // shard 0: a snapshot at event 21 and the events after it; shards 1 and 2: events from the first; shard 3: nothing
        Assert.Equal(21, T.Scalar(d.Db, "SELECT MAX(sequence_nr) FROM snapshot WHERE persistence_id = 'shard-0'"));
        Assert.Equal(1, T.Scalar(d.Db, "SELECT COUNT(DISTINCT persistence_id) FROM snapshot"));
        Assert.Equal(22, T.Scalar(d.Db, "SELECT MIN(sequence_nr) FROM journal WHERE persistence_id = 'shard-0'"));
        Assert.Equal(1, T.Scalar(d.Db, "SELECT MIN(sequence_nr) FROM journal WHERE persistence_id = 'shard-1'"));
        Assert.Equal(1, T.Scalar(d.Db, "SELECT MIN(sequence_nr) FROM journal WHERE persistence_id = 'shard-2'"));
        Assert.Equal(0, T.Scalar(d.Db, "SELECT COUNT(*) FROM journal WHERE persistence_id = 'shard-3'"));
        Assert.Equal(0, T.Scalar(d.Db, "SELECT COUNT(*) FROM journal WHERE timestamp < " + Start + " OR timestamp > " + (Start + 1000)));
    }

    [Fact]
    public void The_v1_sample_loads_with_the_expected_contents()
    {
        using var d = CopySample();
        var clock = new ManualClock(Now);
        using var journal = NodeJournal.Open(Options(d), NullLogger.Instance);
        Assert.Equal(1, journal.Database.Metadata.SchemaVersion);
        Assert.Equal("sample-node", journal.Database.Metadata.NodeId);
        for (int s = 0; s < Shards; s++)
        {
            var store = T.NewShardStore(clock, s, Shards);
            var recovered = journal.Recover(s, store);
            var actual = Contents.Of(store);
            foreach (var k in TtlChangedAfterSet.Keys) actual.Remove(k);   // see the test below
            Contents.Equal(new SortedDictionary<string, Item>(Expected[s], StringComparer.Ordinal), actual, $"sample shard {s}");
            Assert.Equal(LastSeq[s], recovered.LastSequenceNr);
            Assert.Equal(Epoch[s], recovered.Epoch);
            Assert.Equal(NextCas[s], store.NextCas);
            Assert.Equal(s == 0 ? 21 : 0, recovered.SnapshotSequenceNr);
            Assert.True(store.IsConsistent(out var problem), problem);
        }
    }

    /// <summary>
    /// SET k v EX 1; PERSIST k (or EXPIRE k to 2100): k never expires, so it must be there when the
    /// journal is replayed after the first TTL has passed.
    /// </summary>
    [Fact]
    public void The_v1_sample_keeps_keys_whose_ttl_was_removed_or_extended()
    {
        using var d = CopySample();
        using var journal = NodeJournal.Open(Options(d), NullLogger.Instance);
        var store = T.NewShardStore(new ManualClock(Now), 1, Shards);
        journal.Recover(1, store);
        var actual = Contents.Of(store).Where(kv => TtlChangedAfterSet.ContainsKey(kv.Key)).ToDictionary();
        Contents.Equal(new SortedDictionary<string, Item>(TtlChangedAfterSet, StringComparer.Ordinal),
            new SortedDictionary<string, Item>(actual, StringComparer.Ordinal), "keys whose TTL changed after their Set");
    }

    [Fact]
    public void Loaded_at_the_time_it_was_written_the_sample_still_has_its_short_lived_keys()
    {
        using var d = CopySample();
        using var journal = NodeJournal.Open(Options(d), NullLogger.Instance);
        var clock = new ManualClock(Start + 500);       // before any of the sample's TTLs
        var s0 = T.NewShardStore(clock, 0, Shards);
        journal.Recover(0, s0);
        Assert.Equal(I("short-lived", 1, 17, Start + 60_000), Contents.Of(s0)[Contents.Hex("epsilon")]);
        var s1 = T.NewShardStore(clock, 1, Shards);
        journal.Recover(1, s1);
        var c1 = Contents.Of(s1);
        Assert.Equal(I("x", 0, 26, Start + 5000), c1[Contents.Hex("dropped-ttl")]);
        Assert.Equal(I("v", 0, 18, 0), c1[Contents.Hex("ttl-then-persist")]);
        Assert.Equal(I("w", 0, 22, T.Year2100), c1[Contents.Hex("ttl-extended")]);
        Assert.DoesNotContain(Contents.Hex("before-flush-1"), c1.Keys);
    }

    [Fact]
    public void The_current_code_continues_a_v1_journal()
    {
        using var d = CopySample();
        var clock = new ManualClock(Now);
        var options = Options(d);
        SortedDictionary<string, Item>[] expected;
        long[] lastSeq;
        using (var node = TestNode.Start(options, clock))
        {
            for (int s = 0; s < Shards; s++)
            {
                Assert.Equal(LastSeq[s], node.Shards[s]!.LastSequenceNr);
                Assert.Equal(s == 3 ? 1 : Epoch[s], node.Shards[s]!.Epoch);   // shard 3 starts its first epoch now
                node.Stores[s].Set(T.B("new" + s), T.B("written by the current code"), 5, 0);
                node.Stores[s].Delete(T.B("after-flush"));
                node.Shards[s]!.Submit(null);
            }
            node.Journal.Flush(TimeSpan.FromSeconds(10));
            Assert.Equal(0, node.Journal.Stats.WriteErrorsTotal);
            expected = node.Stores.Select(Contents.Of).ToArray();
            lastSeq = node.Shards.Select(sj => sj!.LastSequenceNr).ToArray();
        }
        var (stores, recovered) = TestNode.RecoverAll(options, clock);
        for (int s = 0; s < Shards; s++)
        {
            Contents.Equal(expected[s], Contents.Of(stores[s]), $"shard {s} after writing on top of the sample");
            Assert.Equal(lastSeq[s], recovered[s].LastSequenceNr);
            Assert.Equal(1, recovered[s].Epoch);
            int h = stores[s].Find(T.B("new" + s), touch: false);
            Assert.True(h >= 0);
            Assert.Equal(NextCas[s], stores[s].CasOf(h));               // the CAS series goes on where the sample left it
        }
    }
}
