using System.Buffers.Binary;
using System.Net.Sockets;
using System.Security.Cryptography;
using CacheCluster.Cluster.Wire;

namespace CacheCluster.Cluster.Links;

/// <summary>Why an acceptor refuses a connection (logged, then the socket is closed).</summary>
sealed class HandshakeRefusal(string reason) : Exception(reason);

/// <summary>
/// The node-link handshake: Challenge (magic "CCL1", version 1, nonceA) → Auth (nonceB, HMAC "cc-dial")
/// → AuthOk (HMAC "cc-accept") → Hello both ways. Reads exactly frame by frame, so nothing after the
/// peer's Hello is consumed before the link's reader starts.
/// </summary>
static class Handshake
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    const byte Version = 1;
    const int NonceLength = 32;
    const int MacLength = 32;
    const int ChallengeLength = 4 + 1 + NonceLength;
    const int AuthLength = NonceLength + MacLength;
    const int MaxPreAuthFrame = 512;
    const int MaxHelloFrame = 64 * 1024;

    static ReadOnlySpan<byte> Magic => "CCL1"u8;
    static ReadOnlySpan<byte> DialLabel => "cc-dial"u8;
    static ReadOnlySpan<byte> AcceptLabel => "cc-accept"u8;

    // ---- dialer side ------------------------------------------------------------------------

    public static async Task<LinkIdentity> DialAsync(Socket s, LinkIdentity self, byte[] secret, CancellationToken ct)
    {
        (FrameType type, byte[] challenge) = await ReadDialerFrameAsync(s, MaxPreAuthFrame,
            "connection closed by the peer before its challenge (not a cluster port?)", ct).ConfigureAwait(false);
        if (type != FrameType.Challenge || challenge.Length != ChallengeLength
            || !challenge.AsSpan(0, 4).SequenceEqual(Magic))
            throw new LinkRefusedException("peer is not a cluster node (bad challenge)");
        if (challenge[4] != Version)
            throw new LinkRefusedException($"peer speaks cluster link version {challenge[4]}, expected {Version}");
        var nonceA = challenge.AsSpan(5, NonceLength).ToArray();

        var auth = new byte[AuthLength];
        RandomNumberGenerator.Fill(auth.AsSpan(0, NonceLength));
        var nonceB = auth.AsSpan(0, NonceLength).ToArray();
        Mac(secret, DialLabel, nonceA, nonceB).CopyTo(auth.AsSpan(NonceLength));
        await SendFrameAsync(s, FrameType.Auth, auth, ct).ConfigureAwait(false);

        (type, byte[] authOk) = await ReadDialerFrameAsync(s, MaxPreAuthFrame,
            "refused by peer (wrong cluster secret?)", ct).ConfigureAwait(false);
        if (type != FrameType.AuthOk || authOk.Length != MacLength
            || !CryptographicOperations.FixedTimeEquals(authOk, Mac(secret, AcceptLabel, nonceA, nonceB)))
            throw new LinkRefusedException("peer does not know the cluster secret");

        await SendFrameAsync(s, FrameType.Hello, EncodeHello(self), ct).ConfigureAwait(false);
        (type, byte[] hello) = await ReadDialerFrameAsync(s, MaxHelloFrame,
            "connection closed by the peer during the handshake", ct).ConfigureAwait(false);
        if (type != FrameType.Hello)
            throw new LinkRefusedException($"peer sent {type} instead of its hello");
        return DecodeHello(hello) ?? throw new LinkRefusedException("peer sent a malformed hello");
    }

    static async Task<(FrameType, byte[])> ReadDialerFrameAsync(Socket s, int maxLength, string closedReason, CancellationToken ct)
    {
        try
        {
            return await ReadFrameAsync(s, maxLength, ct).ConfigureAwait(false);
        }
        catch (EndOfStreamException)
        {
            throw new LinkRefusedException(closedReason);
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionAborted)
        {
            throw new LinkRefusedException(closedReason);
        }
        catch (HandshakeRefusal e)
        {
            throw new LinkRefusedException($"peer is not a cluster node ({e.Message})");
        }
    }

    // ---- acceptor side ----------------------------------------------------------------------

    /// <summary>Throws <see cref="HandshakeRefusal"/>, <see cref="EndOfStreamException"/>, socket errors or cancellation.</summary>
    public static async Task<LinkIdentity> AcceptAsync(Socket s, LinkIdentity self, byte[] secret, CancellationToken ct)
    {
        var challenge = new byte[ChallengeLength];
        Magic.CopyTo(challenge);
        challenge[4] = Version;
        RandomNumberGenerator.Fill(challenge.AsSpan(5));
        var nonceA = challenge.AsSpan(5).ToArray();
        await SendFrameAsync(s, FrameType.Challenge, challenge, ct).ConfigureAwait(false);

        // Before authentication: at most one frame of at most 512 bytes, which must be Auth.
        (FrameType type, byte[] auth) = await ReadFrameAsync(s, MaxPreAuthFrame, ct).ConfigureAwait(false);
        if (type != FrameType.Auth)
            throw new HandshakeRefusal($"expected auth, got frame type {(byte)type}");
        if (auth.Length != AuthLength)
            throw new HandshakeRefusal($"auth of {auth.Length} bytes");
        var nonceB = auth.AsSpan(0, NonceLength).ToArray();
        if (!CryptographicOperations.FixedTimeEquals(auth.AsSpan(NonceLength), Mac(secret, DialLabel, nonceA, nonceB)))
            throw new HandshakeRefusal("wrong cluster secret");

        await SendFrameAsync(s, FrameType.AuthOk, Mac(secret, AcceptLabel, nonceA, nonceB), ct).ConfigureAwait(false);
        await SendFrameAsync(s, FrameType.Hello, EncodeHello(self), ct).ConfigureAwait(false);
        (type, byte[] hello) = await ReadFrameAsync(s, MaxHelloFrame, ct).ConfigureAwait(false);
        if (type != FrameType.Hello)
            throw new HandshakeRefusal($"expected hello, got frame type {(byte)type}");
        return DecodeHello(hello) ?? throw new HandshakeRefusal("malformed hello");
    }

    // ---- shared -----------------------------------------------------------------------------

    static byte[] Mac(byte[] secret, ReadOnlySpan<byte> label, ReadOnlySpan<byte> nonceA, ReadOnlySpan<byte> nonceB)
    {
        Span<byte> data = stackalloc byte[16 + 2 * NonceLength];
        label.CopyTo(data);
        nonceA.CopyTo(data[label.Length..]);
        nonceB.CopyTo(data[(label.Length + NonceLength)..]);
        return HMACSHA256.HashData(secret, data[..(label.Length + 2 * NonceLength)]);
    }

    internal static byte[] EncodeHello(LinkIdentity id)
    {
        var w = new WireWriter(64 + id.NodeId.Length + id.Address.Length);
        w.WriteString(id.NodeId);
        w.WriteInt64(id.Incarnation);
        w.WriteString(id.Address);
        return w.ToArray();
    }

    /// <summary>Null when malformed. Trailing bytes are ignored (room for later fields).</summary>
    internal static LinkIdentity? DecodeHello(byte[] payload)
    {
        try
        {
            var r = new WireReader(payload);
            string? nodeId = r.ReadString();
            long incarnation = r.ReadInt64();
            string? address = r.ReadString();
            if (string.IsNullOrEmpty(nodeId) || address is null)
                return null;
            return new LinkIdentity(nodeId, incarnation, address);
        }
        catch (WireFormatException)
        {
            return null;
        }
    }

    static async Task SendFrameAsync(Socket s, FrameType type, byte[] payload, CancellationToken ct)
    {
        var frame = new byte[Frames.HeaderLength + payload.Length];
        BinaryPrimitives.WriteUInt32LittleEndian(frame, (uint)(payload.Length + 1));
        frame[4] = (byte)type;
        payload.CopyTo(frame.AsSpan(Frames.HeaderLength));
        int sent = 0;
        while (sent < frame.Length)
            sent += await s.SendAsync(frame.AsMemory(sent), SocketFlags.None, ct).ConfigureAwait(false);
    }

    static async Task<(FrameType, byte[])> ReadFrameAsync(Socket s, int maxLength, CancellationToken ct)
    {
        var header = new byte[Frames.HeaderLength];
        await ReadExactlyAsync(s, header, ct).ConfigureAwait(false);
        uint length = BinaryPrimitives.ReadUInt32LittleEndian(header);
        if (length == 0)
            throw new HandshakeRefusal("empty frame");
        if (length > (uint)maxLength)
            throw new HandshakeRefusal($"frame of {length} bytes during the handshake (max {maxLength})");
        var payload = new byte[length - 1];
        await ReadExactlyAsync(s, payload, ct).ConfigureAwait(false);
        return ((FrameType)header[4], payload);
    }

    static async Task ReadExactlyAsync(Socket s, Memory<byte> buffer, CancellationToken ct)
    {
        int read = 0;
        while (read < buffer.Length)
        {
            int n = await s.ReceiveAsync(buffer[read..], SocketFlags.None, ct).ConfigureAwait(false);
            if (n == 0)
                throw new EndOfStreamException("connection closed during the handshake");
            read += n;
        }
    }
}
