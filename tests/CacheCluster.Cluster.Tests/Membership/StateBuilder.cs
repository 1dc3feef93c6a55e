using CacheCluster.Cluster.Membership;

namespace CacheCluster.Cluster.Tests.Membership;

/// <summary>Small helpers to build states in tests.</summary>
internal static class StateBuilder
{
    public static Member M(string id, MemberStatus status, long incarnation = 1) => new(id, id + ":7100", incarnation, status);

    public static ClusterState State(int shardCount, params (string Id, MemberStatus Status)[] members)
    {
        var s = new ClusterState(shardCount);
        foreach (var (id, status) in members) s.Upsert(M(id, status));
        return s;
    }

    public static ClusterState Up(int shardCount, params string[] ids)
    {
        var s = new ClusterState(shardCount);
        foreach (var id in ids) s.Upsert(M(id, MemberStatus.Up));
        return s;
    }

    /// <summary>Marks every subject unreachable from every observer.</summary>
    public static void Cut(ClusterState s, string[] observers, string[] subjects)
    {
        foreach (var o in observers)
            foreach (var x in subjects)
                Assert.True(s.SetReachability(o, x, true));
    }

    /// <summary>A random state over a small universe of ids, incarnations, statuses, owners and reachability
    /// records, so that independently generated states overlap and conflict.</summary>
    public static ClusterState Random(Random rng, int shardCount = 8)
    {
        var s = new ClusterState(shardCount);
        string[] ids = ["a", "b", "c", "d", "e"];
        foreach (var id in ids)
        {
            if (rng.Next(5) == 0) continue;
            long inc = rng.Next(1, 4);
            var status = (MemberStatus)rng.Next(0, 6);
            if (rng.Next(3) == 0) status = MemberStatus.Up;
            string address = "h" + rng.Next(2) + ":7100";
            s.Upsert(new Member(id, address, inc, status));
        }
        for (int shard = 0; shard < shardCount; shard++)
        {
            if (rng.Next(3) == 0) continue;
            s.SetOwner(shard, new ShardOwner(rng.Next(0, 4), ids[rng.Next(ids.Length)], rng.Next(2) == 0));
        }
        int toggles = rng.Next(0, 12);
        for (int i = 0; i < toggles; i++)
            s.SetReachability(ids[rng.Next(ids.Length)], ids[rng.Next(ids.Length)], rng.Next(3) != 0);
        // Sometimes move a member on (a restart or a downing) after records were written about it.
        if (rng.Next(2) == 0)
        {
            var id = ids[rng.Next(ids.Length)];
            if (s.Get(id) is { } m)
            {
                if (rng.Next(2) == 0) s.Upsert(m with { Incarnation = m.Incarnation + 1, Status = MemberStatus.Joining });
                else s.SetStatus(id, MemberStatus.Down);
            }
        }
        return s;
    }
}
