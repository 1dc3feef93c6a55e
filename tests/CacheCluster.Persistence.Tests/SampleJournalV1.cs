using CacheCluster.Core;
using CacheCluster.Storage;

namespace CacheCluster.Persistence.Tests;

/// <summary>
/// Writes Samples/journal-v1.db: a small data directory of format version 1, made by a fixed
/// script on a fixed clock. Run only by hand, through <see cref="Program"/> (see
/// Samples/README.md); the compatibility tests read the checked-in file and never call this.
/// What the script leaves behind is spelled out in <see cref="CompatibilityTests"/>.
/// </summary>
public static class SampleJournalV1
{
    public const int Shards = 4;
    public const int SnapshotEvents = 20;
    public const long StartMs = 1_700_000_000_000;   // 2023-11-14T22:13:20Z
    public const string NodeId = "sample-node";

    public static string Generate(string dataDir)
    {
        Directory.CreateDirectory(dataDir);
        if (Directory.EnumerateFileSystemEntries(dataDir).Any()) throw new InvalidOperationException($"{dataDir} is not empty");
        var clock = new ManualClock(StartMs);
        var options = new NodeJournalOptions
        {
            DataDir = dataDir, Shards = Shards, NodeId = NodeId, Durability = Durability.Always, SnapshotEvents = SnapshotEvents,
        };
        var log = new ListLogger();
        var journal = NodeJournal.Open(options, log);
        var stores = new CacheStore[Shards];
        var shards = new Journal.ShardJournal[Shards];
        for (int i = 0; i < Shards; i++)
        {
            stores[i] = T.NewShardStore(clock, i, Shards);
            shards[i] = journal.Attach(i, stores[i], journal.Recover(i, stores[i]))!;
        }

        void Submit(int shard)
        {
            shards[shard].Submit(null);
            clock.Advance(1);
        }

        // shard 0 (CAS 1, 5, 9, ...): a snapshot at event 21, six events after it
        var s0 = stores[0];
        s0.Set(T.B("alpha"), T.B("first"), 0, 0); Submit(0);                                   // events 1 (epoch), 2
        s0.Set(T.B("beta"), T.B("second"), 42, 0); Submit(0);                                  // 3
        s0.Set(T.B("gamma"), [], 7, 0); Submit(0);                                             // 4
        s0.Set(T.B("delta"), T.B("to be replaced"), 0, 0); Submit(0);                          // 5
        s0.Set(T.B("epsilon"), T.B("short-lived"), 1, StartMs + 60_000); Submit(0);            // 6
        for (int n = 1; n <= 15; n++) { s0.Set(T.B("counter"), T.B(n.ToString()), 0, 0); Submit(0); } // 7..21: snapshot
        s0.ReplaceValue(s0.Find(T.B("delta")), T.B("replaced")); Submit(0);                   // 22
        s0.Set(T.B("zeta"), T.B("lives until 2100"), 2100, T.Year2100); Submit(0);             // 23
        s0.Delete(T.B("beta")); Submit(0);                                                     // 24
        s0.SetFlags(s0.Find(T.B("alpha")), 0xDEADBEEF); Submit(0);                             // 25
        s0.BumpCas(s0.Find(T.B("gamma"))); Submit(0);                                          // 26
        s0.Set(T.B("counter"), T.B("16"), 0, 0); Submit(0);                                    // 27

        // shard 1 (CAS 2, 6, 10, ...): events only, with a flush
        var s1 = stores[1];
        s1.Set(T.B("before-flush-1"), T.B("gone"), 0, 0);
        s1.Set(T.B("before-flush-2"), T.B("gone too"), 5, 0); Submit(1);                       // 1 (epoch), 2, 3
        s1.Clear(); Submit(1);                                                                 // 4
        s1.Set(T.B("after-flush"), T.B("kept"), 11, 0);
        s1.Set(BinaryKey, AllBytes, uint.MaxValue, 0); Submit(1);                              // 5, 6
        int h = s1.Set(T.B("ttl-then-persist"), T.B("v"), 0, StartMs + 1000);
        s1.SetExpiry(h, 0); Submit(1);                                                         // 7, 8
        h = s1.Set(T.B("ttl-extended"), T.B("w"), 0, StartMs + 1000);
        s1.SetExpiry(h, T.Year2100); Submit(1);                                                // 9, 10
        s1.Set(T.B("dropped-ttl"), T.B("x"), 0, StartMs + 5000); Submit(1);                    // 11

        // shard 2 (CAS 3, 7, 11, ...): an empty key, a 10 000-byte value, a removal
        var s2 = stores[2];
        s2.Set([], T.B("empty key"), 0, 0); Submit(2);                                         // 1 (epoch), 2
        s2.Set(T.B("big"), BigValue, 77, T.Year2100); Submit(2);                               // 3
        s2.Set(T.B("temp"), T.B("t"), 0, 0);
        s2.Remove(s2.Find(T.B("temp"))); Submit(2);                                            // 4, 5

        // shard 3: never written (its epoch event is never submitted)
        journal.Flush(TimeSpan.FromSeconds(30));
        var stats = journal.Stats;
        journal.Dispose();
        if (stats.WriteErrorsTotal != 0 || stats.EventsWrittenTotal != 27 + 11 + 5)
            throw new InvalidOperationException($"the sample was not written as scripted ({stats.EventsWrittenTotal} events written, "
                + $"{stats.WriteErrorsTotal} errors): {string.Join(" | ", log.Entries.Select(e => e.Message))}");
        return Path.Combine(dataDir, "cachecluster.db");
    }

    public static readonly byte[] BinaryKey = [0x00, 0xFF, 0x10, 0x80];
    public static readonly byte[] AllBytes = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();
    public static readonly byte[] BigValue = Enumerable.Range(0, 10_000).Select(i => (byte)(i * 31 + 7)).ToArray();
}
