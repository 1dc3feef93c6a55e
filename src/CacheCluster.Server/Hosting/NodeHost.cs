using System.Net;
using CacheCluster.Actors;
using CacheCluster.Actors.Shards;
using CacheCluster.Cluster.Node;
using CacheCluster.Core;
using CacheCluster.Persistence;
using CacheCluster.Protocols.Memcached;
using CacheCluster.Protocols.Memcached.Binary;
using CacheCluster.Protocols.Memcached.Text;
using CacheCluster.Server.Admin;
using CacheCluster.Server.Memcached;
using CacheCluster.Server.Resp;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CacheCluster.Server.Hosting;

/// <summary>
/// Wires the layers into one process: the journal, the shards, the RESP and memcached ports and
/// the admin port. Order: check the data directory, listen (answering "loading"), recover the
/// shards, serve; at shutdown: close connections, stop the shards, then drain the journal.
/// </summary>
public static class NodeHost
{
    /// <summary>Runs the node until it is stopped; returns the process exit code.</summary>
    public static async Task<int> RunAsync(NodeOptions options)
    {
        IoThreading.ConfigureBeforeFirstSocket(options.ClusterEnabled);
        // The journal is opened (and checked) before anything listens; its logger has the host's format.
        using var journalLoggers = LoggerFactory.Create(ConfigureLogging);
        var journal = DataDirectory.Open(options, journalLoggers.CreateLogger("CacheCluster.Journal"));
        using var closeJournal = journal;

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        ConfigureLogging(builder.Logging);
        // a cluster member hands its shards off before it stops (SIGTERM = graceful leave)
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(options.ClusterEnabled ? 120 : 30));

        var address = ResolveBind(options.Bind);
        if (IoThreading.Inline) builder.WebHost.UseSockets(o => o.UnsafePreferInlineScheduling = true);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(address, options.RespPort, l => l.UseConnectionHandler<RespConnectionHandler>());
            if (options.MemcachedPort != 0)
                k.Listen(address, options.MemcachedPort, l => l.UseConnectionHandler<McConnectionHandler>());
            if (options.AdminPort != 0) k.Listen(address, options.AdminPort);
        });

        builder.Services.AddSingleton(new McCodecFactory(new McCodecOptions { MaxItemSize = options.MaxItemSize },
            o => new McBinaryCodec(o), o => new McTextCodec(o)));
        builder.Services.AddSingleton(sp =>
        {
            var loggers = sp.GetRequiredService<ILoggerFactory>();
            var system = new ActorSystem(options.NodeId, loggers);
            var region = new ShardRegion(system, new ShardRegionOptions
            {
                ShardCount = options.Shards,
                MaxMemoryBytes = options.MaxMemory,
                Policy = options.MaxMemoryPolicy,
                Journal = journal,
                Log = loggers.CreateLogger("CacheCluster.Shards"),
                ClusterMode = options.ClusterEnabled,
            });
            return new NodeState(options, system, region, SystemClock.Instance, journal);
        });

        await using var app = builder.Build();
        var log = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("CacheCluster");
        var node = app.Services.GetRequiredService<NodeState>();
        AdminEndpoints.Map(app, node);

        log.LogInformation("node {Node}: {Shards} shards, maxmemory {Max} ({Policy}), durability {Durability}, journal {Path}",
            options.NodeId, options.Shards, options.MaxMemory == 0 ? "unlimited" : ByteSize.Format(options.MaxMemory),
            EvictionPolicies.Name(options.MaxMemoryPolicy), Durabilities.Name(options.Durability), journal.Path);
        app.Lifetime.ApplicationStarted.Register(() =>
            log.LogInformation("Listening (data commands answer LOADING until recovery ends): RESP on {Bind}:{Resp}, memcached on {Bind}:{Mc}, admin on {Bind}:{Admin}",
                options.Bind, options.RespPort, options.Bind, options.MemcachedPort, options.Bind, options.AdminPort));
        app.Lifetime.ApplicationStopping.Register(() =>
        {
            // leave first, still serving: clients see no error while the shards move
            if (node.Cluster is { } cluster) cluster.LeaveAsync(TimeSpan.FromSeconds(90)).GetAwaiter().GetResult();
            log.LogInformation("shutting down: closing {Clients} client connections", node.Clients.Count);
            node.BeginStopping();
        });

        await app.StartAsync();
        int exitCode = 0;
        try
        {
            await node.Region.StartAsync(app.Lifetime.ApplicationStopping);
            if (options.ClusterEnabled)
            {
                var cluster = new ClusterNode(new ClusterOptions
                {
                    NodeId = options.NodeId,
                    BindAddress = ResolveBind(options.Bind).ToString(),
                    Port = options.ClusterPort,
                    Advertise = options.AdvertisedAddress,
                    Seeds = options.Seeds,
                    Discovery = options.Discovery == "dns" ? Discovery.Dns : Discovery.Static,
                    DnsName = options.DnsName,
                    Secret = options.ClusterSecret,
                    HostsFile = options.HostsFile,
                    ShardCount = options.Shards,
                }, node.Region, app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("CacheCluster.Cluster"));
                if (options.ClusterSecret.Length == 0)
                    log.LogWarning("cluster: no --cluster-secret set: any process that can reach the cluster port may join");
                node.Cluster = cluster;
                cluster.Start();
            }
            log.LogInformation("Ready to accept connections");
        }
        catch (PersistenceException ex)
        {
            log.LogCritical("cannot recover: {Error}", ex.Message);
            await Console.Error.WriteLineAsync($"cachecluster: {ex.Message}");
            exitCode = 1;
            app.Lifetime.StopApplication();
        }
        catch (OperationCanceledException) when (app.Lifetime.ApplicationStopping.IsCancellationRequested)
        {
            // stopped while recovering
        }
        await app.WaitForShutdownAsync();
        node.Cluster?.Dispose();
        await node.Region.DisposeAsync();
        await node.System.DisposeAsync();
        log.LogInformation("node {Node} stopped", options.NodeId);
        return exitCode;
    }

    static void ConfigureLogging(ILoggingBuilder logging)
    {
        logging.ClearProviders();
        logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "yyyy-MM-dd HH:mm:ss.fff ";
            o.UseUtcTimestamp = true;
        });
        logging.SetMinimumLevel(LogLevel.Information);
        logging.AddFilter("Microsoft", LogLevel.Warning);
    }

    static IPAddress ResolveBind(string bind) => bind == "localhost" ? IPAddress.Loopback : IPAddress.Parse(bind);
}
