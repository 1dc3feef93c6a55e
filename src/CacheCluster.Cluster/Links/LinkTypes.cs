using CacheCluster.Cluster.Wire;

namespace CacheCluster.Cluster.Links;

/// <summary>Who is at the other end of a link (sent in its Hello).</summary>
public sealed record LinkIdentity(string NodeId, long Incarnation, string Address);

/// <summary>Receives the frames and the end of started links.</summary>
public interface ILinkHandler
{
    /// <summary>
    /// A frame after the handshake, on the link's reader thread (frames of one link arrive in order, one at
    /// a time). <paramref name="payload"/> is backed by an exactly sized byte[] owned by the handler from then on.
    /// Not called after the link closed.
    /// </summary>
    void OnFrame(NodeLink link, FrameType type, ReadOnlyMemory<byte> payload);

    /// <summary>Exactly once per link that was <see cref="NodeLink.Start"/>ed, after its last OnFrame.</summary>
    void OnClosed(NodeLink link, string reason);
}

/// <summary>The handshake failed because of the peer (wrong secret, not a cluster node).</summary>
public sealed class LinkRefusedException(string message) : Exception(message);
