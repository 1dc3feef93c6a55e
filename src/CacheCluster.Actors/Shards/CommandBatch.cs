using System.Threading.Tasks.Sources;
using CacheCluster.Core;

namespace CacheCluster.Actors.Shards;

/// <summary>
/// A connection's commands for one dispatch and their replies, index for index. Reused for the
/// life of the connection: arrays grow once, the completion is a resettable value-task source,
/// and the per-shard work messages are pooled, so a steady pipeline allocates nothing here.
/// </summary>
public sealed class CommandBatch : IValueTaskSource, ICommandSink
{
    public Command[] Commands = new Command[16];
    public Reply[] Replies = new Reply[16];
    public int[] Shards = new int[16];
    public int Count { get; private set; }

    /// <summary>Cluster: how many nodes forwarded this batch before it reached this one (loop guard).</summary>
    public int Hops;

    ManualResetValueTaskSourceCore<bool> _done = new() { RunContinuationsAsynchronously = true };
    int _pending;
    internal readonly List<ShardWork> Works = new();
    internal int WorksUsed;
    internal Dictionary<int, ShardWork>? Grouping; // for large pipelines only

    /// <summary>Appends a command for a shard and returns it to be filled in place.</summary>
    public ref Command Add(int shard)
    {
        if (Count == Commands.Length) Grow();
        Shards[Count] = shard;
        Replies[Count] = default;
        Commands[Count] = default;
        return ref Commands[Count++];
    }

    void Grow()
    {
        int n = Commands.Length * 2;
        Array.Resize(ref Commands, n);
        Array.Resize(ref Replies, n);
        Array.Resize(ref Shards, n);
    }

    /// <summary>Forgets commands and replies (dropping references to values and keys).</summary>
    public void Clear()
    {
        Array.Clear(Commands, 0, Count);
        Array.Clear(Replies, 0, Count);
        Count = 0;
    }

    internal ShardWork RentWork()
    {
        if (WorksUsed == Works.Count) Works.Add(new ShardWork(this));
        var w = Works[WorksUsed++];
        w.Count = 0;
        return w;
    }

    internal ValueTask Arm(int parts)
    {
        _done.Reset();
        _pending = parts;
        return new ValueTask(this, _done.Version);
    }

    /// <summary>Called by a shard when its part of the batch is answered.</summary>
    public void PartDone()
    {
        if (Interlocked.Decrement(ref _pending) == 0) _done.SetResult(true);
    }

    void IValueTaskSource.GetResult(short token) => _done.GetResult(token);
    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _done.GetStatus(token);
    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token,
        ValueTaskSourceOnCompletedFlags flags) => _done.OnCompleted(continuation, state, token, flags);
}
