using CacheCluster.Integration.Tests.Memcached.Harness;
using System.Diagnostics;
using System.Net.Sockets;
using System.Text.Json;

namespace CacheCluster.Integration.Tests.Infrastructure;

/// <summary>Polling of a multi-process condition that tolerates the transient failures of nodes starting, moving or stopping.</summary>
public static class Poll
{
    /// <summary>
    /// Runs <paramref name="check"/> every 250 ms until it holds; returns how long that took, or null on
    /// timeout (with the last state or transient error seen in <paramref name="last"/>).
    /// </summary>
    public static async Task<(TimeSpan? Elapsed, string Last)> UntilAsync(TimeSpan timeout, Func<Task<(bool Ok, string State)>> check)
    {
        var sw = Stopwatch.StartNew();
        var last = "";
        while (sw.Elapsed < timeout)
        {
            try
            {
                var (ok, state) = await check();
                if (ok) return (sw.Elapsed, state);
                last = state;
            }
            catch (Exception e) when (IsTransient(e))
            {
                last = e.GetType().Name + ": " + e.Message;
            }
            await Task.Delay(250);
        }
        return (null, last);
    }

    static bool IsTransient(Exception e) => e is IOException or SocketException or TimeoutException or EndOfStreamException
        or HttpRequestException or TaskCanceledException or InvalidDataException or JsonException or McClosedException;
}
