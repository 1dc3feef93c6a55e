using CacheCluster.Protocols.Memcached;
using CacheCluster.Server.Hosting;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;

namespace CacheCluster.Server.Memcached;

/// <summary>Kestrel's entry point for the memcached port: one session per connection.</summary>
public sealed class McConnectionHandler(NodeState node, McCodecFactory codecs, ILogger<McConnectionHandler> log) : ConnectionHandler
{
    public override async Task OnConnectedAsync(ConnectionContext connection)
    {
        using var session = new McSession(node, log, codecs.Create, connection.RemoteEndPoint?.ToString() ?? "?");
        using var closing = CancellationTokenSource.CreateLinkedTokenSource(connection.ConnectionClosed, node.Stopping);
        try
        {
            await session.RunAsync(connection.Transport, closing.Token);
        }
        catch (Exception ex)
        {
            log.LogWarning(ex, "memcached client {Addr} failed; connection closed", session.RemoteAddress);
        }
    }
}

/// <summary>Makes the codec for a new connection: binary when its first byte is 0x80, else text/meta.</summary>
public sealed class McCodecFactory(McCodecOptions options, Func<McCodecOptions, IMcCodec> binary, Func<McCodecOptions, IMcCodec> text)
{
    public IMcCodec Create(bool isBinary) => isBinary ? binary(options) : text(options);
}
