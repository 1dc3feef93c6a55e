using System.Buffers.Binary;
using System.Collections.Concurrent;
using CacheCluster.Cluster.Links;
using CacheCluster.Cluster.Membership;
using CacheCluster.Cluster.Wire;
using Microsoft.Extensions.Logging;

namespace CacheCluster.Cluster.Node;

/// <summary>Node links: one per peer pair, heartbeats, and the frames they carry.</summary>
public sealed partial class ClusterNode : ILinkHandler
{
    readonly object _linkGate = new();
    readonly ConcurrentDictionary<string, Peer> _peers = new();          // by node id: the link in use
    readonly ConcurrentDictionary<NodeLink, Peer> _byLink = new();
    readonly ConcurrentDictionary<string, ulong> _seen = new();          // last digest each peer reported
    readonly ConcurrentDictionary<string, (long Incarnation, PhiAccrualFailureDetector Detector)> _detectors = new();
    readonly ConcurrentDictionary<string, byte> _dialing = new();        // addresses being dialed
    readonly ConcurrentDictionary<string, byte> _pushTo = new();         // peers whose digest differs from ours
    ulong _publishedDigest;     // read by the heartbeat thread (64-bit reads are atomic on x64)

    /// <summary>
    /// Accepts a link after its handshake (any thread). One link per peer: of two links to the
    /// same incarnation the one dialed by the lower node id wins, on both sides alike.
    /// </summary>
    bool TryRegister(NodeLink link)
    {
        var peerId = link.Peer.NodeId;
        if (peerId == _self.NodeId) return false;   // a seed list that names this node
        Peer? replaced = null;
        Peer peer;
        lock (_linkGate)
        {
            if (_peers.TryGetValue(peerId, out var existing) && existing.IsOpen)
            {
                var e = existing.Link;
                if (e.Peer.Incarnation > link.Peer.Incarnation) return false;
                if (e.Peer.Incarnation == link.Peer.Incarnation)
                {
                    // keep the link in use (its requests are in flight) unless the other is the preferred one
                    string dialerNew = link.Dialed ? _self.NodeId : peerId;
                    string dialerOld = e.Dialed ? _self.NodeId : peerId;
                    if (dialerNew == dialerOld || string.CompareOrdinal(dialerNew, dialerOld) > 0) return false;
                }
                replaced = existing;
            }
            peer = new Peer(link);
            _peers[peerId] = peer;
            _byLink[link] = peer;
            var d = _detectors.GetOrAdd(peerId, _ => (link.Peer.Incarnation, NewDetector()));
            if (d.Incarnation != link.Peer.Incarnation) _detectors[peerId] = (link.Peer.Incarnation, NewDetector());
        }
        if (replaced != null) replaced.Link.Close("replaced by a newer link");
        _log.LogInformation("cluster: linked with {Peer} (incarnation {Inc}, {Dir} {Remote})", peerId, link.Peer.Incarnation,
            link.Dialed ? "dialed" : "accepted from", link.RemoteEndPoint);
        _dirty = true;
        Post(() => OnLinked(peer));
        return true;
    }

    PhiAccrualFailureDetector NewDetector() => new(acceptableHeartbeatPauseMs: _options.AcceptableHeartbeatPauseMs,
        firstHeartbeatEstimateMs: _options.HeartbeatInterval.TotalMilliseconds);

    public void OnFrame(NodeLink link, FrameType type, ReadOnlyMemory<byte> payload)
    {
        if (!_byLink.TryGetValue(link, out var peer)) return;
        try
        {
            switch (type)
            {
                case FrameType.Heartbeat:
                    OnHeartbeat(peer, payload.Span);
                    break;
                case FrameType.Request:
                    _inbound.Handle(peer, payload);
                    break;
                case FrameType.Response:
                    peer.OnResponse(payload);
                    break;
                case FrameType.Gossip:
                    Post(() => OnGossip(peer, payload));
                    break;
                case FrameType.Join:
                    Post(() => OnJoin(peer, payload));
                    break;
                case FrameType.Welcome:
                    Post(() => OnWelcome(peer, payload));
                    break;
                case FrameType.JoinRefused:
                    Post(() => OnJoinRefused(peer, payload));
                    break;
                case FrameType.HandoffBegin:
                case FrameType.HandoffChunk:
                case FrameType.HandoffEnd:
                    OnIncomingHandoffFrame(peer, type, payload);
                    break;
                case FrameType.HandoffDone:
                case FrameType.HandoffAbort:
                    OnHandoffReply(peer, type, payload);
                    break;
                default:
                    link.Close($"unexpected frame {type}");
                    break;
            }
        }
        catch (Exception ex) when (ex is WireFormatException or ClusterStateFormatException or Persistence.CorruptDataException)
        {
            _log.LogWarning("cluster: malformed {Type} frame from {Peer}: {Error}; closing the link", type, peer.NodeId, ex.Message);
            link.Close("malformed frame");
        }
    }

    public void OnClosed(NodeLink link, string reason)
    {
        if (!_byLink.TryRemove(link, out var peer)) return;
        lock (_linkGate)
        {
            if (_peers.TryGetValue(peer.NodeId, out var current) && current == peer) _peers.TryRemove(peer.NodeId, out _);
        }
        peer.FailPending();
        foreach (var key in _incoming.Keys)
            if (key.Peer == peer.NodeId && _incoming.TryGetValue(key, out var h) && h.From == peer) _incoming.TryRemove(key, out _);
        _log.LogInformation("cluster: link with {Peer} closed: {Reason}", peer.NodeId, reason);
        _dirty = true;
        Post(() => OnUnlinked(peer));
    }

    /// <summary>[u64 digest][i64 incarnation]</summary>
    void OnHeartbeat(Peer peer, ReadOnlySpan<byte> p)
    {
        if (p.Length < 16) throw new WireFormatException("short heartbeat");
        ulong digest = BinaryPrimitives.ReadUInt64LittleEndian(p);
        if (_detectors.TryGetValue(peer.NodeId, out var d) && d.Incarnation == peer.Incarnation)
            lock (d.Detector) d.Detector.Heartbeat(Environment.TickCount64);
        _seen[peer.NodeId] = digest;
        if (digest != _publishedDigest) _pushTo.TryAdd(peer.NodeId, 0);
    }

    /// <summary>Dedicated thread: a heartbeat on every link each interval, whatever the thread pool does.</summary>
    void SendHeartbeats()
    {
        var frame = new byte[16];
        while (!_stop.Token.WaitHandle.WaitOne(_options.HeartbeatInterval))
        {
            BinaryPrimitives.WriteUInt64LittleEndian(frame, _publishedDigest);
            BinaryPrimitives.WriteInt64LittleEndian(frame.AsSpan(8), _self.Incarnation);
            foreach (var p in _peers.Values)
                if (p.IsOpen) p.Link.Send(FrameType.Heartbeat, frame);
        }
    }

    bool IsAvailable(string nodeId, long now)
    {
        if (!_detectors.TryGetValue(nodeId, out var d)) return false;
        lock (d.Detector) return !d.Detector.IsMonitoring || d.Detector.IsAvailable(now);
    }

    bool IsMonitoring(string nodeId)
    {
        if (!_detectors.TryGetValue(nodeId, out var d)) return false;
        lock (d.Detector) return d.Detector.IsMonitoring;
    }

    /// <summary>Dials an address in the background; a successful link registers itself and then <paramref name="then"/> runs on the cluster thread.</summary>
    void Dial(string address, Action<Peer>? then = null)
    {
        if (_addressToNode.TryGetValue(address, out var known) && _peers.TryGetValue(known, out var linked) && linked.IsOpen)
        {
            if (then != null) Post(() => then(linked));
            return;
        }
        if (!_dialing.TryAdd(address, 0)) return;
        _ = Task.Run(async () =>
        {
            try
            {
                var (host, port) = SplitAddress(address);
                var ips = _resolver.Resolve(host);
                if (ips.Length == 0) throw new System.Net.Sockets.SocketException((int)System.Net.Sockets.SocketError.HostNotFound);
                var link = await NodeLink.DialAsync(ips[0].ToString(), port, LocalBind, _self, _secret, this, _log, TimeSpan.FromSeconds(3), _stop.Token);
                _addressToNode[address] = link.Peer.NodeId;
                if (TryRegister(link))
                {
                    link.Start();
                    if (then != null && _byLink.TryGetValue(link, out var p)) Post(() => then(p));
                }
                else
                {
                    bool self = link.Peer.NodeId == _self.NodeId;
                    link.Close(self ? "this is ourselves" : "a link to this peer exists");
                    if (self) Post(() => _selfSeeds.Add(address));
                    else if (then != null && _peers.TryGetValue(link.Peer.NodeId, out var existing)) Post(() => then(existing));
                }
            }
            catch (LinkRefusedException ex)
            {
                _log.LogWarning("cluster: link to {Address} refused: {Reason}", address, ex.Message);
            }
            catch (Exception ex) when (ex is System.Net.Sockets.SocketException or TimeoutException or IOException or OperationCanceledException)
            {
                _log.LogDebug("cluster: cannot reach {Address}: {Error}", address, ex.Message);
            }
            finally
            {
                _dialing.TryRemove(address, out _);
            }
        });
    }

    readonly ConcurrentDictionary<string, string> _addressToNode = new();   // dialed address → node id found there

    string? LocalBind => _options.BindAddress is "0.0.0.0" or "::" ? null : _options.BindAddress;

    public static (string Host, int Port) SplitAddress(string address)
    {
        int colon = address.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(address.AsSpan(colon + 1), out int port)) throw new FormatException($"'{address}' is not host:port");
        return (address[..colon].Trim('[', ']'), port);
    }

    readonly Dictionary<string, long> _missingLinkSince = new();

    /// <summary>Members we should have a link to but do not: the lower node id dials first; the other after a grace period.</summary>
    void DialMembers(long now)
    {
        if (_mode is Mode.Joining or Mode.Exited) return;
        foreach (var m in _state.AliveMembers())
        {
            if (m.NodeId == _self.NodeId) continue;
            if (_peers.TryGetValue(m.NodeId, out var p) && p.IsOpen && p.Incarnation == m.Incarnation)
            {
                _missingLinkSince.Remove(m.NodeId);
                continue;
            }
            if (!_missingLinkSince.TryGetValue(m.NodeId, out long since)) _missingLinkSince[m.NodeId] = since = now;
            if (string.CompareOrdinal(_self.NodeId, m.NodeId) < 0 || now - since > 2000) Dial(m.Address);
        }
    }

    void OnLinked(Peer peer)
    {
        if (!_firstSeen.ContainsKey(peer.NodeId)) _firstSeen[peer.NodeId] = Environment.TickCount64;
        if (_mode != Mode.Joining) SendGossip(peer);
        _dirty = true;
    }

    void OnUnlinked(Peer peer) => _dirty = true;

    void ExpireRequests(long now)
    {
        if (now < _nextRequestSweep) return;
        _nextRequestSweep = now + 1000;
        foreach (var p in _peers.Values) p.ExpirePending((long)_options.RequestTimeout.TotalMilliseconds);
    }

    long _nextRequestSweep;
}
