using System.Text;
using CacheCluster.Persistence;

namespace CacheCluster.Server.Resp;

/// <summary>INFO persistence: recovery progress while loading, then the journal's counters.</summary>
public static class PersistenceInfo
{
    public static void Append(StringBuilder s, NodeJournal journal)
    {
        var p = journal.Progress;
        var j = journal.Stats;
        bool loading = p.Loading;
        Line(s, "loading", loading ? 1 : 0);
        Line(s, "async_loading", 0);
        if (loading)
        {
            Line(s, "loading_start_time", p.StartedAtUnixMs / 1000);
            Line(s, "loading_shards_done", p.ShardsDone);
            Line(s, "loading_shards_total", p.ShardsTotal);
            Line(s, "loading_loaded_keys", p.KeysLoaded);
            Line(s, "loading_events_replayed", p.EventsReplayed);
        }
        s.Append("durability:").Append(Durabilities.Name(journal.Durability)).Append("\r\n");
        Line(s, "aof_enabled", journal.Durability == Durability.Off ? 0 : 1);
        s.Append("aof_last_write_status:").Append(j.LastWriteOk ? "ok" : "err").Append("\r\n");
        s.Append("journal_file:").Append(journal.Path).Append("\r\n");
        Line(s, "journal_size_bytes", journal.Database.SizeBytes);
        Line(s, "journal_events_written", j.EventsWrittenTotal);
        Line(s, "journal_commits", j.CommitsTotal);
        Line(s, "journal_events_pending", j.EventsPending);
        Line(s, "journal_last_commit_time", j.LastCommitAtUnixMs / 1000);
        s.Append("journal_last_write_status:").Append(j.LastWriteOk ? "ok" : "err").Append("\r\n");
        Line(s, "journal_write_errors", j.WriteErrorsTotal);
        Line(s, "journal_events_not_stored", j.EventsDroppedTotal);
        Line(s, "snapshots_taken", j.SnapshotsTotal);
        Line(s, "recovered_keys", p.KeysLoaded);
        Line(s, "recovered_events", p.EventsReplayed);
        Line(s, "recovery_ms", p.ElapsedMs);
    }

    static void Line(StringBuilder s, string name, long value) => s.Append(name).Append(':').Append(value).Append("\r\n");
}
