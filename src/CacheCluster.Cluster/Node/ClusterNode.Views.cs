using CacheCluster.Cluster.Membership;

namespace CacheCluster.Cluster.Node;

/// <summary>The snapshot the admin endpoint and INFO read (built on the cluster thread).</summary>
public sealed partial class ClusterNode
{
    ClusterView BuildView()
    {
        var unreachable = _state.Unreachable();
        var owned = new Dictionary<string, List<int>>();
        long maxEpoch = 0;
        bool orphan = false;
        var desired = ClusterDecisions.DesiredOwners(_state);
        int moves = 0;
        for (int s = 0; s < _state.ShardCount; s++)
        {
            if (_state.Owner(s) is not { } o)
            {
                orphan = true;
                continue;
            }
            maxEpoch = Math.Max(maxEpoch, o.Epoch);
            if (desired[s] != null && desired[s] != o.NodeId) moves++;
            if (_state.Get(o.NodeId) is not { IsAlive: true }) orphan = true;
            if (!owned.TryGetValue(o.NodeId, out var list)) owned[o.NodeId] = list = new List<int>();
            list.Add(s);
        }
        var members = _state.Members
            .Select(m => new MemberView(m.NodeId, m.Address, m.Status, m.Incarnation, m.NodeId == _self.NodeId || !unreachable.Contains(m.NodeId),
                m.IsAlive && owned.TryGetValue(m.NodeId, out var l) ? l : []))
            .ToList();
        string state = _mode switch
        {
            Mode.Joining => "joining",
            Mode.Member => "ok",
            Mode.Leaving => "leaving",
            Mode.Fenced => "fenced",
            _ => "exited",
        };
        string reason = "";
        var me = _state.Get(_self.NodeId);
        if (_mode != Mode.Member) reason = "cluster state " + state;
        else if (me?.Status != MemberStatus.Up) reason = "this node is " + (me?.Status.ToString().ToLowerInvariant() ?? "unknown") + ", not up yet";
        else if (orphan) reason = "some shards have no live owner yet";
        else if (owned.TryGetValue(_self.NodeId, out var mine) && mine.Any(s => !_region.IsLocal(s) || _activating.Contains(s)))
            reason = "taking over its shards";
        else
        {
            // a node that just joined is ready once it holds its share: the shards placed on it that an
            // Up member still serves (those of a leaving member do not hold readiness back)
            int waiting = 0;
            for (int s = 0; s < _state.ShardCount; s++)
                if (desired[s] == _self.NodeId && _state.Owner(s) is { } o && o.NodeId != _self.NodeId
                    && _state.Get(o.NodeId) is { Status: MemberStatus.Up }) waiting++;
            if (waiting > 0) reason = $"receiving its shards ({waiting} still to come)";
        }
        return new ClusterView(_self.NodeId, _mode is Mode.Member or Mode.Leaving ? ClusterDecisions.Leader(_state) : null, state,
            _state.ShardCount, members, _region.LocalShardCount, _outgoing.Count + _incoming.Count, HandoffsDone, maxEpoch,
            reason.Length == 0, reason, moves);
    }
}
