using CacheCluster.Core;

namespace CacheCluster.Actors.Shards;

/// <summary>
/// Routing beyond the local fast path: shards on other nodes, parked shards (owner unknown,
/// unreachable or moving: held with a deadline, bounded), refused shards.
/// </summary>
public sealed partial class ShardRegion
{
    /// <summary>At most this many slices wait for parked shards; beyond, commands are answered TRYAGAIN at once.</summary>
    const int MaxParked = 50_000;

    readonly record struct ParkedWork(ShardWork Work, long DeadlineTicks);

    readonly object _parkGate = new();
    readonly List<ParkedWork>?[] _parked;
    int _parkedCount;

    public ShardRoute Route(int shard) => Volatile.Read(ref _routes[shard]);

    /// <summary>Slices waiting for a parked shard (for INFO and tests).</summary>
    public int ParkedCount => Volatile.Read(ref _parkedCount);

    /// <summary>
    /// Points a shard somewhere else; what was parked for it is sent on. Called by the cluster
    /// (one thread at a time); dispatchers read routes without locks.
    /// </summary>
    public void SetRoute(int shard, ShardRoute route)
    {
        List<ParkedWork>? release = null;
        lock (_parkGate)
        {
            Volatile.Write(ref _routes[shard], route);
            if (route is not ParkedShardRoute && _parked[shard] is { Count: > 0 } list)
            {
                release = list;
                _parked[shard] = null;
                _parkedCount -= list.Count;
            }
        }
        if (release != null)
            foreach (var p in release) Dispatch(p.Work);
    }

    /// <summary>Sends a slice by its shard's current route (re-routing: never waits for mailbox room).</summary>
    public void Dispatch(ShardWork work)
    {
        int shard = work.Batch.Shards[work.Indices[0]];
        var route = Volatile.Read(ref _routes[shard]);
        if (route is LocalShardRoute local)
        {
            if (!local.Actor.TryTell(work)) _ = TellLaterAsync(local.Actor, work);
        }
        else DispatchElsewhere(work, shard, route);
    }

    /// <summary>A sealed or released shard actor hands back what still reached it.</summary>
    void Redispatch(ShardWork work) => Dispatch(work);

    async Task TellLaterAsync(ActorRef<ShardMessage> actor, ShardWork work)
    {
        try
        {
            await actor.TellAsync(work);
        }
        catch (ActorStoppedException)
        {
            Dispatch(work);
        }
    }

    void DispatchElsewhere(ShardWork work, int shard, ShardRoute route)
    {
        switch (route)
        {
            case RemoteShardRoute remote when IsNodeLocalOnly(work):
                Answer(work, Reply.Ok);    // a node's own settings (CONFIG SET maxmemory) stay on that node
                break;
            case RemoteShardRoute remote:
                remote.Forwarder.Forward(work, shard);
                break;
            case RefusedShardRoute refused:
                Answer(work, Reply.Fail(refused.Error));
                break;
            case LocalShardRoute:
                Dispatch(work);
                break;
            default:
                Park(work, shard);
                break;
        }
    }

    static bool IsNodeLocalOnly(ShardWork work) => work.Batch.Commands[work.Indices[0]].Op == Op.ConfigureMemory;

    /// <summary>Answers every command of the slice with <paramref name="reply"/> and completes it.</summary>
    public static void Answer(ShardWork work, Reply reply)
    {
        for (int i = 0; i < work.Count; i++) work.Batch.Replies[work.Indices[i]] = reply;
        work.Batch.PartDone();
    }

    void Park(ShardWork work, int shard)
    {
        bool full = false;
        lock (_parkGate)
        {
            if (_routes[shard] is ParkedShardRoute)
            {
                full = _parkedCount >= MaxParked;
                if (!full)
                {
                    (_parked[shard] ??= new List<ParkedWork>()).Add(
                        new ParkedWork(work, Environment.TickCount64 + (long)_options.ParkTimeout.TotalMilliseconds));
                    _parkedCount++;
                    return;
                }
            }
        }
        if (full) Answer(work, Reply.Fail(ErrorCode.TryAgain));
        else Dispatch(work);    // the route changed while we looked
    }

    /// <summary>Parked slices past their deadline are answered TRYAGAIN (run by the region's timer).</summary>
    void ExpireParked()
    {
        if (Volatile.Read(ref _parkedCount) == 0) return;
        long now = Environment.TickCount64;
        List<ShardWork>? expired = null;
        lock (_parkGate)
        {
            foreach (var list in _parked)
            {
                if (list == null) continue;
                for (int i = list.Count - 1; i >= 0; i--)
                {
                    if (list[i].DeadlineTicks > now) continue;
                    (expired ??= new()).Add(list[i].Work);
                    list.RemoveAt(i);
                    _parkedCount--;
                }
            }
        }
        if (expired != null)
            foreach (var w in expired) Answer(w, Reply.Fail(ErrorCode.TryAgain));
    }
}
