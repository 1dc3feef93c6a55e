namespace CacheCluster.Cluster.Wire;

/// <summary>
/// The type byte of a node-link frame: <c>[u32 length LE of what follows][u8 FrameType][payload]</c>.
/// </summary>
public enum FrameType : byte
{
    // handshake (never delivered to an ILinkHandler)
    Challenge = 1, Auth = 2, AuthOk = 3, Hello = 4,

    // membership
    Heartbeat = 10, Gossip = 11, Join = 12, Welcome = 13, JoinRefused = 14, Leave = 15,

    // routed commands
    Request = 20, Response = 21,

    // shard hand-off
    HandoffBegin = 30, HandoffChunk = 31, HandoffEnd = 32, HandoffDone = 33, HandoffAbort = 34,
}

/// <summary>Limits of the frame format.</summary>
public static class Frames
{
    /// <summary>Bytes before the payload: u32 length + u8 type.</summary>
    public const int HeaderLength = 5;

    /// <summary>Largest value of the length field (type byte + payload): 256 MiB.</summary>
    public const int MaxLength = 256 * 1024 * 1024;

    /// <summary>Largest payload of one frame.</summary>
    public const int MaxPayload = MaxLength - 1;
}

/// <summary>A payload that does not decode (truncated, absurd length, unknown enum value...).</summary>
public sealed class WireFormatException(string message) : Exception(message);
