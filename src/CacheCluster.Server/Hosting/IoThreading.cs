namespace CacheCluster.Server.Hosting;

/// <summary>
/// Where a connection's work runs. By default inline: the socket engine's epoll thread completes
/// the read, runs the session (parse, execute on idle shards, format) and sends the reply itself,
/// instead of handing each step to the thread pool. Measured (bench/README.md): ~12-15% less CPU
/// per request at pipeline 1 and a lower p50, the same at pipeline 16. Nothing on that path
/// blocks (waits for shards or the journal are awaited), which is what inline completions need.
/// Set DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=0 to go back to thread-pool dispatch.
/// </summary>
public static class IoThreading
{
    const string Variable = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    /// <summary>True when sockets complete inline (so Kestrel should schedule inline too).</summary>
    public static bool Inline => Environment.GetEnvironmentVariable(Variable) == "1";

    /// <summary>Must run before any socket exists: the runtime reads the variable once, when its socket engine starts.</summary>
    public static void ConfigureBeforeFirstSocket()
    {
        if (Environment.GetEnvironmentVariable(Variable) == null) Environment.SetEnvironmentVariable(Variable, "1");
    }
}
