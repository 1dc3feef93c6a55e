using System.Net;
using System.Net.Sockets;

namespace CacheCluster.Integration.Tests.Infrastructure;

/// <summary>Hands out loopback ports that are currently free and never hands the same port out twice per test run.</summary>
public static class PortAllocator
{
    private static readonly HashSet<int> Handed = new();
    private static readonly object Gate = new();

    public static int GetFreePort()
    {
        lock (Gate)
        {
            for (var attempt = 0; attempt < 200; attempt++)
            {
                var listener = new TcpListener(IPAddress.Loopback, 0);
                listener.Start();
                var port = ((IPEndPoint)listener.LocalEndpoint).Port;
                listener.Stop();
                if (Handed.Add(port)) return port;
            }
            throw new InvalidOperationException("Could not allocate a free loopback port.");
        }
    }
}
