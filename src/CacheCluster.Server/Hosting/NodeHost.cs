using System.Net;
using CacheCluster.Actors;
using CacheCluster.Actors.Shards;
using CacheCluster.Core;
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

/// <summary>Wires the layers into one process: shards, the RESP port and the admin port.</summary>
public static class NodeHost
{
    public static async Task RunAsync(NodeOptions options)
    {
        DataDirectory.Prepare(options);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "yyyy-MM-dd HH:mm:ss.fff ";
            o.UseUtcTimestamp = true;
        });
        builder.Logging.SetMinimumLevel(LogLevel.Information);
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(30));

        var address = ResolveBind(options.Bind);
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
            var system = new ActorSystem(options.NodeId, sp.GetRequiredService<ILoggerFactory>());
            var region = new ShardRegion(system, new ShardRegionOptions
            {
                ShardCount = options.Shards,
                MaxMemoryBytes = options.MaxMemory,
                Policy = options.MaxMemoryPolicy,
            });
            return new NodeState(options, system, region, SystemClock.Instance);
        });

        await using var app = builder.Build();
        var node = app.Services.GetRequiredService<NodeState>();
        var log = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("CacheCluster");
        AdminEndpoints.Map(app, node);

        node.Region.Start();
        log.LogInformation("node {Node}: {Shards} shards started, maxmemory {Max} ({Policy}), data in {Dir}",
            options.NodeId, options.Shards, options.MaxMemory == 0 ? "unlimited" : ByteSize.Format(options.MaxMemory),
            EvictionPolicies.Name(options.MaxMemoryPolicy), Path.GetFullPath(options.DataDir));
        app.Lifetime.ApplicationStarted.Register(() =>
            log.LogInformation("Ready to accept connections: RESP on {Bind}:{Resp}, memcached on {Bind}:{Mc}, admin on {Bind}:{Admin}",
                options.Bind, options.RespPort, options.Bind, options.MemcachedPort, options.Bind, options.AdminPort));
        app.Lifetime.ApplicationStopping.Register(() =>
        {
            log.LogInformation("shutting down: closing {Clients} client connections", node.Clients.Count);
            node.BeginStopping();
        });

        await app.RunAsync();
        await node.Region.DisposeAsync();
        await node.System.DisposeAsync();
        log.LogInformation("node {Node} stopped", options.NodeId);
    }

    static IPAddress ResolveBind(string bind) => bind == "localhost" ? IPAddress.Loopback : IPAddress.Parse(bind);
}
