using System.Net;
using CacheCluster.Cluster.Membership;
using CacheCluster.Cluster.Wire;
using Microsoft.Extensions.Logging;

namespace CacheCluster.Cluster.Node;

/// <summary>Joining, forming, gossip, reachability, downing (keep-majority) and the leader's moves.</summary>
public sealed partial class ClusterNode
{
    readonly Dictionary<string, long> _firstSeen = new();
    readonly HashSet<string> _selfSeeds = new();
    readonly Dictionary<string, string> _seedAnswers = new();   // seed address → "member" | "not-member"
    long _joinStartedAt, _nextJoinAttempt, _dnsBackoffMs;
    string _unreachableKey = "";
    long _unreachableSince;
    long _lastDownAt, _formedAt;
    bool _formedWithSeeds;
    bool _gossipAll;
    long _nextGossip;
    string? _lastLeader;

    // ---------------------------------------------------------------- joining

    void TryJoinOrForm(long now)
    {
        if (_mode != Mode.Joining || now < _nextJoinAttempt) return;
        _nextJoinAttempt = now + 1000;
        var seeds = ResolveSeeds();
        if (seeds.Count == 0 && _options.Discovery == Discovery.Static)
        {
            Form("no seeds");
            return;
        }
        if (seeds.Count == 0)
        {
            // dns: the service lists pods some seconds after they start; back off up to 5 s
            _dnsBackoffMs = Math.Min(Math.Max(_dnsBackoffMs * 2, 500), 5000);
            _nextJoinAttempt = now + _dnsBackoffMs;
            return;
        }
        _dnsBackoffMs = 0;
        foreach (var seed in seeds)
        {
            if (_selfSeeds.Contains(seed)) continue;
            Dial(seed, peer => SendJoin(peer, seed));
        }
        // The first seed (in sorted order) forms a new cluster when no other seed turned out to be in one.
        var others = seeds.Where(s => !_selfSeeds.Contains(s) && !IsSelfAddress(s)).ToList();
        bool firstSeed = seeds.Count > 0 && (IsSelfAddress(seeds.Min(StringComparer.Ordinal)!) || _selfSeeds.Contains(seeds.Min(StringComparer.Ordinal)!));
        bool anyMember = _seedAnswers.Values.Any(a => a == "member");
        bool allAnswered = others.All(s => _seedAnswers.ContainsKey(s));
        if (firstSeed && !anyMember && (others.Count == 0 || allAnswered || now - _joinStartedAt > _options.FormAfter.TotalMilliseconds))
            Form(others.Count == 0 ? "this node is the only seed" : "no other seed is in a cluster");
    }

    List<string> ResolveSeeds()
    {
        if (_options.Discovery == Discovery.Static) return _options.Seeds.ToList();
        try
        {
            var ips = _resolver.Resolve(_options.DnsName!);
            if (ips.Length == 0) _log.LogInformation("cluster: dns discovery: {Name} lists no address yet; retrying", _options.DnsName);
            return ips.Select(ip => new IPEndPoint(ip, _options.Port).ToString()).Distinct().ToList();
        }
        catch (Exception ex) when (ex is System.Net.Sockets.SocketException or ArgumentException)
        {
            _log.LogInformation("cluster: dns discovery: {Name} does not resolve yet ({Error}); retrying", _options.DnsName, ex.Message);
            return [];
        }
    }

    bool IsSelfAddress(string address)
    {
        if (address == _self.Address || _selfSeeds.Contains(address)) return true;
        try
        {
            var (host, port) = SplitAddress(address);
            if (port != _options.Port) return false;
            var mine = new HashSet<IPAddress>();
            if (IPAddress.TryParse(_options.BindAddress, out var b)) mine.Add(b);
            var (advHost, _) = SplitAddress(_self.Address);
            foreach (var ip in _resolver.Resolve(advHost)) mine.Add(ip);
            var theirs = _resolver.Resolve(host);
            return theirs.Any(mine.Contains);
        }
        catch (Exception ex) when (ex is FormatException or System.Net.Sockets.SocketException or ArgumentException)
        {
            return false;
        }
    }

    void SendJoin(Peer peer, string seed)
    {
        if (_mode != Mode.Joining) return;
        peer.Link.Send(FrameType.Join, JoinRequest().Encode());
        _pendingJoinSeeds[peer.NodeId] = seed;
    }

    readonly Dictionary<string, string> _pendingJoinSeeds = new();

    /// <summary>This node as Joining, with claims on the shards whose recovered state has an epoch.</summary>
    ClusterState JoinRequest()
    {
        var s = NewState();
        foreach (var (shard, epoch) in _region.Candidates()) s.SetOwner(shard, new ShardOwner(epoch, _self.NodeId, false));
        for (int shard = 0; shard < _options.ShardCount; shard++)
            if (_region.LocalEpoch(shard) is > 0 and var e) s.SetOwner(shard, new ShardOwner(e, _self.NodeId, false));
        return s;
    }

    void Form(string why)
    {
        _state = JoinRequest();
        _state.SetStatus(_self.NodeId, MemberStatus.Up);
        _formedAt = Environment.TickCount64;
        _formedWithSeeds = ResolveSeeds().Count > 0;
        if (!_formedWithSeeds) ClusterDecisions.ApplyLeaderActions(_state, assignOrphans: true);
        _mode = Mode.Member;
        _dirty = true;
        _log.LogInformation("cluster: formed a new cluster ({Why}); {Node} is Up and leader", why, _self.NodeId);
    }

    /// <summary>A seed's side: a node asks to join.</summary>
    void OnJoin(Peer peer, ReadOnlyMemory<byte> payload)
    {
        if (_mode is not (Mode.Member or Mode.Leaving))
        {
            Refuse(peer, "not-member", "this node is not in a cluster yet");
            return;
        }
        var joiner = ClusterState.Decode(payload.Span);
        if (joiner.ShardCount != _state.ShardCount)
        {
            Refuse(peer, "refused", $"shard count {joiner.ShardCount} differs from the cluster's {_state.ShardCount}");
            return;
        }
        var m = joiner.Get(peer.NodeId);
        if (m == null || m.Incarnation != peer.Incarnation || m.Status != MemberStatus.Joining)
        {
            Refuse(peer, "refused", "a join must carry the joiner as Joining");
            return;
        }
        var known = _state.Get(peer.NodeId);
        if (known != null && known.Incarnation > m.Incarnation)
        {
            Refuse(peer, "refused", "a newer incarnation of this node is already a member");
            return;
        }
        if (_state.Merge(joiner))
        {
            _dirty = true;
            _gossipAll = true;
            _log.LogInformation("cluster: {Peer} (incarnation {Inc}) is joining", peer.NodeId, m.Incarnation);
        }
        peer.Link.Send(FrameType.Welcome, _state.Encode());
    }

    void Refuse(Peer peer, string kind, string reason)
    {
        var w = new WireWriter(64);
        w.WriteString(kind);
        w.WriteString(reason);
        peer.Link.Send(FrameType.JoinRefused, w);
    }

    void OnJoinRefused(Peer peer, ReadOnlyMemory<byte> payload)
    {
        var r = new WireReader(payload);
        string kind = r.ReadString() ?? "";
        string reason = r.ReadString() ?? "";
        if (_pendingJoinSeeds.TryGetValue(peer.NodeId, out var seed)) _seedAnswers[seed] = kind;
        if (kind != "not-member") _log.LogWarning("cluster: join refused by {Peer}: {Reason}", peer.NodeId, reason);
    }

    void OnWelcome(Peer peer, ReadOnlyMemory<byte> payload)
    {
        if (_pendingJoinSeeds.TryGetValue(peer.NodeId, out var seed)) _seedAnswers[seed] = "member";
        if (_mode != Mode.Joining) return;
        var state = ClusterState.Decode(payload.Span);
        if (state.ShardCount != _options.ShardCount || state.Get(_self.NodeId)?.Incarnation != _self.Incarnation) return;
        _state.Merge(state);
        _mode = Mode.Member;
        _dirty = true;
        _gossipAll = true;
        _log.LogInformation("cluster: joined through {Peer}: {Members} members", peer.NodeId, _state.AliveMembers().Count());
    }

    // ---------------------------------------------------------------- gossip

    void OnGossip(Peer peer, ReadOnlyMemory<byte> payload)
    {
        Interlocked.Increment(ref _gossipReceived);
        if (_mode is Mode.Joining or Mode.Exited) return;
        var other = ClusterState.Decode(payload.Span);
        if (other.ShardCount != _state.ShardCount) return;
        if (_state.Merge(other)) _dirty = true;
        var me = _state.Get(_self.NodeId);
        if (me == null || me.Incarnation != _self.Incarnation) return;
        if (me.Status < MemberStatus.Down) return;
        // Leaving and already Exiting (every shard handed off): the leader's Exiting -> Removed may
        // arrive before this node saw everyone acknowledge Exiting; that is the leave's end, not a reason to rejoin.
        if (_mode == Mode.Leaving && _exitingSince != 0) FinishLeave();
        else Rejoin("the cluster marked this node down");
    }

    void SendGossip(Peer peer)
    {
        Interlocked.Increment(ref _gossipSent);
        peer.Link.Send(FrameType.Gossip, _state.Encode());
    }

    long _gossipSent, _gossipReceived;

    /// <summary>Gossip messages (full states) sent and received, for /metrics.</summary>
    public (long Sent, long Received) GossipCounts => (Interlocked.Read(ref _gossipSent), Interlocked.Read(ref _gossipReceived));

    /// <summary>The peers linked right now (for /metrics).</summary>
    public IReadOnlyCollection<Peer> Peers => _peers.Values.ToList();

    /// <summary>Pushes the state to every peer after a change, and to peers that reported a different digest.</summary>
    void PushGossip(long now)
    {
        if (_mode is Mode.Joining or Mode.Exited) return;
        if (_dirty) _gossipAll = true;
        if (now < _nextGossip) return;
        _nextGossip = now + 200;
        if (_gossipAll)
        {
            _gossipAll = false;
            _pushTo.Clear();
            var bytes = _state.Encode();
            foreach (var p in _peers.Values)
                if (p.IsOpen)
                {
                    Interlocked.Increment(ref _gossipSent);
                    p.Link.Send(FrameType.Gossip, bytes);
                }
            return;
        }
        ulong digest = _state.Digest;
        foreach (var id in _pushTo.Keys)
        {
            _pushTo.TryRemove(id, out _);
            if (_seen.TryGetValue(id, out var d) && d == digest) continue;
            if (_peers.TryGetValue(id, out var p) && p.IsOpen) SendGossip(p);
        }
    }

    // ---------------------------------------------------------------- failure detection and downing

    void UpdateReachability(long now)
    {
        if (_mode is Mode.Joining or Mode.Exited) return;
        foreach (var m in _state.AliveMembers().ToList())
        {
            if (m.NodeId == _self.NodeId) continue;
            if (!_firstSeen.TryGetValue(m.NodeId, out long first)) _firstSeen[m.NodeId] = first = now;
            bool linked = _peers.TryGetValue(m.NodeId, out var p) && p.IsOpen && p.Incarnation == m.Incarnation;
            bool available = IsMonitoring(m.NodeId) && _detectors.TryGetValue(m.NodeId, out var d) && d.Incarnation == m.Incarnation
                ? IsAvailable(m.NodeId, now)
                : linked || now - first < 5000;     // a new member gets a moment to link before it counts as unreachable
            if (_state.SetReachability(_self.NodeId, m.NodeId, !available))
            {
                _dirty = true;
                _log.LogWarning("cluster: {Peer} is {State}", m.NodeId, available ? "reachable again" : "unreachable");
            }
        }
    }

    void DecideDowning(long now)
    {
        if (_mode is not (Mode.Member or Mode.Leaving or Mode.Fenced)) return;
        var unreachable = _state.Unreachable();
        string key = string.Join(",", unreachable.Order(StringComparer.Ordinal));
        if (key != _unreachableKey)
        {
            _unreachableKey = key;
            _unreachableSince = now;
        }
        var decision = ClusterDecisions.KeepMajority(_state, _self.NodeId);
        if (_mode == Mode.Fenced)
        {
            // cut off from the majority: once it is reachable again, come back as a new incarnation
            if (decision != DowningDecision.FenceSelf && unreachable.Count == 0) Rejoin("the cluster is reachable again");
            return;
        }
        if (decision == DowningDecision.None || now - _unreachableSince < _options.StableAfter.TotalMilliseconds) return;
        if (decision == DowningDecision.FenceSelf)
        {
            Fence($"cut off from the majority: {key} unreachable");
            return;
        }
        if (ClusterDecisions.Leader(_state) != _self.NodeId) return;
        foreach (var id in unreachable)
        {
            if (_state.SetStatus(id, MemberStatus.Down))
            {
                _log.LogWarning("cluster: leader marks {Peer} down (unreachable for {Seconds:F1} s; this side holds the majority)",
                    id, (now - _unreachableSince) / 1000.0);
                _lastDownAt = now;
                _dirty = true;
            }
        }
    }

    void LeaderActions(long now)
    {
        if (_mode is not (Mode.Member or Mode.Leaving)) return;
        var leader = ClusterDecisions.Leader(_state);
        if (leader != _lastLeader)
        {
            _lastLeader = leader;
            _log.LogInformation("cluster: leader is {Leader}", leader ?? "(none)");
        }
        if (leader != _self.NodeId || !ClusterDecisions.Converged(_state, _self.NodeId, _seen)) return;
        // Orphans wait: after a downing (the minority fences itself first), while members are joining
        // (they will be Up in a moment and should get their share directly, not by hand-off), and
        // briefly after forming a cluster with seeds (the other seeds are usually starting too).
        bool orphansAllowed = now - _lastDownAt > _options.DownRemovalMargin.TotalMilliseconds
            && !_state.AliveMembers().Any(m => m.Status == MemberStatus.Joining)
            && now - _formedAt > (_formedWithSeeds ? 1500 : 0);
        var before = _state.Members.ToDictionary(m => m.NodeId, m => m.Status);
        if (!ClusterDecisions.ApplyLeaderActions(_state, orphansAllowed)) return;
        _dirty = true;
        foreach (var m in _state.Members)
            if (before.TryGetValue(m.NodeId, out var was) && was != m.Status)
                _log.LogInformation("cluster: leader moves {Peer} {From} -> {To}", m.NodeId, was, m.Status);
    }

    /// <summary>Minority side: stop serving every shard (the majority will re-home them).</summary>
    void Fence(string why)
    {
        _mode = Mode.Fenced;
        _dirty = true;
        foreach (var h in _outgoing.Values.ToList()) AbortOutgoing(h, "fenced");
        _log.LogWarning("cluster: fenced: {Why}; refusing data commands until the cluster is reachable again", why);
    }

    /// <summary>
    /// Comes back as a new incarnation: links are re-made, this node joins through the seeds and
    /// its shards' states are checked against the cluster's epochs again.
    /// </summary>
    void Rejoin(string why)
    {
        foreach (var h in _outgoing.Values.ToList()) AbortOutgoing(h, "rejoining");
        _self = _self with { Incarnation = Math.Max(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), _self.Incarnation + 1) };
        _listener?.SetIdentity(_self);
        _mode = Mode.Joining;
        _state = NewState();
        _seedAnswers.Clear();
        _pendingJoinSeeds.Clear();
        _joinStartedAt = Environment.TickCount64;
        _nextJoinAttempt = 0;
        _dirty = true;
        foreach (var p in _peers.Values) p.Link.Close("rejoining as a new incarnation");
        _log.LogWarning("cluster: rejoining as incarnation {Inc}: {Why}", _self.Incarnation, why);
    }
}
