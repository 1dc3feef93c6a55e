using System.Net;
using System.Net.Sockets;

namespace CacheCluster.Integration.Tests.Infrastructure;

/// <summary>
/// In-process TCP proxy for network-fault tests (loopback only). Each route listens on one endpoint and forwards
/// every accepted connection to a target endpoint, copying bytes both ways. <see cref="Isolate"/> cuts a node off:
/// it closes (with a reset) every proxied connection whose target is the node's address or whose client comes from
/// it, and refuses new ones (accepted, then reset at once), until <see cref="Heal"/>.
/// </summary>
/// <remarks>
/// Cluster nodes advertise the proxy's listen endpoint, and bind their outgoing links to their own address, so
/// every node-to-node connection passes through here and carries its origin as the client's source address.
/// </remarks>
public sealed class FaultProxy : IAsyncDisposable
{
    private sealed record Route(IPEndPoint Listen, IPEndPoint Target, TcpListener Listener);

    private sealed class Conn(Route route, IPAddress clientIp, Socket client, Socket upstream)
    {
        public Route Route { get; } = route;
        public IPAddress ClientIp { get; } = clientIp;
        public Socket Client { get; } = client;
        public Socket Upstream { get; } = upstream;
        private int _closed;

        public void Close(bool reset)
        {
            if (Interlocked.Exchange(ref _closed, 1) != 0) return;
            foreach (var s in new[] { Client, Upstream })
            {
                try
                {
                    if (reset) s.LingerState = new LingerOption(true, 0);
                    s.Close();
                }
                catch { /* already gone */ }
            }
        }
    }

    private readonly List<Route> _routes = new();
    private readonly HashSet<Conn> _conns = new();
    private readonly HashSet<IPAddress> _isolated = new();
    private readonly object _gate = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _loops = new();

    public long Accepted;
    public long Refused;
    public long Cut;

    /// <summary>Starts forwarding <paramref name="listen"/> → <paramref name="target"/>.</summary>
    public void AddRoute(IPEndPoint listen, IPEndPoint target)
    {
        var l = new TcpListener(listen);
        l.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        l.Start(512);
        var r = new Route(listen, target, l);
        lock (_gate) _routes.Add(r);
        _loops.Add(Task.Run(() => AcceptLoopAsync(r)));
    }

    public void AddRoute(string listenHost, int listenPort, string targetHost, int targetPort) =>
        AddRoute(new IPEndPoint(IPAddress.Parse(listenHost), listenPort), new IPEndPoint(IPAddress.Parse(targetHost), targetPort));

    /// <summary>Cuts the node listening on / dialing from <paramref name="nodeIp"/> off from everything that passes through the proxy.</summary>
    public void Isolate(IPAddress nodeIp)
    {
        List<Conn> victims;
        lock (_gate)
        {
            _isolated.Add(nodeIp);
            victims = _conns.Where(IsCut).ToList();
            foreach (var c in victims) _conns.Remove(c);
        }
        foreach (var c in victims)
        {
            Interlocked.Increment(ref Cut);
            c.Close(reset: true);
        }
    }

    public void Isolate(string nodeIp) => Isolate(IPAddress.Parse(nodeIp));

    /// <summary>Lets everything through again (connections cut before stay closed; peers reconnect).</summary>
    public void Heal()
    {
        lock (_gate) _isolated.Clear();
    }

    public int OpenConnections
    {
        get { lock (_gate) return _conns.Count; }
    }

    private bool IsCut(Conn c) => IsBlocked(c.Route, c.ClientIp);

    private bool IsBlocked(Route r, IPAddress clientIp) => _isolated.Contains(r.Target.Address) || _isolated.Contains(clientIp);

    private async Task AcceptLoopAsync(Route r)
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await r.Listener.AcceptSocketAsync(_stop.Token);
            }
            catch (OperationCanceledException) { return; }
            catch (ObjectDisposedException) { return; }
            catch (SocketException) { continue; }
            _ = Task.Run(() => HandleAsync(r, client));
        }
    }

    private async Task HandleAsync(Route r, Socket client)
    {
        var clientIp = ((IPEndPoint)client.RemoteEndPoint!).Address.MapToIPv4();
        bool blocked;
        lock (_gate) blocked = IsBlocked(r, clientIp);
        if (blocked)
        {
            Interlocked.Increment(ref Refused);
            Reset(client);
            return;
        }
        var upstream = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        client.NoDelay = true;
        try
        {
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
            cts.CancelAfter(TimeSpan.FromSeconds(5));
            await upstream.ConnectAsync(r.Target, cts.Token);
        }
        catch
        {
            upstream.Dispose();
            Reset(client);
            return;
        }
        var conn = new Conn(r, clientIp, client, upstream);
        lock (_gate)
        {
            // isolated while we were connecting upstream
            if (IsBlocked(r, clientIp)) blocked = true;
            else _conns.Add(conn);
        }
        if (blocked)
        {
            Interlocked.Increment(ref Refused);
            conn.Close(reset: true);
            return;
        }
        Interlocked.Increment(ref Accepted);
        var a = PumpAsync(client, upstream);
        var b = PumpAsync(upstream, client);
        await Task.WhenAny(a, b);
        lock (_gate) _conns.Remove(conn);
        conn.Close(reset: false);
        await Task.WhenAll(a, b);
    }

    private async Task PumpAsync(Socket from, Socket to)
    {
        var buf = new byte[64 * 1024];
        try
        {
            while (true)
            {
                var n = await from.ReceiveAsync(buf, SocketFlags.None, _stop.Token);
                if (n == 0) return;
                var sent = 0;
                while (sent < n) sent += await to.SendAsync(buf.AsMemory(sent, n - sent), SocketFlags.None, _stop.Token);
            }
        }
        catch { /* closed, reset or stopping */ }
    }

    private static void Reset(Socket s)
    {
        try
        {
            s.LingerState = new LingerOption(true, 0);
            s.Close();
        }
        catch { }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        List<Conn> all;
        lock (_gate)
        {
            foreach (var r in _routes)
            {
                try { r.Listener.Stop(); } catch { }
            }
            all = _conns.ToList();
            _conns.Clear();
        }
        foreach (var c in all) c.Close(reset: true);
        try { await Task.WhenAll(_loops).WaitAsync(TimeSpan.FromSeconds(5)); } catch { }
        _stop.Dispose();
    }
}
