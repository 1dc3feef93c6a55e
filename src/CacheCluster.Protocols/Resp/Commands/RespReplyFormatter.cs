using CacheCluster.Core;

namespace CacheCluster.Protocols.Resp.Commands;

/// <summary>Writes the one reply a client sees for a request, from its shard commands' replies.</summary>
public static class RespReplyFormatter
{
    public static void Write(ref RespWriter w, in Reply r)
    {
        switch (r.Kind)
        {
            case ReplyKind.Ok: w.WriteOk(); break;
            case ReplyKind.Nil: w.WriteNull(); break;
            case ReplyKind.Integer: w.WriteInteger(r.Integer); break;
            case ReplyKind.Bulk: w.WriteBulk(r.Bulk.Span); break;
            case ReplyKind.Simple: w.WriteSimpleString(r.Text!); break;
            case ReplyKind.Error: w.WriteError(r.Error == ErrorCode.None ? r.Text ?? RespErrors.Internal : RespErrors.For(r.Error)); break;
            case ReplyKind.Keys: WriteKeys(ref w, (List<byte[]>)r.Extra!); break;
            default: w.WriteError(RespErrors.Internal); break;
        }
    }

    static void WriteKeys(ref RespWriter w, List<byte[]> keys)
    {
        w.WriteArrayHeader(keys.Count);
        foreach (var k in keys) w.WriteBulk(k);
    }

    /// <summary>Writes a data request's reply (kinds Error through ScanPage; not Local/Coordinated).</summary>
    public static void Write(ref RespWriter w, in RespRequest req, Reply[] replies, int shardCount)
    {
        int first = req.First, end = req.First + req.Count;
        switch (req.Kind)
        {
            case RequestKind.Error:
                w.WriteError(req.ErrorText!);
                return;
            case RequestKind.Single:
                if (replies[first].Kind == ReplyKind.Error && replies[first].Error == ErrorCode.InvalidExpireTime)
                    w.WriteError(RespErrors.InvalidExpire(req.Def!.Name));
                else Write(ref w, replies[first]);
                return;
            case RequestKind.Array:
                w.WriteArrayHeader(req.Count);
                for (int i = first; i < end; i++) Write(ref w, replies[i]);
                return;
        }
        // the remaining kinds fail as a whole on the first error
        for (int i = first; i < end; i++)
        {
            if (replies[i].Kind == ReplyKind.Error)
            {
                Write(ref w, replies[i]);
                return;
            }
        }
        switch (req.Kind)
        {
            case RequestKind.Sum:
            case RequestKind.SumDbSize:
                long sum = 0;
                for (int i = first; i < end; i++) sum += replies[i].Integer;
                w.WriteInteger(sum);
                return;
            case RequestKind.AllOk:
            case RequestKind.FlushOk:
                w.WriteOk();
                return;
            case RequestKind.KeysConcat:
                int total = 0;
                for (int i = first; i < end; i++) total += ((List<byte[]>)replies[i].Extra!).Count;
                w.WriteArrayHeader(total);
                for (int i = first; i < end; i++)
                    foreach (var k in (List<byte[]>)replies[i].Extra!) w.WriteBulk(k);
                return;
            case RequestKind.RandomPick:
                WriteRandomPick(ref w, replies, first, end);
                return;
            case RequestKind.ScanPage:
                WriteScanPage(ref w, req, replies, shardCount);
                return;
            default:
                w.WriteError(RespErrors.Internal);
                return;
        }
    }

    static void WriteRandomPick(ref RespWriter w, Reply[] replies, int first, int end)
    {
        int found = 0;
        for (int i = first; i < end; i++) if (replies[i].Kind == ReplyKind.Bulk) found++;
        if (found == 0)
        {
            w.WriteNull();
            return;
        }
        int pick = Random.Shared.Next(found);
        for (int i = first; i < end; i++)
        {
            if (replies[i].Kind != ReplyKind.Bulk) continue;
            if (pick-- == 0)
            {
                w.WriteBulk(replies[i].Bulk.Span);
                return;
            }
        }
    }

    static void WriteScanPage(ref RespWriter w, in RespRequest req, Reply[] replies, int shardCount)
    {
        ulong next = 0;
        List<byte[]>? keys = null;
        if (req.Count == 1)
        {
            var page = replies[req.First];
            keys = (List<byte[]>)page.Extra!;
            if (page.Integer != 0) next = ((ulong)page.Integer << RespDecoder.ScanShardBits) | (uint)req.Shard;
            else if (req.Shard + 1 < shardCount) next = (ulong)(req.Shard + 1);
        }
        WriteScanReply(ref w, next, keys ?? []);
    }

    /// <summary>SCAN's reply: the next cursor as a bulk string, then the keys.</summary>
    public static void WriteScanReply(ref RespWriter w, ulong next, List<byte[]> keys)
    {
        Span<byte> digits = stackalloc byte[20];
        System.Buffers.Text.Utf8Formatter.TryFormat(next, digits, out int n);
        w.WriteArrayHeader(2);
        w.WriteBulk(digits[..n]);
        w.WriteArrayHeader(keys.Count);
        foreach (var k in keys) w.WriteBulk(k);
    }
}
