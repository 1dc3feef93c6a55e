using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;
using CacheCluster.Cluster.Links;
using CacheCluster.Cluster.Wire;
using Microsoft.Extensions.Logging;

namespace CacheCluster.Cluster.Tests.Links;

public class NodeLinkTests
{
    static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Handshake_exchanges_identities_and_frames_flow_both_ways()
    {
        await using var pair = await LinkPair.CreateAsync();

        Assert.Equal(LinkPair.ServerId, pair.Client.Peer);
        Assert.Equal(LinkPair.ClientId, pair.Server.Peer);
        Assert.True(pair.Client.Dialed);
        Assert.False(pair.Server.Dialed);
        Assert.True(pair.Client.IsOpen);
        Assert.True(pair.Server.IsOpen);
        Assert.Equal(pair.Listener.Port, ((IPEndPoint)pair.Client.RemoteEndPoint!).Port);
        Assert.Equal(IPAddress.Loopback, ((IPEndPoint)pair.Server.RemoteEndPoint!).Address);

        pair.Client.Send(FrameType.Heartbeat, "ping"u8);
        var w = new WireWriter();
        w.WriteString("gossip");
        pair.Client.Send(FrameType.Gossip, w);
        pair.Server.Send(FrameType.Welcome, "welcome"u8);
        pair.Server.Send(FrameType.Response, ReadOnlySpan<byte>.Empty);

        Assert.True(pair.ServerHandler.WaitForFrames(2, Wait));
        Assert.True(pair.ClientHandler.WaitForFrames(2, Wait));
        var atServer = pair.ServerHandler.Frames;
        Assert.Equal(FrameType.Heartbeat, atServer[0].Type);
        Assert.Equal("ping"u8.ToArray(), atServer[0].Payload);
        Assert.Same(pair.Server, atServer[0].Link);
        Assert.Equal(FrameType.Gossip, atServer[1].Type);
        Assert.Equal("gossip", new WireReader(atServer[1].Payload).ReadString());
        var atClient = pair.ClientHandler.Frames;
        Assert.Equal(FrameType.Welcome, atClient[0].Type);
        Assert.Equal("welcome"u8.ToArray(), atClient[0].Payload);
        Assert.Same(pair.Client, atClient[0].Link);
        Assert.Equal(FrameType.Response, atClient[1].Type);
        Assert.Empty(atClient[1].Payload);

        Assert.Equal(2, pair.Server.FramesReceived);
        Assert.Equal(2, pair.Client.FramesReceived);
        Assert.True(SpinWait.SpinUntil(() => pair.Client.FramesSent == 2 && pair.Client.QueuedBytes == 0, Wait));
        Assert.True(SpinWait.SpinUntil(() => pair.Server.FramesSent == 2 && pair.Server.QueuedBytes == 0, Wait));
        Assert.Empty(pair.ServerHandler.Closed);
        Assert.Empty(pair.ClientHandler.Closed);
    }

    [Fact]
    public async Task Empty_secret_works()
    {
        await using var pair = await LinkPair.CreateAsync(secret: []);
        pair.Client.Send(FrameType.Join, "j"u8);
        Assert.True(pair.ServerHandler.WaitForFrames(1, Wait));
        Assert.Equal(LinkPair.ClientId, pair.Server.Peer);
    }

    [Fact]
    public async Task Frames_from_four_threads_all_arrive_in_per_thread_order()
    {
        const int Threads = 4;
        const int PerThread = 10_000;
        await using var pair = await LinkPair.CreateAsync();
        var rng = new Random(1);
        var padding = new byte[200];
        rng.NextBytes(padding);

        using var go = new Barrier(Threads);
        var senders = Enumerable.Range(0, Threads).Select(t => new Thread(() =>
        {
            var payload = new byte[8 + t * 50];          // different sizes per thread
            padding.AsSpan(0, t * 50).CopyTo(payload.AsSpan(8));
            go.SignalAndWait();
            for (int i = 0; i < PerThread; i++)
            {
                BinaryPrimitives.WriteInt32LittleEndian(payload, t);
                BinaryPrimitives.WriteInt32LittleEndian(payload.AsSpan(4), i);
                pair.Client.Send(FrameType.Request, payload);
            }
        })).ToList();
        senders.ForEach(s => s.Start());
        senders.ForEach(s => s.Join());

        Assert.True(pair.ServerHandler.WaitForFrames(Threads * PerThread, TimeSpan.FromSeconds(30)),
            $"got {pair.ServerHandler.FrameCount} frames");
        var next = new int[Threads];
        foreach (var (_, type, payload) in pair.ServerHandler.Frames)
        {
            Assert.Equal(FrameType.Request, type);
            int t = BinaryPrimitives.ReadInt32LittleEndian(payload);
            int i = BinaryPrimitives.ReadInt32LittleEndian(payload.AsSpan(4));
            Assert.Equal(next[t], i);
            next[t]++;
            Assert.Equal(8 + t * 50, payload.Length);
            Assert.True(payload.AsSpan(8).SequenceEqual(padding.AsSpan(0, t * 50)));
        }
        Assert.All(next, n => Assert.Equal(PerThread, n));
        Assert.True(SpinWait.SpinUntil(() => pair.Client.FramesSent == Threads * PerThread, Wait));
        Assert.Equal(0, pair.Client.QueuedBytes);
        Assert.Equal(Threads * PerThread, pair.Server.FramesReceived);
    }

    [Fact]
    public async Task A_20_MB_frame_arrives_intact_both_ways()
    {
        await using var pair = await LinkPair.CreateAsync();
        var big = new byte[20 * 1024 * 1024];
        new Random(20).NextBytes(big);
        pair.Client.Send(FrameType.HandoffChunk, "before"u8);
        pair.Client.Send(FrameType.HandoffChunk, big);
        pair.Client.Send(FrameType.HandoffEnd, "after"u8);
        pair.Server.Send(FrameType.HandoffChunk, big);

        Assert.True(pair.ServerHandler.WaitForFrames(3, TimeSpan.FromSeconds(30)));
        var frames = pair.ServerHandler.Frames;
        Assert.Equal("before"u8.ToArray(), frames[0].Payload);
        Assert.Equal(big.Length, frames[1].Payload.Length);
        Assert.True(big.AsSpan().SequenceEqual(frames[1].Payload));
        Assert.Equal(FrameType.HandoffEnd, frames[2].Type);
        Assert.True(pair.ClientHandler.WaitForFrames(1, TimeSpan.FromSeconds(30)));
        Assert.True(big.AsSpan().SequenceEqual(pair.ClientHandler.Frames[0].Payload));
    }

    [Fact]
    public async Task Wrong_secret_is_refused_and_logged_and_never_accepted()
    {
        var log = new RecordingLogger();
        var handler = new RecordingHandler();
        int accepted = 0;
        using var listener = new LinkListener(IPAddress.Loopback, 0, LinkPair.ServerId, LinkPair.Secret, handler,
            _ => { Interlocked.Increment(ref accepted); return true; }, log);
        listener.Start();

        var ex = await Assert.ThrowsAsync<LinkRefusedException>(() => NodeLink.DialAsync("127.0.0.1", listener.Port, null,
            LinkPair.ClientId, Encoding.UTF8.GetBytes("not the secret"), new RecordingHandler(), new RecordingLogger(), TimeSpan.FromSeconds(5)));
        Assert.Equal("refused by peer (wrong cluster secret?)", ex.Message);
        Assert.True(await log.WaitFor(LogLevel.Warning, "refused: wrong cluster secret", Wait), log.ToString());
        Assert.Contains(log.Entries, e => e.Message.StartsWith("cluster link from 127.0.0.1:", StringComparison.Ordinal));
        Assert.Equal(0, Volatile.Read(ref accepted));
        Assert.Empty(handler.Closed);

        // an empty secret against a non-empty one is wrong as well
        await Assert.ThrowsAsync<LinkRefusedException>(() => NodeLink.DialAsync("127.0.0.1", listener.Port, null,
            LinkPair.ClientId, [], new RecordingHandler(), new RecordingLogger(), TimeSpan.FromSeconds(5)));
        Assert.Equal(0, Volatile.Read(ref accepted));
    }

    [Fact]
    public async Task Acceptor_that_does_not_know_the_secret_is_refused_by_the_dialer()
    {
        using var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        server.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        server.Listen();
        var fake = Task.Run(async () =>
        {
            using var s = await server.AcceptAsync();
            await s.SendAsync(RawPeer.Frame(FrameType.Challenge, [.. "CCL1"u8, 1, .. new byte[32]]));
            await RawPeer.ReadFrameAsync(s, TimeSpan.FromSeconds(5));            // the auth
            await s.SendAsync(RawPeer.Frame(FrameType.AuthOk, new byte[32]));  // a guess
            await RawPeer.TimeUntilClosedAsync(s, TimeSpan.FromSeconds(5));
        });
        var ex = await Assert.ThrowsAsync<LinkRefusedException>(() => NodeLink.DialAsync("127.0.0.1", ((IPEndPoint)server.LocalEndPoint!).Port,
            null, LinkPair.ClientId, LinkPair.Secret, new RecordingHandler(), new RecordingLogger(), TimeSpan.FromSeconds(5)));
        Assert.Equal("peer does not know the cluster secret", ex.Message);
        await fake.WaitAsync(Wait);
    }

    [Fact]
    public async Task Dialing_something_that_is_not_a_cluster_port_is_refused()
    {
        using var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        server.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        server.Listen();
        var fake = Task.Run(async () =>
        {
            using var s = await server.AcceptAsync();
            await s.SendAsync("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"u8.ToArray());
            await RawPeer.TimeUntilClosedAsync(s, TimeSpan.FromSeconds(5));
        });
        await Assert.ThrowsAsync<LinkRefusedException>(() => NodeLink.DialAsync("127.0.0.1", ((IPEndPoint)server.LocalEndPoint!).Port,
            null, LinkPair.ClientId, LinkPair.Secret, new RecordingHandler(), new RecordingLogger(), TimeSpan.FromSeconds(5)));
        await fake.WaitAsync(Wait);
    }

    [Fact]
    public async Task Dial_times_out_when_the_peer_stays_silent_and_fails_on_a_closed_port()
    {
        using var silent = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        silent.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        silent.Listen();   // the kernel accepts; nobody ever sends a challenge
        var started = DateTime.UtcNow;
        await Assert.ThrowsAsync<TimeoutException>(() => NodeLink.DialAsync("127.0.0.1", ((IPEndPoint)silent.LocalEndPoint!).Port,
            null, LinkPair.ClientId, LinkPair.Secret, new RecordingHandler(), new RecordingLogger(), TimeSpan.FromMilliseconds(500)));
        Assert.InRange((DateTime.UtcNow - started).TotalSeconds, 0.4, 4);

        int closedPort;
        using (var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            closedPort = ((IPEndPoint)probe.LocalEndPoint!).Port;
        }
        await Assert.ThrowsAsync<SocketException>(() => NodeLink.DialAsync("127.0.0.1", closedPort,
            null, LinkPair.ClientId, LinkPair.Secret, new RecordingHandler(), new RecordingLogger(), TimeSpan.FromSeconds(5)));

        using var cts = new CancellationTokenSource(200);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => NodeLink.DialAsync("127.0.0.1", ((IPEndPoint)silent.LocalEndPoint!).Port,
            null, LinkPair.ClientId, LinkPair.Secret, new RecordingHandler(), new RecordingLogger(), TimeSpan.FromSeconds(5), cts.Token));
    }

    [Fact]
    public async Task Dial_binds_the_local_end_when_asked()
    {
        var handler = new RecordingHandler();
        var accepted = new TaskCompletionSource<NodeLink>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var listener = new LinkListener(IPAddress.Loopback, 0, LinkPair.ServerId, LinkPair.Secret, handler,
            l => { accepted.TrySetResult(l); return true; }, new RecordingLogger());
        listener.Start();
        using var client = await NodeLink.DialAsync("localhost", listener.Port, "127.0.0.1", LinkPair.ClientId, LinkPair.Secret,
            new RecordingHandler(), new RecordingLogger(), TimeSpan.FromSeconds(5));
        using var server = await accepted.Task.WaitAsync(Wait);
        Assert.Equal(IPAddress.Loopback, ((IPEndPoint)server.RemoteEndPoint!).Address);
        Assert.Equal(LinkPair.ClientId, server.Peer);
    }

    [Fact]
    public async Task Closing_one_side_fires_on_closed_once_on_both_sides()
    {
        var pair = await LinkPair.CreateAsync();
        await using var _ = pair;
        pair.Client.Close("bye");
        Assert.True(pair.ServerHandler.WaitForClosed(1, Wait));
        Assert.True(pair.ClientHandler.WaitForClosed(1, Wait));
        Assert.False(pair.Client.IsOpen);
        Assert.True(SpinWait.SpinUntil(() => !pair.Server.IsOpen, Wait));

        pair.Client.Close("again");
        pair.Client.Dispose();
        pair.Server.Close("late");
        pair.Client.Send(FrameType.Heartbeat, "ignored"u8);   // silent no-op
        pair.Server.Send(FrameType.Heartbeat, "ignored"u8);
        await Task.Delay(300);

        var client = Assert.Single(pair.ClientHandler.Closed);
        Assert.Same(pair.Client, client.Link);
        Assert.Equal("bye", client.Reason);
        var server = Assert.Single(pair.ServerHandler.Closed);
        Assert.Same(pair.Server, server.Link);
        Assert.Equal("connection closed by peer", server.Reason);
        Assert.Empty(pair.ServerHandler.Frames);
    }

    [Fact]
    public async Task Frames_queued_before_close_are_flushed_before_the_connection_ends()
    {
        await using var pair = await LinkPair.CreateAsync();
        for (int i = 0; i < 100; i++)
            pair.Server.Send(FrameType.Gossip, new byte[1000]);
        pair.Server.Send(FrameType.JoinRefused, "go away"u8);
        pair.Server.Close("refused the join");

        Assert.True(pair.ClientHandler.WaitForClosed(1, Wait));
        var frames = pair.ClientHandler.Frames;
        Assert.Equal(101, frames.Count);
        Assert.Equal(FrameType.JoinRefused, frames[^1].Type);
        Assert.Equal("go away"u8.ToArray(), frames[^1].Payload);
        Assert.True(pair.ServerHandler.WaitForClosed(1, Wait));
        Assert.Equal("refused the join", pair.ServerHandler.Closed[0].Reason);
    }

    [Fact]
    public async Task Frames_sent_before_start_wait_and_no_frame_is_read_before_start()
    {
        await using var pair = await LinkPair.CreateAsync(startClient: false);
        pair.Client.Send(FrameType.Join, "early"u8);       // queued until Start
        pair.Server.Send(FrameType.Welcome, "w"u8);        // waits in the socket until the client starts
        await Task.Delay(300);
        Assert.Equal(0, pair.ServerHandler.FrameCount);
        Assert.Equal(0, pair.ClientHandler.FrameCount);
        Assert.True(pair.Client.QueuedBytes > 0);

        pair.Client.Start();
        pair.Client.Start();   // idempotent
        Assert.True(pair.ServerHandler.WaitForFrames(1, Wait));
        Assert.True(pair.ClientHandler.WaitForFrames(1, Wait));
        Assert.Equal("early"u8.ToArray(), pair.ServerHandler.Frames[0].Payload);
        Assert.Equal("w"u8.ToArray(), pair.ClientHandler.Frames[0].Payload);
    }

    [Fact]
    public async Task A_link_closed_before_start_reports_on_closed_once_when_started()
    {
        await using var pair = await LinkPair.CreateAsync(startClient: false);
        pair.Client.Close("changed my mind");
        await Task.Delay(100);
        Assert.Empty(pair.ClientHandler.Closed);           // never started: no OnClosed yet
        pair.Client.Start();
        Assert.True(pair.ClientHandler.WaitForClosed(1, Wait));
        Assert.Equal("changed my mind", pair.ClientHandler.Closed[0].Reason);
        Assert.True(pair.ServerHandler.WaitForClosed(1, Wait));
        await Task.Delay(200);
        Assert.Single(pair.ClientHandler.Closed);
    }

    [Fact]
    public async Task Handler_may_close_its_own_link_from_on_frame()
    {
        await using var pair = await LinkPair.CreateAsync();
        pair.ServerHandler.OnFrameHook = (link, type, _) =>
        {
            if (type == FrameType.Leave)
                link.Close("peer left");
        };
        pair.Client.Send(FrameType.Heartbeat, "1"u8);
        pair.Client.Send(FrameType.Leave, "2"u8);
        pair.Client.Send(FrameType.Heartbeat, "3"u8);       // after the close: never delivered
        Assert.True(pair.ServerHandler.WaitForClosed(1, Wait));
        Assert.Equal("peer left", pair.ServerHandler.Closed[0].Reason);
        Assert.Equal(2, pair.ServerHandler.FrameCount);
        Assert.True(pair.ClientHandler.WaitForClosed(1, Wait));
    }

    [Fact]
    public async Task A_handler_exception_closes_the_link()
    {
        await using var pair = await LinkPair.CreateAsync();
        pair.ServerHandler.OnFrameHook = (_, _, _) => throw new InvalidOperationException("boom");
        pair.Client.Send(FrameType.Gossip, "x"u8);
        Assert.True(pair.ServerHandler.WaitForClosed(1, Wait));
        Assert.Contains("boom", pair.ServerHandler.Closed[0].Reason);
        Assert.True(pair.ServerLog.Has(LogLevel.Error, "handler failed"));
        Assert.True(pair.ClientHandler.WaitForClosed(1, Wait));
    }

    [Fact]
    public async Task An_oversized_frame_after_the_handshake_closes_the_link()
    {
        var handler = new RecordingHandler();
        var accepted = new TaskCompletionSource<NodeLink>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var listener = new LinkListener(IPAddress.Loopback, 0, LinkPair.ServerId, LinkPair.Secret, handler,
            l => { accepted.TrySetResult(l); return true; }, new RecordingLogger());
        listener.Start();

        var (raw, peer) = await RawPeer.DialAsync(listener.Port, LinkPair.Secret, LinkPair.ClientId);
        using var _ = raw;
        Assert.Equal(LinkPair.ServerId, peer);
        var link = await accepted.Task.WaitAsync(Wait);
        Assert.Equal(LinkPair.ClientId, link.Peer);

        await raw.SendAsync(RawPeer.Frame(FrameType.Heartbeat, "ok"u8));
        var header = new byte[5];
        BinaryPrimitives.WriteUInt32LittleEndian(header, Frames.MaxLength + 1u);
        header[4] = (byte)FrameType.HandoffChunk;
        await raw.SendAsync(header);

        Assert.True(handler.WaitForClosed(1, Wait));
        Assert.Equal("frame too large", handler.Closed[0].Reason);
        Assert.Single(handler.Frames);
        Assert.NotEqual(TimeSpan.MaxValue, await RawPeer.TimeUntilClosedAsync(raw, TimeSpan.FromSeconds(6)));
    }

    [Fact]
    public async Task Close_half_closes_after_the_last_frame_and_gives_up_on_a_peer_that_never_closes()
    {
        var handler = new RecordingHandler();
        var accepted = new TaskCompletionSource<NodeLink>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var listener = new LinkListener(IPAddress.Loopback, 0, LinkPair.ServerId, LinkPair.Secret, handler,
            l => { accepted.TrySetResult(l); return true; }, new RecordingLogger());
        listener.Start();
        var (raw, _) = await RawPeer.DialAsync(listener.Port, LinkPair.Secret, LinkPair.ClientId);
        using var _ = raw;
        var link = await accepted.Task.WaitAsync(Wait);

        link.Send(FrameType.Leave, "last words"u8);
        var started = DateTime.UtcNow;
        link.Close("leaving");
        var (type, payload) = await RawPeer.ReadFrameAsync(raw, Wait);
        Assert.Equal(FrameType.Leave, type);
        Assert.Equal("last words"u8.ToArray(), payload);
        Assert.Equal(0, await raw.ReceiveAsync(new byte[16], SocketFlags.None));   // EOF right after it

        // the raw peer keeps its side open: the link releases the socket after the drain timeout
        Assert.True(handler.WaitForClosed(1, Wait));
        Assert.InRange((DateTime.UtcNow - started).TotalSeconds, NodeLink.DrainTimeout.TotalSeconds - 0.5, NodeLink.DrainTimeout.TotalSeconds + 3);
        Assert.Equal("leaving", Assert.Single(handler.Closed).Reason);
    }

    [Fact]
    public async Task Close_does_not_hang_on_a_peer_that_stopped_reading()
    {
        var handler = new RecordingHandler();
        var accepted = new TaskCompletionSource<NodeLink>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var listener = new LinkListener(IPAddress.Loopback, 0, LinkPair.ServerId, LinkPair.Secret, handler,
            l => { accepted.TrySetResult(l); return true; }, new RecordingLogger());
        listener.Start();
        var (raw, _) = await RawPeer.DialAsync(listener.Port, LinkPair.Secret, LinkPair.ClientId);
        using var _ = raw;
        var link = await accepted.Task.WaitAsync(Wait);

        var chunk = new byte[1024 * 1024];
        for (int i = 0; i < 64; i++)
            link.Send(FrameType.HandoffChunk, chunk);       // never blocks, whatever the socket does
        await Task.Delay(300);
        Assert.True(link.QueuedBytes > 0, "the kernel buffers should not hold 64 MB");
        Assert.True(link.FramesSent < 64);

        var started = DateTime.UtcNow;
        link.Close("peer stuck");
        Assert.True(handler.WaitForClosed(1, Wait));
        Assert.InRange((DateTime.UtcNow - started).TotalSeconds, 0, NodeLink.DrainTimeout.TotalSeconds + 3);
        Assert.Equal("peer stuck", handler.Closed[0].Reason);
    }

    [Fact]
    public async Task A_peer_process_that_dies_is_reported_once()
    {
        var handler = new RecordingHandler();
        var accepted = new TaskCompletionSource<NodeLink>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var listener = new LinkListener(IPAddress.Loopback, 0, LinkPair.ServerId, LinkPair.Secret, handler,
            l => { accepted.TrySetResult(l); return true; }, new RecordingLogger());
        listener.Start();
        var (raw, _) = await RawPeer.DialAsync(listener.Port, LinkPair.Secret, LinkPair.ClientId);
        using var link = await accepted.Task.WaitAsync(Wait);
        await raw.SendAsync(RawPeer.Frame(FrameType.Heartbeat, "alive"u8));
        Assert.True(handler.WaitForFrames(1, Wait));

        raw.Close(0);                                    // what the kernel does when the process dies
        Assert.True(handler.WaitForClosed(1, Wait));
        Assert.False(link.IsOpen);
        link.Send(FrameType.Heartbeat, "x"u8);           // no-op
        link.Close("again");
        await Task.Delay(300);
        var closed = Assert.Single(handler.Closed);
        Assert.Same(link, closed.Link);
        Assert.True(closed.Reason is "connection closed by peer" || closed.Reason.StartsWith("receive failed", StringComparison.Ordinal), closed.Reason);
    }
}
