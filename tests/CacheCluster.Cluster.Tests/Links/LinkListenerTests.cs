using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using CacheCluster.Cluster.Links;
using CacheCluster.Cluster.Wire;
using Microsoft.Extensions.Logging;

namespace CacheCluster.Cluster.Tests.Links;

public class LinkListenerTests
{
    static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    sealed class Server : IDisposable
    {
        public readonly RecordingLogger Log = new();
        public readonly RecordingHandler Handler = new();
        public readonly List<NodeLink> Accepted = new();
        public readonly LinkListener Listener;
        public Func<NodeLink, bool> Decide = _ => true;

        public Server()
        {
            Listener = new LinkListener(IPAddress.Loopback, 0, LinkPair.ServerId, LinkPair.Secret, Handler, link =>
            {
                lock (Accepted)
                    Accepted.Add(link);
                return Decide(link);
            }, Log);
            Listener.Start();
        }

        public int AcceptedCount
        {
            get { lock (Accepted) return Accepted.Count; }
        }

        /// <summary>A real link works: handshake, a frame each way.</summary>
        public async Task AssertGoodLinkWorksAsync()
        {
            var clientHandler = new RecordingHandler();
            int before = AcceptedCount;
            using var client = await NodeLink.DialAsync("127.0.0.1", Listener.Port, null, LinkPair.ClientId, LinkPair.Secret,
                clientHandler, new RecordingLogger(), TimeSpan.FromSeconds(5));
            client.Start();
            Assert.True(SpinWait.SpinUntil(() => AcceptedCount == before + 1, Wait));
            NodeLink accepted;
            lock (Accepted)
                accepted = Accepted[^1];
            int frames = Handler.FrameCount;
            client.Send(FrameType.Heartbeat, "hb"u8);
            accepted.Send(FrameType.Heartbeat, "hb-back"u8);
            Assert.True(Handler.WaitForFrames(frames + 1, Wait));
            Assert.True(clientHandler.WaitForFrames(1, Wait));
            Assert.Equal("hb-back"u8.ToArray(), clientHandler.Frames[0].Payload);
        }

        public void Dispose()
        {
            Listener.Dispose();
            lock (Accepted)
                Accepted.ForEach(l => l.Dispose());
        }
    }

    public static IEnumerable<object[]> Garbage()
    {
        yield return new object[] { "http", "GET / HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray() };
        var random = new byte[1024 * 1024];
        new Random(42).NextBytes(random);
        yield return new object[] { "random-1MB", random };
        var twoGb = new byte[5];
        BinaryPrimitives.WriteUInt32LittleEndian(twoGb, 0x8000_0000);
        twoGb[4] = (byte)FrameType.Auth;
        yield return new object[] { "2GB-prefix", twoGb };
        yield return new object[] { "oversized-auth", RawPeer.Frame(FrameType.Auth, new byte[600]) };
        yield return new object[] { "hello-before-auth", RawPeer.Frame(FrameType.Hello, RawPeer.Hello(LinkPair.ClientId)) };
        yield return new object[] { "short-auth", RawPeer.Frame(FrameType.Auth, new byte[63]) };
        yield return new object[] { "empty-frame", new byte[] { 0, 0, 0, 0, 0 } };
    }

    [Theory]
    [MemberData(nameof(Garbage))]
    public async Task Garbage_is_refused_logged_and_closed_and_the_listener_keeps_accepting(string name, byte[] garbage)
    {
        using var server = new Server();
        using (var raw = await RawPeer.ConnectAsync(server.Listener.Port))
        {
            var send = Task.Run(async () =>
            {
                try
                {
                    int sent = 0;
                    while (sent < garbage.Length)
                        sent += await raw.SendAsync(garbage.AsMemory(sent), SocketFlags.None);
                }
                catch (SocketException)
                {
                    // the listener hung up while we were still sending: that is the point
                }
            });
            var closedAfter = await RawPeer.TimeUntilClosedAsync(raw, TimeSpan.FromSeconds(6));
            Assert.True(closedAfter < TimeSpan.FromSeconds(6), $"{name}: not closed within 6 s");
            await send.WaitAsync(Wait);
        }
        Assert.True(await server.Log.WaitFor(LogLevel.Warning, "refused:", Wait), server.Log.ToString());
        Assert.Contains(server.Log.Entries, e => e.Level == LogLevel.Warning && e.Message.StartsWith("cluster link from 127.0.0.1:", StringComparison.Ordinal));
        Assert.Equal(0, server.AcceptedCount);

        await server.AssertGoodLinkWorksAsync();
        Assert.Equal(1, server.AcceptedCount);
    }

    [Fact]
    public async Task A_silent_client_is_closed_after_the_handshake_timeout()
    {
        using var server = new Server();
        using var raw = await RawPeer.ConnectAsync(server.Listener.Port);
        var (type, _) = await RawPeer.ReadFrameAsync(raw, TimeSpan.FromSeconds(5));   // the challenge comes at once
        Assert.Equal(FrameType.Challenge, type);

        // meanwhile a good link is not held up by the silent one
        await server.AssertGoodLinkWorksAsync();

        var closedAfter = await RawPeer.TimeUntilClosedAsync(raw, TimeSpan.FromSeconds(8));
        Assert.InRange(closedAfter.TotalSeconds, 3, 6.5);
        Assert.True(await server.Log.WaitFor(LogLevel.Warning, "refused: handshake timed out", Wait), server.Log.ToString());
    }

    [Fact]
    public async Task A_client_that_authenticates_then_stalls_before_hello_is_closed_too()
    {
        using var server = new Server();
        using var raw = await RawPeer.ConnectAsync(server.Listener.Port);
        var (_, challenge) = await RawPeer.ReadFrameAsync(raw, TimeSpan.FromSeconds(5));
        var nonceA = challenge[5..];
        var nonceB = new byte[32];
        await raw.SendAsync(RawPeer.Frame(FrameType.Auth, [.. nonceB, .. RawPeer.Mac(LinkPair.Secret, "cc-dial", nonceA, nonceB)]));
        var (type, _) = await RawPeer.ReadFrameAsync(raw, TimeSpan.FromSeconds(5));
        Assert.Equal(FrameType.AuthOk, type);
        var closedAfter = await RawPeer.TimeUntilClosedAsync(raw, TimeSpan.FromSeconds(8));
        Assert.NotEqual(TimeSpan.MaxValue, closedAfter);
        Assert.True(await server.Log.WaitFor(LogLevel.Warning, "refused: handshake timed out", Wait), server.Log.ToString());
        Assert.Equal(0, server.AcceptedCount);
    }

    [Fact]
    public async Task On_accepted_returning_false_closes_the_link()
    {
        using var server = new Server { Decide = _ => false };
        var clientHandler = new RecordingHandler();
        using var client = await NodeLink.DialAsync("127.0.0.1", server.Listener.Port, null, LinkPair.ClientId, LinkPair.Secret,
            clientHandler, new RecordingLogger(), TimeSpan.FromSeconds(5));
        client.Start();
        Assert.True(clientHandler.WaitForClosed(1, Wait));
        Assert.Equal("connection closed by peer", clientHandler.Closed[0].Reason);
        Assert.False(client.IsOpen);
        Assert.Equal(1, server.AcceptedCount);
        Assert.False(server.Accepted[0].IsOpen);
        Assert.Equal(LinkPair.ClientId, server.Accepted[0].Peer);
        Assert.Empty(server.Handler.Closed);     // never started: no OnClosed on the listener side
    }

    [Fact]
    public async Task A_frame_sent_while_refusing_in_on_accepted_still_reaches_the_dialer()
    {
        using var server = new Server
        {
            Decide = link =>
            {
                link.Send(FrameType.JoinRefused, "incarnation too old"u8);
                return false;
            },
        };
        var clientHandler = new RecordingHandler();
        using var client = await NodeLink.DialAsync("127.0.0.1", server.Listener.Port, null, LinkPair.ClientId, LinkPair.Secret,
            clientHandler, new RecordingLogger(), TimeSpan.FromSeconds(5));
        client.Start();
        Assert.True(clientHandler.WaitForClosed(1, Wait));
        var frame = Assert.Single(clientHandler.Frames);
        Assert.Equal(FrameType.JoinRefused, frame.Type);
        Assert.Equal("incarnation too old"u8.ToArray(), frame.Payload);
    }

    [Fact]
    public async Task Many_links_at_once_are_all_accepted()
    {
        using var server = new Server();
        var handlers = Enumerable.Range(0, 20).Select(_ => new RecordingHandler()).ToArray();
        var links = await Task.WhenAll(handlers.Select((h, i) => NodeLink.DialAsync("127.0.0.1", server.Listener.Port, null,
            new LinkIdentity($"node-{i}", i, $"10.0.0.{i}:7000"), LinkPair.Secret, h, new RecordingLogger(), TimeSpan.FromSeconds(5))));
        try
        {
            Assert.True(SpinWait.SpinUntil(() => server.AcceptedCount == 20, Wait));
            foreach (var link in links)
            {
                link.Start();
                link.Send(FrameType.Heartbeat, System.Text.Encoding.UTF8.GetBytes(link.Peer.NodeId + "<-"));
            }
            Assert.True(server.Handler.WaitForFrames(20, Wait));
            var peers = server.Handler.Frames.Select(f => f.Link.Peer.NodeId).OrderBy(x => x, StringComparer.Ordinal).ToArray();
            Assert.Equal(Enumerable.Range(0, 20).Select(i => $"node-{i}").OrderBy(x => x, StringComparer.Ordinal), peers);
            Assert.All(links, l => Assert.Equal(LinkPair.ServerId, l.Peer));
        }
        finally
        {
            foreach (var link in links)
                link.Dispose();
        }
    }

    [Fact]
    public async Task Disposing_the_listener_stops_accepting()
    {
        var server = new Server();
        int port = server.Listener.Port;
        Assert.NotEqual(0, port);
        server.Dispose();
        await Assert.ThrowsAsync<SocketException>(() => NodeLink.DialAsync("127.0.0.1", port, null, LinkPair.ClientId, LinkPair.Secret,
            new RecordingHandler(), new RecordingLogger(), TimeSpan.FromSeconds(2)));
    }
}
