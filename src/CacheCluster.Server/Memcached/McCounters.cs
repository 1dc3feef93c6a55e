using CacheCluster.Core;

namespace CacheCluster.Server.Memcached;

/// <summary>
/// memcached's command counters for `stats`, node-wide. Updated once per batch per counter (not
/// per command) from the batch's commands and replies.
/// </summary>
public sealed class McCounters
{
    public long CmdGet, CmdSet, CmdFlush, CmdTouch, GetExpired;
    public long DeleteHits, DeleteMisses, IncrHits, IncrMisses, DecrHits, DecrMisses;
    public long CasHits, CasMisses, CasBadval, TouchHits, TouchMisses;
    public long CurrConnections, TotalConnections, BytesRead, BytesWritten;

    /// <summary>memcached's `stats reset`: command counters start again (connection gauges stay).</summary>
    public void Reset()
    {
        CmdGet = CmdSet = CmdFlush = CmdTouch = GetExpired = 0;
        DeleteHits = DeleteMisses = IncrHits = IncrMisses = DecrHits = DecrMisses = 0;
        CasHits = CasMisses = CasBadval = TouchHits = TouchMisses = 0;
        BytesRead = BytesWritten = 0;
    }

    /// <summary>Tallies one executed batch range locally, then publishes the sums.</summary>
    public void Count(Command[] commands, Reply[] replies, int from, int to)
    {
        long get = 0, set = 0, touch = 0, flush = 0, dh = 0, dm = 0, ih = 0, im = 0, deh = 0, dem = 0;
        long ch = 0, cm = 0, cb = 0, th = 0, tm = 0;
        for (int i = from; i < to; i++)
        {
            ref var c = ref commands[i];
            ref var r = ref replies[i];
            var status = r.Kind == ReplyKind.Status ? (McStatus)r.Integer : (McStatus)255;
            switch (c.Op)
            {
                case Op.McGet: get++; break;
                case Op.McGat: get++; touch++; if (r.Kind == ReplyKind.Bulk) th++; else tm++; break;
                case Op.McTouch: touch++; if (status == McStatus.Touched) th++; else tm++; break;
                case Op.Flush: flush++; break;
                case Op.McStore:
                    set++;
                    if (c.Cas != 0)
                    {
                        if (status == McStatus.Stored) ch++;
                        else if (status == McStatus.Exists) cb++;
                        else if (status == McStatus.NotFound) cm++;
                    }
                    break;
                case Op.McDelete: if (status == McStatus.Deleted) dh++; else if (status == McStatus.NotFound) dm++; break;
                case Op.McIncr:
                    bool decr = (c.Options & CommandOptions.Decrement) != 0;
                    bool hit = r.Kind == ReplyKind.Integer;
                    if (decr) { if (hit) deh++; else dem++; }
                    else { if (hit) ih++; else im++; }
                    break;
            }
        }
        if (get != 0) Interlocked.Add(ref CmdGet, get);
        if (set != 0) Interlocked.Add(ref CmdSet, set);
        if (touch != 0) Interlocked.Add(ref CmdTouch, touch);
        if (flush != 0) Interlocked.Increment(ref CmdFlush); // one flush_all = one command, whatever the shard count
        if (dh != 0) Interlocked.Add(ref DeleteHits, dh);
        if (dm != 0) Interlocked.Add(ref DeleteMisses, dm);
        if (ih != 0) Interlocked.Add(ref IncrHits, ih);
        if (im != 0) Interlocked.Add(ref IncrMisses, im);
        if (deh != 0) Interlocked.Add(ref DecrHits, deh);
        if (dem != 0) Interlocked.Add(ref DecrMisses, dem);
        if (ch != 0) Interlocked.Add(ref CasHits, ch);
        if (cm != 0) Interlocked.Add(ref CasMisses, cm);
        if (cb != 0) Interlocked.Add(ref CasBadval, cb);
        if (th != 0) Interlocked.Add(ref TouchHits, th);
        if (tm != 0) Interlocked.Add(ref TouchMisses, tm);
    }
}
