using CacheCluster.Server.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace CacheCluster.Server.Admin;

/// <summary>The HTTP admin port: liveness and readiness for probes.</summary>
public static class AdminEndpoints
{
    public static void Map(WebApplication app, NodeState node)
    {
        app.MapGet("/healthz", () => Results.Text("ok\n"));
        // startup probe: 200 once the journal is recovered (recovery of a big journal may take minutes)
        app.MapGet("/startupz", () => node.Region.Started
            ? Results.Text("started\n")
            : Results.Text($"loading: {node.Journal.Progress.ShardsDone}/{node.Region.ShardCount} shards recovered\n",
                statusCode: StatusCodes.Status503ServiceUnavailable));
        // 503 until every shard is recovered from the journal (and, in a cluster, this node is up and serves its shards)
        app.MapGet("/readyz", () => node.Ready
            ? Results.Text("ready\n")
            : Results.Text(node.NotReadyReason + "\n", statusCode: StatusCodes.Status503ServiceUnavailable));
        app.MapGet("/cluster", () => Results.Text(ClusterJson.Write(node), "application/json"));
        app.MapGet("/metrics", Metrics.MetricsEndpoint.Handler(node));
        DrainEndpoints.Map(app, node);
    }
}
