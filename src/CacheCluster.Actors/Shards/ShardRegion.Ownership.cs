using CacheCluster.Persistence;
using CacheCluster.Persistence.Journal;
using CacheCluster.Storage;

namespace CacheCluster.Actors.Shards;

/// <summary>
/// Cluster mode: which shards this node serves changes over time. The cluster (one thread at a
/// time) activates shards it was given, streams shards it gives away and releases them. Local
/// state recovered at start is a candidate until the cluster says whose epoch is current.
/// </summary>
public sealed partial class ShardRegion
{
    sealed record Candidate(CacheStore Store, RecoveredShard Recovered);

    readonly Candidate?[] _candidates;
    readonly long[] _journalTail;   // last sequence number written for each shard's journal (numbering continues after it)
    readonly long[] _epochs;        // epoch at which each local shard is served
    readonly bool[] _releasing;     // a release is being written (set on the cluster thread, cleared by the writer's callback)
    int _localCount;

    /// <summary>Shards served by this node.</summary>
    public int LocalShardCount => Volatile.Read(ref _localCount);

    public bool IsLocal(int shard) => _shards[shard] != null;

    /// <summary>Epoch of the local state recovered for a shard (0 = none).</summary>
    public long CandidateEpoch(int shard) => _candidates[shard]?.Recovered.Epoch ?? 0;

    /// <summary>Epoch at which this node serves the shard (0 = not served here).</summary>
    public long LocalEpoch(int shard) => _shards[shard] != null ? _epochs[shard] : 0;

    /// <summary>False while a release of the shard is still being written.</summary>
    public bool CanActivate(int shard) => _shards[shard] == null && !Volatile.Read(ref _releasing[shard]);

    /// <summary>
    /// Serves a shard given to this node without a hand-off (a claim the cluster confirmed, or an
    /// orphan). Local state is kept only when it is current: at <paramref name="epoch"/>, or at
    /// the epoch before with <paramref name="fresh"/> (this node was the last owner); else empty.
    /// </summary>
    public bool Activate(int shard, long epoch, bool fresh)
    {
        var cand = _candidates[shard];
        _candidates[shard] = null;
        long local = cand?.Recovered.Epoch ?? 0;
        bool keep = cand != null && local > 0 && (local == epoch || (fresh && local == epoch - 1));
        var store = keep ? cand!.Store : NewStore(shard);
        StartOwned(shard, store, cand?.Recovered, epoch, replaced: !keep, persisted: null);
        SetRoute(shard, new LocalShardRoute(_shards[shard]!));
        return keep;
    }

    /// <summary>
    /// Serves a shard whose contents came by hand-off: journals them at the new epoch and calls
    /// <paramref name="persisted"/> once they are committed. The caller then routes the shard here.
    /// </summary>
    public void ActivateFromHandoff(int shard, CacheStore store, long epoch, Action persisted)
    {
        var cand = _candidates[shard];
        _candidates[shard] = null;
        StartOwned(shard, store, cand?.Recovered, epoch, replaced: true, persisted);
    }

    void StartOwned(int shard, CacheStore store, RecoveredShard? recovered, long epoch, bool replaced, Action? persisted)
    {
        var journal = _options.Journal;
        var from = recovered ?? new RecoveredShard(Math.Max(_journalTail[shard], 0), 0, 0, 0, 0);
        if (recovered is { } r && r.LastSequenceNr < _journalTail[shard]) from = r with { LastSequenceNr = _journalTail[shard] };
        var sj = journal?.AttachOwned(shard, store, from);
        _executors[shard] = new CommandExecutor(store);
        _journals[shard] = sj;
        _epochs[shard] = epoch;
        if (sj != null) sj.BeginEpoch(epoch, replaced, persisted == null ? null : new CallbackWaiter(persisted));
        else persisted?.Invoke();
        SpawnLocal(shard);
        Interlocked.Increment(ref _localCount);
        ReconfigureLocalMemory();
    }

    /// <summary>Routes a shard to its local actor (after a hand-off's contents are committed).</summary>
    public void ServeLocally(int shard)
    {
        if (_shards[shard] is { } actor) SetRoute(shard, new LocalShardRoute(actor));
    }

    /// <summary>Hand-off, old owner: snapshot to <paramref name="sink"/>, then record the tail.</summary>
    public void BeginHandoff(int shard, IHandoffSink sink) => TellLocal(shard, new StartHandoff(sink));

    /// <summary>Hand-off, old owner: park new commands and hand over the tail.</summary>
    public void SealHandoff(int shard)
    {
        SetRoute(shard, ParkedShardRoute.Instance);
        TellLocal(shard, Shards.SealHandoff.Instance);
    }

    /// <summary>Hand-off failed before the new owner took over: serve the shard here again.</summary>
    public void AbortHandoff(int shard)
    {
        var actor = _shards[shard];
        if (actor == null) return;
        TellLocal(shard, Shards.AbortHandoff.Instance);
        SetRoute(shard, new LocalShardRoute(actor));
    }

    /// <summary>
    /// The shard lives elsewhere now (handed off, or this node's epoch is stale): route it to
    /// <paramref name="next"/>, drop the local data and tombstone its journal.
    /// </summary>
    public void Release(int shard, ShardRoute next)
    {
        var actor = _shards[shard];
        SetRoute(shard, next);
        if (actor == null) return;
        _shards[shard] = null;
        Interlocked.Decrement(ref _localCount);
        Volatile.Write(ref _releasing[shard], true);
        var sj = _journals[shard];
        _journals[shard] = null;
        _executors[shard] = null;
        _epochs[shard] = 0;
        _ = actor.TellAsync(new ReleaseShard(() =>
        {
            if (sj != null) Volatile.Write(ref _journalTail[shard], sj.LastSequenceNr);
            Volatile.Write(ref _releasing[shard], false);
            _ = _system.StopAsync(actor);
        })).AsTask();
        ReconfigureLocalMemory();
    }

    /// <summary>Forgets recovered local state the cluster says is stale, tombstoning its journal.</summary>
    public void DropCandidate(int shard)
    {
        var cand = _candidates[shard];
        if (cand == null) return;
        _candidates[shard] = null;
        _journalTail[shard] = Math.Max(_journalTail[shard], cand.Recovered.LastSequenceNr);
        if (cand.Recovered.Epoch > 0 && _options.Journal?.AttachOwned(shard, cand.Store, cand.Recovered) is { } sj) sj.Release();
    }

    /// <summary>Recovered shards not yet confirmed or dropped, with their epochs (claims when joining).</summary>
    public IEnumerable<(int Shard, long Epoch)> Candidates()
    {
        for (int i = 0; i < _candidates.Length; i++)
            if (_candidates[i] is { Recovered.Epoch: > 0 } c) yield return (i, c.Recovered.Epoch);
    }

    void TellLocal(int shard, ShardMessage message)
    {
        if (_shards[shard] is { } actor) _ = actor.TellAsync(message).AsTask();
    }

    void ReconfigureLocalMemory()
    {
        if (!_options.ClusterMode || _options.MaxMemoryBytes == 0) return;
        long per = PerShardMemory;
        foreach (var a in _shards)
            if (a != null) _ = a.TellAsync(new SetShardMemory(per, _options.Policy)).AsTask();
    }

    sealed class CallbackWaiter(Action done) : ICommitWaiter
    {
        public void Committed() => done();
        public void Failed(string reason) => done();
    }
}
