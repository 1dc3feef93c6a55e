using CacheCluster.Server.Hosting;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;

namespace CacheCluster.Server.Resp;

/// <summary>Kestrel's entry point for the RESP port: one session per connection.</summary>
public sealed class RespConnectionHandler(NodeState node, ILogger<RespConnectionHandler> log) : ConnectionHandler
{
    public override async Task OnConnectedAsync(ConnectionContext connection)
    {
        using var session = new RespSession(node, log,
            connection.RemoteEndPoint?.ToString() ?? "?", connection.LocalEndPoint?.ToString() ?? "?");
        // a stopping node closes its client connections instead of waiting for clients to leave
        using var closing = CancellationTokenSource.CreateLinkedTokenSource(connection.ConnectionClosed, node.Stopping);
        try
        {
            await session.RunAsync(connection.Transport, closing.Token);
        }
        catch (Exception ex)
        {
            // a failing connection is closed; the node stays up
            log.LogWarning(ex, "client {Id} ({Addr}) failed; connection closed", session.Id, session.RemoteAddress);
        }
    }
}
