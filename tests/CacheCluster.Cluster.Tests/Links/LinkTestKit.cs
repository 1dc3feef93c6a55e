using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using CacheCluster.Cluster.Links;
using CacheCluster.Cluster.Wire;
using Microsoft.Extensions.Logging;

namespace CacheCluster.Cluster.Tests.Links;

/// <summary>An ILogger that keeps every formatted message.</summary>
sealed class RecordingLogger : ILogger
{
    readonly ConcurrentQueue<(LogLevel Level, string Message)> _entries = new();

    public IReadOnlyList<(LogLevel Level, string Message)> Entries => _entries.ToArray();

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        => _entries.Enqueue((logLevel, formatter(state, exception)));

    public bool Has(LogLevel level, string fragment) => _entries.Any(e => e.Level == level && e.Message.Contains(fragment, StringComparison.Ordinal));

    public async Task<bool> WaitFor(LogLevel level, string fragment, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (Has(level, fragment))
                return true;
            await Task.Delay(20);
        }
        return Has(level, fragment);
    }

    public override string ToString() => string.Join("\n", _entries.Select(e => $"{e.Level}: {e.Message}"));
}

/// <summary>An ILinkHandler that records frames and closes.</summary>
sealed class RecordingHandler : ILinkHandler
{
    readonly object _gate = new();
    readonly List<(NodeLink Link, FrameType Type, byte[] Payload)> _frames = new();
    readonly List<(NodeLink Link, string Reason)> _closed = new();

    public Action<NodeLink, FrameType, ReadOnlyMemory<byte>>? OnFrameHook;

    public void OnFrame(NodeLink link, FrameType type, ReadOnlyMemory<byte> payload)
    {
        Assert.True(MemoryMarshal.TryGetArray(payload, out var seg));
        Assert.Equal(0, seg.Offset);
        Assert.Equal(seg.Array!.Length, seg.Count);        // an exactly sized array
        OnFrameHook?.Invoke(link, type, payload);
        lock (_gate)
        {
            _frames.Add((link, type, seg.Array));
            Monitor.PulseAll(_gate);
        }
    }

    public void OnClosed(NodeLink link, string reason)
    {
        lock (_gate)
        {
            _closed.Add((link, reason));
            Monitor.PulseAll(_gate);
        }
    }

    public List<(NodeLink Link, FrameType Type, byte[] Payload)> Frames
    {
        get { lock (_gate) return _frames.ToList(); }
    }

    public List<(NodeLink Link, string Reason)> Closed
    {
        get { lock (_gate) return _closed.ToList(); }
    }

    public int FrameCount
    {
        get { lock (_gate) return _frames.Count; }
    }

    public bool WaitForFrames(int count, TimeSpan timeout) => WaitUntil(() => _frames.Count >= count, timeout);

    public bool WaitForClosed(int count, TimeSpan timeout) => WaitUntil(() => _closed.Count >= count, timeout);

    bool WaitUntil(Func<bool> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        lock (_gate)
        {
            while (!condition())
            {
                var left = deadline - DateTime.UtcNow;
                if (left <= TimeSpan.Zero)
                    return false;
                Monitor.Wait(_gate, left);
            }
            return true;
        }
    }
}

/// <summary>A listener and a dialed link on 127.0.0.1, both started.</summary>
sealed class LinkPair : IAsyncDisposable
{
    public static readonly byte[] Secret = Encoding.UTF8.GetBytes("s3cret");
    public static readonly LinkIdentity ServerId = new("node-a", 1_700_000_000_001, "10.0.0.1:7000");
    public static readonly LinkIdentity ClientId = new("node-b", 1_700_000_000_002, "10.0.0.2:7000");

    public RecordingHandler ServerHandler { get; } = new();
    public RecordingHandler ClientHandler { get; } = new();
    public RecordingLogger ServerLog { get; } = new();
    public RecordingLogger ClientLog { get; } = new();
    public LinkListener Listener { get; private set; } = null!;
    public NodeLink Server { get; private set; } = null!;   // the accepted side
    public NodeLink Client { get; private set; } = null!;   // the dialed side

    public static async Task<LinkPair> CreateAsync(byte[]? secret = null, bool startClient = true)
    {
        var pair = new LinkPair();
        var accepted = new TaskCompletionSource<NodeLink>(TaskCreationOptions.RunContinuationsAsynchronously);
        pair.Listener = new LinkListener(IPAddress.Loopback, 0, ServerId, secret ?? Secret, pair.ServerHandler,
            link => { accepted.TrySetResult(link); return true; }, pair.ServerLog);
        pair.Listener.Start();
        pair.Client = await NodeLink.DialAsync("127.0.0.1", pair.Listener.Port, null, ClientId, secret ?? Secret,
            pair.ClientHandler, pair.ClientLog, TimeSpan.FromSeconds(5));
        if (startClient)
            pair.Client.Start();
        pair.Server = await accepted.Task.WaitAsync(TimeSpan.FromSeconds(5));
        return pair;
    }

    public ValueTask DisposeAsync()
    {
        Client?.Dispose();
        Server?.Dispose();
        Listener?.Dispose();
        return ValueTask.CompletedTask;
    }
}

/// <summary>Speaks the handshake by hand on a raw socket (an independent check of the documented format).</summary>
static class RawPeer
{
    public static byte[] Frame(FrameType type, ReadOnlySpan<byte> payload)
    {
        var f = new byte[5 + payload.Length];
        BinaryPrimitives.WriteUInt32LittleEndian(f, (uint)(payload.Length + 1));
        f[4] = (byte)type;
        payload.CopyTo(f.AsSpan(5));
        return f;
    }

    public static async Task<(FrameType Type, byte[] Payload)> ReadFrameAsync(Socket s, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        var header = new byte[5];
        await ReadExactlyAsync(s, header, cts.Token);
        var payload = new byte[BinaryPrimitives.ReadUInt32LittleEndian(header) - 1];
        await ReadExactlyAsync(s, payload, cts.Token);
        return ((FrameType)header[4], payload);
    }

    static async Task ReadExactlyAsync(Socket s, Memory<byte> buffer, CancellationToken ct)
    {
        int read = 0;
        while (read < buffer.Length)
        {
            int n = await s.ReceiveAsync(buffer[read..], SocketFlags.None, ct);
            if (n == 0)
                throw new EndOfStreamException();
            read += n;
        }
    }

    public static byte[] Mac(byte[] secret, string label, byte[] nonceA, byte[] nonceB)
        => HMACSHA256.HashData(secret, Encoding.ASCII.GetBytes(label).Concat(nonceA).Concat(nonceB).ToArray());

    public static byte[] Hello(LinkIdentity id)
    {
        var w = new WireWriter();
        w.WriteString(id.NodeId);
        w.WriteInt64(id.Incarnation);
        w.WriteString(id.Address);
        return w.ToArray();
    }

    public static async Task<Socket> ConnectAsync(int port)
    {
        var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await s.ConnectAsync(IPAddress.Loopback, port);
        return s;
    }

    /// <summary>Dials and completes the handshake as a dialer; returns the socket and the acceptor's identity.</summary>
    public static async Task<(Socket Socket, LinkIdentity Peer)> DialAsync(int port, byte[] secret, LinkIdentity self)
    {
        var s = await ConnectAsync(port);
        var (type, challenge) = await ReadFrameAsync(s, TimeSpan.FromSeconds(5));
        Assert.Equal(FrameType.Challenge, type);
        Assert.Equal(37, challenge.Length);
        Assert.Equal("CCL1"u8.ToArray(), challenge[..4]);
        Assert.Equal(1, challenge[4]);
        var nonceA = challenge[5..];
        var nonceB = RandomNumberGenerator.GetBytes(32);
        await s.SendAsync(Frame(FrameType.Auth, [.. nonceB, .. Mac(secret, "cc-dial", nonceA, nonceB)]));
        (type, var authOk) = await ReadFrameAsync(s, TimeSpan.FromSeconds(5));
        Assert.Equal(FrameType.AuthOk, type);
        Assert.Equal(Mac(secret, "cc-accept", nonceA, nonceB), authOk);
        await s.SendAsync(Frame(FrameType.Hello, Hello(self)));
        (type, var hello) = await ReadFrameAsync(s, TimeSpan.FromSeconds(5));
        Assert.Equal(FrameType.Hello, type);
        var r = new WireReader(hello);
        var peer = new LinkIdentity(r.ReadString()!, r.ReadInt64(), r.ReadString()!);
        return (s, peer);
    }

    /// <summary>Reads (and drops) everything until the peer closes; returns how long that took.</summary>
    public static async Task<TimeSpan> TimeUntilClosedAsync(Socket s, TimeSpan max)
    {
        var started = DateTime.UtcNow;
        using var cts = new CancellationTokenSource(max);
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                int n = await s.ReceiveAsync(buffer, SocketFlags.None, cts.Token);
                if (n == 0)
                    break;
            }
        }
        catch (SocketException)
        {
            // reset by the peer: closed as well
        }
        catch (OperationCanceledException)
        {
            return TimeSpan.MaxValue;
        }
        return DateTime.UtcNow - started;
    }
}
