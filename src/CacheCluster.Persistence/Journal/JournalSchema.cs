namespace CacheCluster.Persistence.Journal;

/// <summary>
/// The tables, after Akka.Persistence.Sql's journal: events per persistence id (the shard, as
/// "shard-N") with a global ordering, snapshots split into chunks, and node metadata.
/// One difference: a journal row holds a run of consecutive events of its shard (what the shard
/// submitted within one commit; payload = length-prefixed event records, sequence_nr = the first
/// event's number), so the per-row B-tree costs are paid once per shard per commit, not per write.
/// <see cref="Version"/> is recorded in metadata so a later version can migrate.
/// </summary>
internal static class JournalSchema
{
    public const int Version = 1;
    public const string FileName = "cachecluster.db";

    public const string Create = """
        CREATE TABLE IF NOT EXISTS journal(
            ordering       INTEGER PRIMARY KEY,
            persistence_id TEXT    NOT NULL,
            sequence_nr    INTEGER NOT NULL,
            manifest       TEXT    NOT NULL,
            payload        BLOB    NOT NULL,
            timestamp      INTEGER NOT NULL,
            UNIQUE(persistence_id, sequence_nr));
        CREATE TABLE IF NOT EXISTS snapshot(
            persistence_id TEXT    NOT NULL,
            sequence_nr    INTEGER NOT NULL,
            chunk          INTEGER NOT NULL,
            payload        BLOB    NOT NULL,
            timestamp      INTEGER NOT NULL,
            PRIMARY KEY(persistence_id, sequence_nr, chunk));
        CREATE TABLE IF NOT EXISTS metadata(
            key   TEXT PRIMARY KEY,
            value TEXT NOT NULL);
        """;

    public const string InsertEvent =
        "INSERT INTO journal(persistence_id, sequence_nr, manifest, payload, timestamp) VALUES(?1, ?2, ?3, ?4, ?5)";
    public const string InsertSnapshotChunk =
        "INSERT OR REPLACE INTO snapshot(persistence_id, sequence_nr, chunk, payload, timestamp) VALUES(?1, ?2, ?3, ?4, ?5)";
    public const string DeleteEventsUpTo = "DELETE FROM journal WHERE persistence_id = ?1 AND sequence_nr <= ?2";
    public const string DeleteSnapshotsBefore = "DELETE FROM snapshot WHERE persistence_id = ?1 AND sequence_nr < ?2";
    public const string LatestSnapshot = "SELECT MAX(sequence_nr) FROM snapshot WHERE persistence_id = ?1";
    public const string SnapshotChunks = "SELECT chunk, payload FROM snapshot WHERE persistence_id = ?1 AND sequence_nr = ?2 ORDER BY chunk";
    public const string EventsAfter = "SELECT sequence_nr, payload FROM journal WHERE persistence_id = ?1 AND sequence_nr > ?2 ORDER BY sequence_nr";

    public static string PersistenceId(int shard) => "shard-" + shard.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
