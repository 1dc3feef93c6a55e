using System.Text;
using System.Text.Json;
using CacheCluster.Server.Hosting;

namespace CacheCluster.Server.Admin;

/// <summary>GET /cluster: the node's view of the cluster as JSON (a single node shows itself with every shard).</summary>
public static class ClusterJson
{
    public static string Write(NodeState node)
    {
        using var ms = new MemoryStream();
        using (var j = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = true }))
        {
            j.WriteStartObject();
            var view = node.Cluster?.View;
            if (view == null)
            {
                j.WriteString("self", node.Options.NodeId);
                j.WriteString("leader", node.Options.NodeId);
                j.WriteString("state", node.Region.Started ? "ok" : "loading");
                j.WriteNumber("shards", node.Region.ShardCount);
                j.WriteStartArray("members");
                j.WriteStartObject();
                j.WriteString("id", node.Options.NodeId);
                j.WriteString("address", $"{node.Options.Bind}:{node.Options.RespPort}");
                j.WriteString("status", "up");
                j.WriteNumber("incarnation", node.StartedAt.ToUnixTimeMilliseconds());
                j.WriteBoolean("reachable", true);
                j.WriteStartArray("shards");
                for (int s = 0; s < node.Region.ShardCount; s++) j.WriteNumberValue(s);
                j.WriteEndArray();
                j.WriteEndObject();
                j.WriteEndArray();
                j.WriteStartObject("handoffs");
                j.WriteNumber("in_progress", 0);
                j.WriteNumber("done", 0);
                j.WriteNumber("pending", 0);
                j.WriteEndObject();
            }
            else
            {
                j.WriteString("self", view.Self);
                if (view.Leader == null) j.WriteNull("leader"); else j.WriteString("leader", view.Leader);
                j.WriteString("state", view.State);
                j.WriteNumber("shards", view.ShardCount);
                j.WriteNumber("max_epoch", view.MaxEpoch);
                j.WriteStartArray("members");
                foreach (var m in view.Members)
                {
                    j.WriteStartObject();
                    j.WriteString("id", m.Id);
                    j.WriteString("address", m.Address);
                    j.WriteString("status", m.StatusName);
                    j.WriteNumber("incarnation", m.Incarnation);
                    j.WriteBoolean("reachable", m.Reachable);
                    j.WriteStartArray("shards");
                    foreach (var s in m.Shards) j.WriteNumberValue(s);
                    j.WriteEndArray();
                    j.WriteEndObject();
                }
                j.WriteEndArray();
                j.WriteStartObject("handoffs");
                j.WriteNumber("in_progress", view.HandoffsInProgress);
                j.WriteNumber("done", view.HandoffsDone);
                j.WriteNumber("pending", view.MovesPending);
                j.WriteEndObject();
            }
            j.WriteEndObject();
        }
        return Encoding.UTF8.GetString(ms.ToArray()) + "\n";
    }
}
