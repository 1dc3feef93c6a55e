using System.Collections.Concurrent;
using System.Text;
using CacheCluster.Actors.Shards;
using CacheCluster.Cluster.Handoff;
using CacheCluster.Cluster.Links;
using CacheCluster.Cluster.Membership;
using Microsoft.Extensions.Logging;

namespace CacheCluster.Cluster.Node;

/// <summary>
/// One node's membership in the cluster. All cluster state (the gossiped <see cref="ClusterState"/>,
/// hand-offs, routes) is changed on one dedicated thread, fed by <see cref="Post"/> and a 100 ms
/// tick; links call in from their own threads. Heartbeats go out from another dedicated thread,
/// so a busy thread pool cannot make this node look dead.
/// </summary>
public sealed partial class ClusterNode : IDisposable
{
    public enum Mode : byte { Joining, Member, Leaving, Fenced, Exited }

    readonly ClusterOptions _options;
    readonly ShardRegion _region;
    readonly ILogger _log;
    readonly byte[] _secret;
    readonly BlockingCollection<Action> _inbox = new();
    readonly Thread _loop;
    readonly Thread _heartbeats;
    readonly CancellationTokenSource _stop = new();
    readonly InboundRequests _inbound;
    readonly NameResolver _resolver;

    ClusterState _state;
    LinkIdentity _self;
    Mode _mode = Mode.Joining;
    LinkListener? _listener;
    volatile ClusterView _view;
    volatile bool _dirty = true;
    long _nextTick;

    public ClusterNode(ClusterOptions options, ShardRegion region, ILogger log)
    {
        _options = options;
        _region = region;
        _log = log;
        _secret = Encoding.UTF8.GetBytes(options.Secret);
        _self = new LinkIdentity(options.NodeId, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), options.Advertise);
        _state = NewState();
        _inbound = new InboundRequests(region);
        _resolver = new NameResolver(options.HostsFile);
        _view = BuildView();
        _loop = new Thread(Run) { IsBackground = true, Name = "cluster" };
        _heartbeats = new Thread(SendHeartbeats) { IsBackground = true, Name = "cluster-heartbeats" };
    }

    public string NodeId => _options.NodeId;
    public long Incarnation => _self.Incarnation;
    public ClusterView View => _view;
    public int ListenPort => _listener?.Port ?? 0;

    /// <summary>Listens on the cluster port and starts joining (the region must have recovered first).</summary>
    public void Start()
    {
        _listener = new LinkListener(System.Net.IPAddress.Parse(_options.BindAddress), _options.Port, _self, _secret, this, TryRegister, _log);
        _listener.Start();
        _joinStartedAt = Environment.TickCount64;
        _loop.Start();
        _heartbeats.Start();
        _log.LogInformation("cluster: node {Node} (incarnation {Inc}) listening on {Bind}:{Port}, advertised as {Advertise}; seeds {Seeds}",
            _self.NodeId, _self.Incarnation, _options.BindAddress, _listener.Port, _self.Address,
            _options.Discovery == Discovery.Dns ? "dns:" + _options.DnsName : _options.Seeds.Count == 0 ? "none (forming a cluster)" : string.Join(",", _options.Seeds));
    }

    /// <summary>Runs <paramref name="action"/> on the cluster thread.</summary>
    public void Post(Action action)
    {
        if (!_inbox.IsAddingCompleted)
            try { _inbox.Add(action); } catch (InvalidOperationException) { }
    }

    void Run()
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                if (_inbox.TryTake(out var action, 100)) action();
                while (_inbox.TryTake(out action)) action();
                long now = Environment.TickCount64;
                if (now >= _nextTick || _dirty)
                {
                    _nextTick = now + 100;
                    Tick(now);
                }
            }
            catch (Exception ex)
            {
                _log.LogError(ex, "cluster: unexpected failure on the cluster thread (continuing)");
            }
        }
    }

    void Tick(long now)
    {
        if (_mode == Mode.Exited) return;
        UpdateReachability(now);
        DecideDowning(now);
        TryJoinOrForm(now);
        LeaderActions(now);
        UpdateRoutes();
        StartHandoffs(now);
        ResolveHandoffs(now);
        CheckLeaveDone(now);
        DialMembers(now);
        PushGossip(now);
        ExpireRequests(now);
        if (_dirty || now >= _nextView)
        {
            _nextView = now + 500;
            _view = BuildView();
            _publishedDigest = _state.Digest;
            _dirty = false;
        }
    }

    long _nextView;

    ClusterState NewState()
    {
        var s = new ClusterState(_options.ShardCount);
        s.Upsert(new Member(_self.NodeId, _self.Address, _self.Incarnation, MemberStatus.Joining));
        return s;
    }

    /// <summary>
    /// Graceful leave (SIGTERM, or a drain before it): become Leaving, hand every local shard to
    /// its next owner, then Exiting. Idempotent; the task completes when the others have been told.
    /// </summary>
    public Task BeginLeave()
    {
        lock (_leaveGate)
        {
            if (_leaveDone != null) return _leaveDone.Task;
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _leaveDone = done;
            Post(() =>
            {
                if (_mode == Mode.Member)
                {
                    _mode = Mode.Leaving;
                    _state.SetStatus(_self.NodeId, MemberStatus.Leaving);
                    _dirty = true;
                    _log.LogInformation("cluster: leaving: handing off {Shards} shards", _region.LocalShardCount);
                }
                else FinishLeave();
            });
            return done.Task;
        }
    }

    /// <summary>Leaves (see <see cref="BeginLeave"/>) and waits for it, at most <paramref name="timeout"/>.</summary>
    public async Task LeaveAsync(TimeSpan timeout)
    {
        var done = BeginLeave();
        if (await Task.WhenAny(done, Task.Delay(timeout)) != done)
            _log.LogWarning("cluster: leave did not finish within {Timeout}; {Shards} shards still here", timeout, _region.LocalShardCount);
        // let in-flight requests from peers finish before the links go
        for (int i = 0; i < 50 && _inbound.InFlight > 0; i++) await Task.Delay(20);
    }

    /// <summary>idle (not leaving), draining (handing off), drained (nothing left here).</summary>
    public string DrainState => _leaveDone == null ? "idle" : _leaveDone.Task.IsCompleted ? "drained" : "draining";

    readonly object _leaveGate = new();
    volatile TaskCompletionSource? _leaveDone;
    long _exitingSince;

    void CheckLeaveDone(long now)
    {
        if (_mode != Mode.Leaving) return;
        if (_exitingSince == 0)
        {
            bool othersUp = _state.UpNodeIds().Any(id => id != _self.NodeId);
            bool ownsAny = false;
            for (int s = 0; s < _state.ShardCount && !ownsAny; s++) ownsAny = _state.Owner(s)?.NodeId == _self.NodeId;
            if ((ownsAny || _outgoing.Count > 0) && othersUp) return;
            _state.SetStatus(_self.NodeId, MemberStatus.Exiting);
            _exitingSince = now;
            _dirty = true;
            _gossipAll = true;
            if (ownsAny)
                _log.LogWarning("cluster: no other member is up to take {Shards} shards: they stay in this node's journal; exiting", _region.LocalShardCount);
            else
                _log.LogInformation("cluster: every shard handed off ({Done} hand-offs); exiting", _handoffsDone);
            return;
        }
        // give the others a moment to see Exiting (gossip) before the links close
        bool seen = _state.AliveMembers().Where(m => m.NodeId != _self.NodeId && m.Status <= MemberStatus.Leaving)
            .All(m => _seen.TryGetValue(m.NodeId, out var d) && d == _state.Digest);
        if (seen || now - _exitingSince > 3000) FinishLeave();
    }

    /// <summary>The leave is over: no more ticks run, so the view is published here one last time.</summary>
    void FinishLeave()
    {
        _mode = Mode.Exited;
        _view = BuildView();
        _leaveDone?.TrySetResult();
    }

    public void Dispose()
    {
        _stop.Cancel();
        _inbox.CompleteAdding();
        _listener?.Dispose();
        foreach (var p in _peers.Values) p.Link.Close("node stopping");
        if (_loop.IsAlive) _loop.Join(2000);
    }
}
