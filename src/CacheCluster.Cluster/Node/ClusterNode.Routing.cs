using CacheCluster.Actors.Shards;
using CacheCluster.Cluster.Membership;
using Microsoft.Extensions.Logging;

namespace CacheCluster.Cluster.Node;

/// <summary>
/// Turns the shard table into routes: a shard the table gives this node is served here (activated
/// with local state only when its epoch is current), a shard of a reachable linked peer goes over
/// its link, anything else waits (parked) — or is refused while this node is fenced.
/// </summary>
public sealed partial class ClusterNode
{
    readonly HashSet<int> _activating = new();     // incoming hand-offs being committed

    void UpdateRoutes()
    {
        var unreachable = _state.Unreachable();
        for (int s = 0; s < _options.ShardCount; s++)
        {
            if (_outgoing.ContainsKey(s) || _activating.Contains(s)) continue;     // the hand-off steers these
            ShardRoute route = _mode switch
            {
                Mode.Fenced => RefusedShardRoute.ClusterDown,
                Mode.Joining => ParkedShardRoute.Instance,
                _ => RouteFor(s, unreachable),
            };
            if (!ReferenceEquals(_region.Route(s), route)) _region.SetRoute(s, route);
        }
    }

    ShardRoute RouteFor(int s, IReadOnlySet<string> unreachable)
    {
        var owner = _state.Owner(s);
        if (owner is not { } o) return ParkedShardRoute.Instance;
        if (o.NodeId == _self.NodeId)
        {
            if (_region.IsLocal(s))
            {
                if (_region.LocalEpoch(s) == o.Epoch) return _region.Route(s) is LocalShardRoute l ? l : LocalRouteOf(s);
                if (_region.LocalEpoch(s) > o.Epoch) return _region.Route(s);     // our newer epoch is still spreading
                _region.Release(s, ParkedShardRoute.Instance);                    // the cluster moved on without us
                return ParkedShardRoute.Instance;
            }
            if (!_region.CanActivate(s)) return ParkedShardRoute.Instance;
            bool kept = _region.Activate(s, o.Epoch, o.Fresh);
            if (!kept && _region.CandidateEpoch(s) == 0 && o.Fresh)
                _log.LogDebug("cluster: shard {Shard} starts empty at epoch {Epoch}", s, o.Epoch);
            _dirty = true;
            return _region.Route(s);
        }
        // another node owns it
        if (_region.IsLocal(s) && _region.LocalEpoch(s) <= o.Epoch)
        {
            _log.LogInformation("cluster: shard {Shard} belongs to {Owner} at epoch {Epoch}; dropping the local copy (epoch {Local})",
                s, o.NodeId, o.Epoch, _region.LocalEpoch(s));
            _region.Release(s, ParkedShardRoute.Instance);
            _dirty = true;
        }
        if (_region.CandidateEpoch(s) is > 0 and var c && c <= o.Epoch) _region.DropCandidate(s);
        var m = _state.Get(o.NodeId);
        if (m is not { IsAlive: true } || unreachable.Contains(o.NodeId)) return ParkedShardRoute.Instance;
        if (_peers.TryGetValue(o.NodeId, out var peer) && peer.IsOpen && peer.Incarnation == m.Incarnation) return peer.Route;
        return ParkedShardRoute.Instance;
    }

    ShardRoute LocalRouteOf(int s)
    {
        _region.ServeLocally(s);
        return _region.Route(s);
    }
}
