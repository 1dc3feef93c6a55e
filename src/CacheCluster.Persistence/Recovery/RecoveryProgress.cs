namespace CacheCluster.Persistence.Recovery;

/// <summary>How far start-up recovery is, for INFO persistence, /readyz and the log (read racily).</summary>
public sealed class RecoveryProgress
{
    long _shardsDone, _events, _keys, _startedAt, _finishedAt;
    volatile bool _loading = true;

    public int ShardsTotal { get; internal set; }
    public bool Loading => _loading;
    public long ShardsDone => Interlocked.Read(ref _shardsDone);
    public long EventsReplayed => Interlocked.Read(ref _events);
    public long KeysLoaded => Interlocked.Read(ref _keys);
    public long StartedAtUnixMs => Interlocked.Read(ref _startedAt);
    public long ElapsedMs => (_loading ? Environment.TickCount64 : Interlocked.Read(ref _finishedAt)) - _startTick;

    long _startTick = Environment.TickCount64;

    public void Start(int shards)
    {
        ShardsTotal = shards;
        _startTick = Environment.TickCount64;
        Interlocked.Exchange(ref _startedAt, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
    }

    public void AddEvents(long n) => Interlocked.Add(ref _events, n);
    public void AddSnapshotRecords(long n) => Interlocked.Add(ref _snapshotRecords, n);
    public long SnapshotRecordsLoaded => Interlocked.Read(ref _snapshotRecords);
    long _snapshotRecords;

    public void ShardDone(long keys)
    {
        Interlocked.Add(ref _keys, keys);
        Interlocked.Increment(ref _shardsDone);
    }

    public void Finish()
    {
        Interlocked.Exchange(ref _finishedAt, Environment.TickCount64);
        _loading = false;
    }
}
