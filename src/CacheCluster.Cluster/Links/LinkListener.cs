using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace CacheCluster.Cluster.Links;

/// <summary>
/// Accepts node links on the cluster port. Every connection does the handshake as acceptor, bounded:
/// before authentication it reads at most one frame of at most 512 bytes, which must be a valid Auth,
/// and the whole handshake must finish within 5 s; otherwise the refusal is logged as a warning and the
/// socket closed. After the handshake <c>onAccepted(link)</c> decides: true → the listener starts the
/// link; false → it closes it (without OnClosed, the link never started).
/// </summary>
public sealed class LinkListener : IDisposable
{
    /// <summary>Handshakes in progress beyond this are refused at once (a flood of idle connections).</summary>
    public const int MaxPendingHandshakes = 256;

    readonly Socket _listener;
    volatile LinkIdentity _self;
    readonly byte[] _secret;
    readonly ILinkHandler _handler;
    readonly Func<NodeLink, bool> _onAccepted;
    readonly ILogger _log;
    readonly CancellationTokenSource _stop = new();
    int _pending;
    int _started;
    int _disposed;

    /// <summary>Binds <paramref name="bind"/>:<paramref name="port"/> at once (so <see cref="Port"/> is known); accepts from <see cref="Start"/>.</summary>
    public LinkListener(IPAddress bind, int port, LinkIdentity self, byte[] secret, ILinkHandler handler,
        Func<NodeLink, bool> onAccepted, ILogger log)
    {
        ArgumentNullException.ThrowIfNull(bind);
        ArgumentNullException.ThrowIfNull(self);
        ArgumentNullException.ThrowIfNull(secret);
        ArgumentNullException.ThrowIfNull(handler);
        ArgumentNullException.ThrowIfNull(onAccepted);
        ArgumentNullException.ThrowIfNull(log);
        _self = self;
        _secret = secret;
        _handler = handler;
        _onAccepted = onAccepted;
        _log = log;
        _listener = new Socket(bind.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (bind.AddressFamily == AddressFamily.InterNetworkV6 && bind.Equals(IPAddress.IPv6Any))
                _listener.DualMode = true;
            _listener.Bind(new IPEndPoint(bind, port));
            Port = ((IPEndPoint)_listener.LocalEndPoint!).Port;
        }
        catch
        {
            _listener.Dispose();
            throw;
        }
    }

    /// <summary>The bound port (the ephemeral one when constructed with port 0).</summary>
    public int Port { get; }

    /// <summary>The identity sent in Hello from now on (a node that rejoins is a new incarnation).</summary>
    public void SetIdentity(LinkIdentity self) => _self = self;

    public void Start()
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (Interlocked.Exchange(ref _started, 1) != 0)
            return;
        _listener.Listen(512);
        _ = Task.Run(AcceptLoopAsync);
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        _stop.Cancel();
        _listener.Dispose();
    }

    async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException e)
            {
                if (_stop.IsCancellationRequested)
                    return;
                _log.LogWarning("cluster port {Port}: accept failed: {Error}", Port, e.SocketErrorCode);
                try
                {
                    await Task.Delay(100, _stop.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                continue;
            }
            _ = HandleAsync(socket);
        }
    }

    async Task HandleAsync(Socket socket)
    {
        string remote = Describe(socket);
        if (Interlocked.Increment(ref _pending) > MaxPendingHandshakes)
        {
            Interlocked.Decrement(ref _pending);
            Refuse(socket, remote, "too many handshakes in progress");
            return;
        }

        NodeLink link;
        try
        {
            socket.NoDelay = true;
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
            timeout.CancelAfter(Handshake.Timeout);
            LinkIdentity peer;
            try
            {
                peer = await Handshake.AcceptAsync(socket, _self, _secret, timeout.Token).ConfigureAwait(false);
            }
            catch (HandshakeRefusal e)
            {
                Refuse(socket, remote, e.Message);
                return;
            }
            catch (OperationCanceledException)
            {
                Refuse(socket, remote, _stop.IsCancellationRequested ? "listener stopped" : "handshake timed out");
                return;
            }
            catch (EndOfStreamException)
            {
                Refuse(socket, remote, "connection closed during the handshake");
                return;
            }
            catch (SocketException e)
            {
                Refuse(socket, remote, $"socket error during the handshake: {e.SocketErrorCode}");
                return;
            }
            catch (ObjectDisposedException)
            {
                Refuse(socket, remote, "listener stopped");
                return;
            }
            link = new NodeLink(socket, peer, dialed: false, _handler, _log);
        }
        catch (Exception e)
        {
            _log.LogError(e, "cluster link from {Remote}: handshake failed", remote);
            socket.Dispose();
            return;
        }
        finally
        {
            Interlocked.Decrement(ref _pending);
        }

        bool accepted;
        try
        {
            accepted = _onAccepted(link);
        }
        catch (Exception e)
        {
            _log.LogError(e, "cluster {Link}: accept callback failed", link);
            accepted = false;
        }
        if (accepted)
            link.Start();
        else
            link.Close("not accepted");
    }

    void Refuse(Socket socket, string remote, string reason)
    {
        _log.LogWarning("cluster link from {Remote} refused: {Reason}", remote, reason);
        socket.Dispose();
    }

    static string Describe(Socket socket)
    {
        try
        {
            return socket.RemoteEndPoint?.ToString() ?? "?";
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            return "?";
        }
    }
}
