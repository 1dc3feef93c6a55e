namespace CacheCluster.Core;

/// <summary>Where a protocol decoder appends the shard commands of a request.</summary>
public interface ICommandSink
{
    /// <summary>Appends a command routed to <paramref name="shard"/> and returns it to fill in place.</summary>
    ref Command Add(int shard);

    /// <summary>Commands appended so far.</summary>
    int Count { get; }
}
