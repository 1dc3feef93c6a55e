using System.Text.Json;
using CacheCluster.Server.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace CacheCluster.Server.Admin;

/// <summary>
/// POST /drain hands every local shard off (the Kubernetes preStop hook, via the `drain` CLI);
/// the node keeps running and forwarding until it is stopped. GET /drain reports progress.
/// A single node has nothing to hand off: it is drained at once.
/// </summary>
public static class DrainEndpoints
{
    public static void Map(WebApplication app, NodeState node)
    {
        app.MapPost("/drain", () =>
        {
            node.Cluster?.BeginLeave();
            return Results.Json(Status(node), Json, statusCode: StatusCodes.Status202Accepted);
        });
        app.MapGet("/drain", () => Results.Json(Status(node), Json));
    }

    public sealed record DrainStatus(string State, int ShardsLeft, long HandoffsDone, string Cluster);

    static DrainStatus Status(NodeState node)
    {
        var c = node.Cluster;
        if (c == null) return new DrainStatus("drained", 0, 0, "disabled");
        // "drained" with shards left: no other member was up to take them (they stay in the journal)
        return new DrainStatus(c.DrainState, node.Region.LocalShardCount, c.HandoffsDone, c.View.State);
    }

    public static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };
}
