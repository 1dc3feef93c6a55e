using CacheCluster.Core;

namespace CacheCluster.Actors.Shards;

/// <summary>
/// Where a shard's commands go right now. Read without locks on every dispatch; replaced whole
/// by the cluster when ownership changes. A single node routes every shard to a local actor.
/// </summary>
public abstract class ShardRoute;

/// <summary>The shard lives here: its actor's mailbox.</summary>
public sealed class LocalShardRoute(ActorRef<ShardMessage> actor) : ShardRoute
{
    public readonly ActorRef<ShardMessage> Actor = actor;
}

/// <summary>The shard lives on another node: the link to it.</summary>
public sealed class RemoteShardRoute(IShardForwarder forwarder) : ShardRoute
{
    public readonly IShardForwarder Forwarder = forwarder;
}

/// <summary>Owner unknown, unreachable for now, or the shard is moving: hold the commands (bounded, with a deadline).</summary>
public sealed class ParkedShardRoute : ShardRoute
{
    public static readonly ParkedShardRoute Instance = new();
}

/// <summary>This node does not serve the shard at all (e.g. it is cut off from the majority).</summary>
public sealed class RefusedShardRoute(ErrorCode error) : ShardRoute
{
    public readonly ErrorCode Error = error;
    public static readonly RefusedShardRoute ClusterDown = new(ErrorCode.ClusterDown);
}

/// <summary>Sends one shard's slice of a batch to the node that owns it; answers by completing the slice.</summary>
public interface IShardForwarder
{
    void Forward(ShardWork work, int shard);
}

/// <summary>Receives a shard's contents during a hand-off (called on the shard's thread).</summary>
public interface IHandoffSink
{
    /// <summary>One chunk of the snapshot records (the first starts with the snapshot header).</summary>
    void SnapshotChunk(ReadOnlySpan<byte> records);

    /// <summary>The snapshot is complete; changes from now on are recorded as the tail.</summary>
    void SnapshotDone(long entries);

    /// <summary>The shard is sealed: these are all the changes since the snapshot (event records).</summary>
    void Sealed(ReadOnlySpan<byte> tail);
}
