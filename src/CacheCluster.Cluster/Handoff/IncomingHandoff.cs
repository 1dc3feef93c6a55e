using CacheCluster.Cluster.Node;
using CacheCluster.Persistence.Events;
using CacheCluster.Storage;

namespace CacheCluster.Cluster.Handoff;

/// <summary>
/// New owner's side of moving one shard: a fresh store rebuilt from the snapshot records and the
/// tail, exactly as recovery replays a journal. Fed on the link's reader thread.
/// </summary>
public sealed class IncomingHandoff(long id, int shard, long epoch, Peer from, CacheStore store)
{
    readonly EventApplier _applier = new(store);

    public long Id { get; } = id;
    public int Shard { get; } = shard;
    /// <summary>The epoch the shard had at its old owner.</summary>
    public long Epoch { get; } = epoch;
    public Peer From { get; } = from;
    public CacheStore Store { get; } = store;
    public long StartedAt { get; } = Environment.TickCount64;

    public void Apply(ReadOnlySpan<byte> records) => _applier.ApplyRecords(records);

    /// <summary>After the tail: expired entries go, the memory budget applies.</summary>
    public void Finish() => _applier.Finish();
}
