using System.Collections.Concurrent;
using CacheCluster.Actors.Shards;
using CacheCluster.Cluster.Handoff;
using CacheCluster.Cluster.Membership;
using CacheCluster.Cluster.Wire;
using Microsoft.Extensions.Logging;

namespace CacheCluster.Cluster.Node;

/// <summary>
/// Moving shards to their desired owners with their data (README: Hand-off). The old owner
/// drives; the new owner rebuilds, persists at epoch + 1, serves, then says Done.
/// </summary>
public sealed partial class ClusterNode
{
    readonly Dictionary<int, OutgoingHandoff> _outgoing = new();
    readonly ConcurrentDictionary<(string Peer, long Id), IncomingHandoff> _incoming = new();
    long _nextHandoffId;
    long _handoffsDone;

    public long HandoffsDone => Interlocked.Read(ref _handoffsDone);

    void StartHandoffs(long now)
    {
        if (_mode is not (Mode.Member or Mode.Leaving)) return;
        int limit = _options.MaxConcurrentHandoffs * (_mode == Mode.Leaving ? 2 : 1);
        if (_outgoing.Count >= limit) return;
        if (!ClusterDecisions.Converged(_state, _self.NodeId, _seen)) return;    // move shards only on a settled view
        var desired = ClusterDecisions.DesiredOwners(_state);
        var unreachable = _state.Unreachable();
        for (int s = 0; s < desired.Length && _outgoing.Count < limit; s++)
        {
            var target = desired[s];
            if (target == null || target == _self.NodeId || _outgoing.ContainsKey(s)) continue;
            if (_retryAfter.TryGetValue(s, out long after) && now < after) continue;
            if (_state.Owner(s) is not { } o || o.NodeId != _self.NodeId || _region.LocalEpoch(s) != o.Epoch) continue;
            if (unreachable.Contains(target) || !_peers.TryGetValue(target, out var peer) || !peer.IsOpen) continue;
            if (_state.Get(target) is not { Status: MemberStatus.Up } m || m.Incarnation != peer.Incarnation) continue;
            _log.LogInformation("cluster: handing shard {Shard} (epoch {Epoch}) to {Peer}", s, o.Epoch, target);
            var h = new OutgoingHandoff(++_nextHandoffId, s, o.Epoch, peer, sent => Post(() => OnSnapshotSent(sent)));
            _outgoing[s] = h;
            h.Begin();
            _region.BeginHandoff(s, h);
            _dirty = true;
        }
    }

    void OnSnapshotSent(OutgoingHandoff h)
    {
        if (!_outgoing.TryGetValue(h.Shard, out var cur) || cur != h) return;
        h.Current = OutgoingHandoff.Stage.Sealing;
        _region.SealHandoff(h.Shard);     // park new commands; the actor hands over the tail
    }

    /// <summary>Done / Abort from the new owner (on the link's thread).</summary>
    void OnHandoffReply(Peer peer, FrameType type, ReadOnlyMemory<byte> payload)
    {
        var r = new WireReader(payload);
        long id = r.ReadInt64();
        if (type == FrameType.HandoffDone)
        {
            long epoch = r.ReadInt64();
            Post(() => CompleteOutgoing(peer, id, epoch));
        }
        else
        {
            string reason = r.ReadString() ?? "";
            Post(() =>
            {
                var h = _outgoing.Values.FirstOrDefault(x => x.Id == id && x.Target == peer);
                if (h != null) AbortOutgoing(h, "refused by the new owner: " + reason);
            });
        }
    }

    void CompleteOutgoing(Peer peer, long id, long epoch)
    {
        var h = _outgoing.Values.FirstOrDefault(x => x.Id == id && x.Target == peer);
        if (h == null) return;
        _state.SetOwner(h.Shard, new ShardOwner(epoch, peer.NodeId, false));
        _outgoing.Remove(h.Shard);
        _region.Release(h.Shard, peer.Route);     // what waited goes to the new owner
        Interlocked.Increment(ref _handoffsDone);
        _dirty = true;
        _log.LogInformation("cluster: shard {Shard} handed off to {Peer} at epoch {Epoch}: {Entries} entries, {KB} KB in {Ms} ms",
            h.Shard, peer.NodeId, epoch, h.Entries, Interlocked.Read(ref h.Bytes) / 1024, Environment.TickCount64 - h.StartedAt);
    }

    readonly Dictionary<int, long> _retryAfter = new();

    void AbortOutgoing(OutgoingHandoff h, string why)
    {
        _outgoing.Remove(h.Shard);
        _retryAfter[h.Shard] = Environment.TickCount64 + 2000;
        _region.AbortHandoff(h.Shard);
        _dirty = true;
        _log.LogWarning("cluster: hand-off of shard {Shard} to {Peer} abandoned: {Why}", h.Shard, h.Target.NodeId, why);
    }

    /// <summary>
    /// A hand-off whose link broke: before its end was sent, the shard simply stays here; after,
    /// the new owner may already serve it, so wait for the table (gossip) or for it to be downed.
    /// </summary>
    void ResolveHandoffs(long now)
    {
        foreach (var h in _outgoing.Values.ToList())
        {
            if (h.Target.IsOpen) continue;
            if (h.Current != OutgoingHandoff.Stage.EndSent)
            {
                AbortOutgoing(h, "the link closed");
                continue;
            }
            var owner = _state.Owner(h.Shard);
            if (owner is { } o && o.Epoch > h.Epoch)
            {
                _outgoing.Remove(h.Shard);
                _region.Release(h.Shard, _peers.TryGetValue(o.NodeId, out var p) ? p.Route : ParkedShardRoute.Instance);
                _dirty = true;
                _log.LogInformation("cluster: shard {Shard}: the new owner {Owner} took over (epoch {Epoch}) though its answer was lost", h.Shard, o.NodeId, o.Epoch);
            }
            else if (_state.Get(h.Target.NodeId) is not { IsAlive: true } || _state.Get(h.Target.NodeId)?.Incarnation != h.Target.Incarnation)
                AbortOutgoing(h, "the new owner is gone before taking over");
            else if (h.LinkLostAt == 0) h.LinkLostAt = now;
            else if (now - h.LinkLostAt > 5000 && _peers.TryGetValue(h.Target.NodeId, out var again) && again.IsOpen
                     && _seen.TryGetValue(h.Target.NodeId, out var digest) && digest == _state.Digest)
                // linked again and the new owner's state equals ours, which still says epoch e: it never took over
                AbortOutgoing(h, "the new owner did not take over before the link broke");
        }
    }

    // ---------------------------------------------------------------- new owner

    void OnIncomingHandoffFrame(Peer peer, FrameType type, ReadOnlyMemory<byte> payload)
    {
        var r = new WireReader(payload);
        long id = r.ReadInt64();
        var key = (peer.NodeId, id);
        switch (type)
        {
            case FrameType.HandoffBegin:
            {
                int shard = r.ReadInt32();
                long epoch = r.ReadInt64();
                if (shard < 0 || shard >= _options.ShardCount) throw new WireFormatException($"shard {shard} out of range");
                _incoming[key] = new IncomingHandoff(id, shard, epoch, peer, _region.NewStore(shard));
                _log.LogDebug("cluster: receiving shard {Shard} from {Peer}", shard, peer.NodeId);
                break;
            }
            case FrameType.HandoffChunk:
                if (_incoming.TryGetValue(key, out var h)) h.Apply(r.ReadRaw(r.Remaining).Span);
                break;
            case FrameType.HandoffEnd:
            {
                long newEpoch = r.ReadInt64();
                if (!_incoming.TryRemove(key, out var done)) break;
                done.Apply(r.ReadRaw(r.Remaining).Span);
                done.Finish();
                Post(() => TakeOver(done, newEpoch));
                break;
            }
        }
    }

    void TakeOver(IncomingHandoff h, long newEpoch)
    {
        int s = h.Shard;
        var owner = _state.Owner(s);
        string? refuse = null;
        if (_mode is not (Mode.Member or Mode.Leaving)) refuse = "not a member";
        else if (owner is { } o && o.Epoch >= newEpoch) refuse = $"shard {s} is already at epoch {o.Epoch}";
        else if (_region.IsLocal(s) && _region.LocalEpoch(s) is var stale && stale < newEpoch)
        {
            _region.Release(s, ParkedShardRoute.Instance);   // a stale copy from an older epoch: the incoming state replaces it
            refuse = $"shard {s} had a stale local copy (epoch {stale}); dropped it, retry";
        }
        else if (_region.IsLocal(s) || !_region.CanActivate(s)) refuse = $"shard {s} is still served here";
        if (refuse != null)
        {
            var w = new WireWriter(64);
            w.WriteInt64(h.Id);
            w.WriteString(refuse);
            h.From.Link.Send(FrameType.HandoffAbort, w);
            return;
        }
        _activating.Add(s);
        _region.ActivateFromHandoff(s, h.Store, newEpoch, () => Post(() =>
        {
            _activating.Remove(s);
            _state.SetOwner(s, new ShardOwner(newEpoch, _self.NodeId, false));
            _region.ServeLocally(s);
            var w = new WireWriter(32);
            w.WriteInt64(h.Id);
            w.WriteInt64(newEpoch);
            h.From.Link.Send(FrameType.HandoffDone, w);
            _dirty = true;
            _log.LogInformation("cluster: took over shard {Shard} from {Peer} at epoch {Epoch}: {Keys} keys ({Ms} ms)",
                s, h.From.NodeId, newEpoch, h.Store.Count, Environment.TickCount64 - h.StartedAt);
        }));
    }
}
