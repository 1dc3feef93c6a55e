namespace CacheCluster.Persistence.Journal;

/// <summary>Counters of the journal writer, read racily by INFO and the admin endpoints.</summary>
public sealed class JournalStats
{
    internal long EventsSubmitted;
    internal long EventsWritten;
    internal long EventsDropped;        // refused or failed (durability always): never stored
    internal long Commits;
    internal long LastCommitUnixMs;
    internal long WriteErrors;
    internal long SnapshotsTaken;
    internal int LastWriteFailed;
    internal string? LastError;

    public long EventsWrittenTotal => Interlocked.Read(ref EventsWritten);
    public long CommitsTotal => Interlocked.Read(ref Commits);
    public long EventsPending => Math.Max(0, Interlocked.Read(ref EventsSubmitted) - Interlocked.Read(ref EventsWritten) - Interlocked.Read(ref EventsDropped));
    public long EventsDroppedTotal => Interlocked.Read(ref EventsDropped);
    public long LastCommitAtUnixMs => Interlocked.Read(ref LastCommitUnixMs);
    public long WriteErrorsTotal => Interlocked.Read(ref WriteErrors);
    public long SnapshotsTotal => Interlocked.Read(ref SnapshotsTaken);
    public bool LastWriteOk => Volatile.Read(ref LastWriteFailed) == 0;
    public string? LastErrorMessage => Volatile.Read(ref LastError);
}
