using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using CacheCluster.Actors.Shards;
using CacheCluster.Cluster.Wire;
using CacheCluster.Core;

namespace CacheCluster.Cluster.Node;

/// <summary>
/// Executes Request frames from peers through the local region (which may forward again) and
/// sends the Response on the same link. One pooled batch per request in flight.
/// </summary>
public sealed class InboundRequests(ShardRegion region)
{
    readonly ConcurrentBag<Inbound> _pool = new();
    int _inFlight;

    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>[u64 request][i32 shard][u8 hops][i32 count] commands.</summary>
    public void Handle(Peer from, ReadOnlyMemory<byte> payload)
    {
        var r = new WireReader(payload);
        ulong id = r.ReadUInt64();
        int shard = r.ReadInt32();
        int hops = r.ReadByte();
        int count = r.ReadInt32();
        if (shard < 0 || shard >= region.ShardCount) throw new WireFormatException($"shard {shard} out of range");
        if (count < 1 || count > 1_000_000) throw new WireFormatException($"absurd command count {count}");
        if (!_pool.TryTake(out var inbound)) inbound = new Inbound(this);
        var batch = inbound.Batch;
        batch.Clear();
        batch.Hops = hops;
        for (int i = 0; i < count; i++) CommandWire.Read(ref r, ref batch.Add(shard));
        r.ExpectEnd();
        inbound.Peer = from;
        inbound.RequestId = id;
        Interlocked.Increment(ref _inFlight);
        var pending = region.ExecuteAsync(batch, 0, count);
        if (pending.IsCompleted)
        {
            pending.GetAwaiter().GetResult();
            inbound.Reply();
        }
        else
        {
            inbound.Awaiter = pending.GetAwaiter();
            inbound.Awaiter.UnsafeOnCompleted(inbound.OnDone);
        }
    }

    sealed class Inbound
    {
        readonly InboundRequests _owner;
        public readonly CommandBatch Batch = new();
        public readonly WireWriter Writer = new(1024);
        public readonly Action OnDone;
        public Peer Peer = null!;
        public ulong RequestId;
        public ValueTaskAwaiter Awaiter;

        public Inbound(InboundRequests owner)
        {
            _owner = owner;
            OnDone = () =>
            {
                Awaiter.GetResult();
                Awaiter = default;
                Reply();
            };
        }

        public void Reply()
        {
            var w = Writer;
            w.Reset();
            w.WriteUInt64(RequestId);
            w.WriteInt32(Batch.Count);
            try
            {
                for (int i = 0; i < Batch.Count; i++) CommandWire.Write(w, in Batch.Replies[i]);
            }
            catch (NotSupportedException)
            {
                w.Reset();
                w.WriteUInt64(RequestId);
                w.WriteInt32(Batch.Count);
                var fail = Core.Reply.Fail(ErrorCode.Internal);
                for (int i = 0; i < Batch.Count; i++) CommandWire.Write(w, in fail);
            }
            Peer.Link.Send(FrameType.Response, w);
            Batch.Clear();
            Peer = null!;
            Interlocked.Decrement(ref _owner._inFlight);
            if (w.Length <= 1 << 20) _owner._pool.Add(this);   // let a huge one go rather than pool it
        }
    }
}
