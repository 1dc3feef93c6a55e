using CacheCluster.Actors.Shards;
using CacheCluster.Cluster.Node;
using CacheCluster.Cluster.Wire;

namespace CacheCluster.Cluster.Handoff;

/// <summary>
/// Old owner's side of moving one shard: the shard actor streams its snapshot and, once sealed,
/// the tail straight onto the link (these callbacks run on the shard's thread); the cluster
/// thread drives the stages.
/// </summary>
public sealed class OutgoingHandoff(long id, int shard, long epoch, Peer target, Action<OutgoingHandoff> snapshotSent) : IHandoffSink
{
    public enum Stage : byte { Streaming, Sealing, EndSent }

    public long Id { get; } = id;
    public int Shard { get; } = shard;
    public long Epoch { get; } = epoch;
    public Peer Target { get; } = target;
    public long StartedAt { get; } = Environment.TickCount64;
    public volatile Stage Current;
    public long Entries { get; private set; }
    public long Bytes;
    /// <summary>When the link broke after the end was sent (0 = it did not).</summary>
    public long LinkLostAt;

    public void Begin()
    {
        var w = new WireWriter(32);
        w.WriteInt64(Id);
        w.WriteInt32(Shard);
        w.WriteInt64(Epoch);
        Target.Link.Send(FrameType.HandoffBegin, w);
    }

    public void SnapshotChunk(ReadOnlySpan<byte> records) => SendRecords(FrameType.HandoffChunk, records, 0);

    public void SnapshotDone(long entries)
    {
        Entries = entries;
        snapshotSent(this);
    }

    public void Sealed(ReadOnlySpan<byte> tail)
    {
        SendRecords(FrameType.HandoffEnd, tail, Epoch + 1);
        Current = Stage.EndSent;
    }

    void SendRecords(FrameType type, ReadOnlySpan<byte> records, long newEpoch)
    {
        var w = new WireWriter(records.Length + 32);
        w.WriteInt64(Id);
        if (type == FrameType.HandoffEnd) w.WriteInt64(newEpoch);
        w.WriteRaw(records);
        Interlocked.Add(ref Bytes, records.Length);
        Target.Link.Send(type, w);
    }
}
