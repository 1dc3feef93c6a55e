using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using CacheCluster.Actors.Shards;
using CacheCluster.Cluster.Links;
using CacheCluster.Cluster.Wire;
using CacheCluster.Core;

namespace CacheCluster.Cluster.Node;

/// <summary>
/// The node at the other end of a link, as a place to send shard commands: each forwarded slice
/// becomes one Request frame; its Response fills the slice's replies. If the link goes, what is
/// still pending is answered TRYAGAIN (the client may retry; the route will have changed).
/// </summary>
public sealed class Peer : IShardForwarder
{
    /// <summary>A batch forwarded more often than this is looping between disagreeing nodes.</summary>
    public const int MaxHops = 3;

    // SentAt is a Stopwatch timestamp: it times the round trip for /metrics and the request timeout.
    readonly ConcurrentDictionary<long, (ShardWork Work, long SentAt)> _pending = new();
    long _nextRequest;

    [ThreadStatic] static WireWriter? t_writer;

    // The host's /metrics listens to this meter; a Record costs nothing without a listener.
    static readonly Meter s_meter = new("CacheCluster.Cluster");
    static readonly Histogram<double> s_roundTrip = s_meter.CreateHistogram<double>("cachecluster.cluster.link.request.duration", "s",
        "Round trips of requests forwarded over node links, send to response");

    public Peer(NodeLink link)
    {
        Link = link;
        Route = new RemoteShardRoute(this);
    }

    public NodeLink Link { get; }
    public string NodeId => Link.Peer.NodeId;
    public long Incarnation => Link.Peer.Incarnation;
    public bool IsOpen => Link.IsOpen;
    /// <summary>The one route object for shards owned by this peer (routes compare by reference).</summary>
    public RemoteShardRoute Route { get; }
    public int Pending => _pending.Count;

    public void Forward(ShardWork work, int shard)
    {
        var batch = work.Batch;
        if (batch.Hops >= MaxHops)
        {
            ShardRegion.Answer(work, Reply.Fail(ErrorCode.TryAgain));
            return;
        }
        long id = Interlocked.Increment(ref _nextRequest);
        var w = t_writer ??= new WireWriter(1024);
        w.Reset();
        w.WriteUInt64((ulong)id);
        w.WriteInt32(shard);
        w.WriteByte((byte)(batch.Hops + 1));
        w.WriteInt32(work.Count);
        try
        {
            for (int i = 0; i < work.Count; i++) CommandWire.Write(w, in batch.Commands[work.Indices[i]]);
        }
        catch (NotSupportedException)
        {
            ShardRegion.Answer(work, Reply.Fail(ErrorCode.Internal));
            return;
        }
        _pending[id] = (work, Stopwatch.GetTimestamp());
        Link.Send(FrameType.Request, w);
        if (w.Length > 1 << 20) t_writer = null;   // do not keep a huge buffer per thread
        if (!Link.IsOpen && _pending.TryRemove(id, out _)) ShardRegion.Answer(work, Reply.Fail(ErrorCode.TryAgain));
    }

    /// <summary>A Response frame: [u64 request][i32 count] replies.</summary>
    public void OnResponse(ReadOnlyMemory<byte> payload)
    {
        var r = new WireReader(payload);
        long id = (long)r.ReadUInt64();
        if (!_pending.TryRemove(id, out var p)) return;     // timed out already
        s_roundTrip.Record(Stopwatch.GetElapsedTime(p.SentAt).TotalSeconds);
        var work = p.Work;
        var replies = work.Batch.Replies;
        try
        {
            int n = r.ReadInt32();
            if (n != work.Count) throw new WireFormatException($"response has {n} replies for {work.Count} commands");
            for (int i = 0; i < n; i++) CommandWire.Read(ref r, ref replies[work.Indices[i]]);
        }
        catch (Exception ex) when (ex is WireFormatException or NotSupportedException)
        {
            for (int i = 0; i < work.Count; i++) replies[work.Indices[i]] = Reply.Fail(ErrorCode.Internal);
            Link.Close("bad response: " + ex.Message);
        }
        work.Batch.PartDone();
    }

    /// <summary>Answers everything pending TRYAGAIN (the link closed).</summary>
    public void FailPending()
    {
        foreach (var id in _pending.Keys)
            if (_pending.TryRemove(id, out var p)) ShardRegion.Answer(p.Work, Reply.Fail(ErrorCode.TryAgain));
    }

    /// <summary>Answers TRYAGAIN what waited longer than <paramref name="timeoutMs"/> (a stalled peer).</summary>
    public void ExpirePending(long timeoutMs)
    {
        long now = Stopwatch.GetTimestamp();
        long timeoutTicks = timeoutMs * Stopwatch.Frequency / 1000;
        foreach (var (id, p) in _pending)
            if (now - p.SentAt > timeoutTicks && _pending.TryRemove(id, out _)) ShardRegion.Answer(p.Work, Reply.Fail(ErrorCode.TryAgain));
    }
}
