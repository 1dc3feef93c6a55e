namespace CacheCluster.Server.Hosting;

/// <summary>
/// Where a connection's work runs. A single node runs it inline: the socket engine's epoll thread
/// completes the read, runs the session (parse, execute on idle shards, format) and sends the
/// reply itself, instead of handing each step to the thread pool. Measured (bench/README.md):
/// ~12-15% less CPU per request at pipeline 1 and a lower p50, the same at pipeline 16.
/// A cluster member does not: its node links' synchronous sends and receives also wait on the
/// socket engine, and their heartbeats must never queue behind client work (a partition test
/// under load saw a node's links starve). The environment variable, when set, decides
/// (DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=0 or 1).
/// </summary>
public static class IoThreading
{
    const string Variable = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    /// <summary>True when sockets complete inline (so Kestrel should schedule inline too).</summary>
    public static bool Inline => Environment.GetEnvironmentVariable(Variable) == "1";

    /// <summary>
    /// Must run before the process's first asynchronous socket operation: the runtime reads the
    /// variable once, when its socket engine starts.
    /// </summary>
    public static void ConfigureBeforeFirstSocket(bool clusterMember)
    {
        if (Environment.GetEnvironmentVariable(Variable) == null)
            Environment.SetEnvironmentVariable(Variable, clusterMember ? "0" : "1");
    }
}
