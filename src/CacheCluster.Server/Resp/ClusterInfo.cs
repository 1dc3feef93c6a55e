using System.Text;
using CacheCluster.Server.Hosting;

namespace CacheCluster.Server.Resp;

/// <summary>INFO cluster and CLUSTER INFO (Redis's field names where they exist, ours prefixed cluster_).</summary>
public static class ClusterInfo
{
    public static void AppendInfoSection(StringBuilder s, NodeState node)
    {
        var v = node.Cluster?.View;
        if (v == null)
        {
            s.Append("cluster_enabled:0\r\n");
            return;
        }
        s.Append("cluster_enabled:1\r\n")
            .Append("cluster_state:").Append(v.State == "ok" ? "ok" : "fail").Append("\r\n")
            .Append("cluster_membership:").Append(v.State).Append("\r\n")
            .Append("cluster_node_id:").Append(v.Self).Append("\r\n")
            .Append("cluster_leader:").Append(v.Leader ?? "").Append("\r\n")
            .Append("cluster_known_members:").Append(v.KnownMembers).Append("\r\n")
            .Append("cluster_members_up:").Append(v.UpMembers).Append("\r\n")
            .Append("cluster_shards:").Append(v.ShardCount).Append("\r\n")
            .Append("cluster_shards_owned:").Append(v.ShardsOwned).Append("\r\n")
            .Append("cluster_handoffs_in_progress:").Append(v.HandoffsInProgress).Append("\r\n")
            .Append("cluster_handoffs_done:").Append(v.HandoffsDone).Append("\r\n")
            .Append("cluster_handoffs_pending:").Append(v.MovesPending).Append("\r\n")
            .Append("cluster_current_epoch:").Append(v.MaxEpoch).Append("\r\n")
            .Append("cluster_parked_requests:").Append(node.Region.ParkedCount).Append("\r\n");
    }

    /// <summary>The body of CLUSTER INFO (a bulk string of k:v lines).</summary>
    public static string ClusterInfoText(NodeState node)
    {
        var v = node.Cluster?.View;
        var s = new StringBuilder();
        bool ok = v == null ? node.Region.Started : v.State == "ok";
        int known = v?.KnownMembers ?? 1;
        int size = v?.MembersOwningShards ?? 1;
        s.Append("cluster_enabled:").Append(v == null ? 0 : 1).Append("\r\n")
            .Append("cluster_state:").Append(ok ? "ok" : "fail").Append("\r\n")
            .Append("cluster_slots_assigned:16384\r\n")
            .Append("cluster_slots_ok:").Append(ok ? 16384 : 0).Append("\r\n")
            .Append("cluster_slots_pfail:0\r\ncluster_slots_fail:0\r\n")
            .Append("cluster_known_nodes:").Append(known).Append("\r\n")
            .Append("cluster_size:").Append(size).Append("\r\n")
            .Append("cluster_current_epoch:").Append(v?.MaxEpoch ?? 1).Append("\r\n")
            .Append("cluster_shards:").Append(node.Region.ShardCount).Append("\r\n")
            .Append("cluster_shards_owned:").Append(v?.ShardsOwned ?? node.Region.ShardCount).Append("\r\n")
            .Append("cluster_handoffs_in_progress:").Append(v?.HandoffsInProgress ?? 0).Append("\r\n")
            .Append("cluster_handoffs_done:").Append(v?.HandoffsDone ?? 0).Append("\r\n");
        return s.ToString();
    }
}
