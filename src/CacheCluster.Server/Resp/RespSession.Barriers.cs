using System.IO.Pipelines;
using System.Text;
using CacheCluster.Core;
using CacheCluster.Protocols.Resp;
using CacheCluster.Protocols.Resp.Commands;
using CacheCluster.Server.Hosting;

namespace CacheCluster.Server.Resp;

/// <summary>
/// Requests that need several shard round trips: INFO and CONFIG (all shards), and RENAME,
/// RENAMENX, COPY and MSETNX when their keys live on different shards. Each runs alone, after
/// the requests before it are answered and before the ones after it are sent. Cross-shard
/// RENAME/COPY/MSETNX are not atomic against other connections (Redis Cluster refuses them
/// outright with CROSSSLOT; we run them in phases).
/// </summary>
public sealed partial class RespSession
{
    async ValueTask RunBarrierAsync(PipeWriter output, RespRequest req)
    {
        var a = req.Args;
        if (req.Kind == RequestKind.ScanPage)
        {
            await ScanAsync(output, req);
            AfterReply(req);
            return;
        }
        switch (req.Def!.Id)
        {
            case RespCommandId.Info:
                var stats = await _node.ShardStatsAsync();
                var text = ServerInfo.Build(_node, this, stats, a);
                var w = Writer(output);
                if (Protocol == 3) w.WriteVerbatim("txt"u8, Encoding.UTF8.GetBytes(text));
                else w.WriteBulkString(text);
                break;
            case RespCommandId.Config:
                await ConfigAsync(output, a);
                break;
            case RespCommandId.Rename:
            case RespCommandId.RenameNx:
                await RenameAcrossAsync(output, a, nx: req.Def.Id == RespCommandId.RenameNx);
                break;
            case RespCommandId.Copy:
                await CopyAcrossAsync(output, a);
                break;
            case RespCommandId.MSetNx:
                await MSetNxAsync(output, a);
                break;
        }
        AfterReply(req);
    }

    int ShardOf(ReadOnlySpan<byte> key) => _node.Region.Map.ShardOf(key);

    /// <summary>
    /// SCAN: the first shard's page came with the batch; while the page is short and that shard's
    /// walk is over, continue on the next shards, so a sparse keyspace needs few round trips.
    /// </summary>
    async ValueTask ScanAsync(PipeWriter output, RespRequest req)
    {
        int shards = _node.Region.ShardCount;
        var keys = new List<byte[]>();
        ulong next = 0;
        if (req.Count == 1)
        {
            var template = _batch.Commands[req.First];
            var page = _batch.Replies[req.First];
            int shard = req.Shard;
            while (true)
            {
                if (page.Kind == ReplyKind.Error) { WriteOne(output, page); return; }
                keys.AddRange((List<byte[]>)page.Extra!);
                if (page.Integer != 0) { next = ((ulong)page.Integer << RespDecoder.ScanShardBits) | (uint)shard; break; }
                if (++shard >= shards) { next = 0; break; }
                if (keys.Count >= template.Int2) { next = (ulong)shard; break; }
                var cmd = template;
                cmd.Int1 = 0;
                cmd.Int2 = Math.Max(1, template.Int2 - keys.Count);
                page = await AskShardAsync(cmd, shard);
            }
        }
        var w = Writer(output);
        RespReplyFormatter.WriteScanReply(ref w, next, keys);
    }

    async ValueTask RenameAcrossAsync(PipeWriter output, ArgumentList a, bool nx)
    {
        var src = a.Memory(1);
        var dst = a.Memory(2);
        var dump = await AskShardAsync(Command.For(Op.Dump, src), ShardOf(src.Span));
        if (dump.Kind != ReplyKind.Entry)
        {
            WriteOne(output, dump.Kind == ReplyKind.Error ? dump : Reply.Fail(ErrorCode.NoSuchKey));
            return;
        }
        var restore = Command.For(Op.Restore, dst);
        restore.Extra = dump.Extra;
        if (nx) restore.Options = CommandOptions.Nx;
        var put = await AskShardAsync(restore, ShardOf(dst.Span));
        if (put.Kind == ReplyKind.Error || put.Integer == 0)
        {
            WriteOne(output, put.Kind == ReplyKind.Error ? put : Reply.Int(0));
            return;
        }
        await AskShardAsync(Command.For(Op.Del, src), ShardOf(src.Span));
        WriteOne(output, nx ? Reply.Int(1) : Reply.Ok);
    }

    async ValueTask CopyAcrossAsync(PipeWriter output, ArgumentList a)
    {
        var src = a.Memory(1);
        var dst = a.Memory(2);
        bool replace = false;
        for (int j = 3; j < a.Count; j++) if (a.Is(j, "REPLACE"u8)) replace = true;
        var dump = await AskShardAsync(Command.For(Op.Dump, src), ShardOf(src.Span));
        if (dump.Kind != ReplyKind.Entry)
        {
            WriteOne(output, dump.Kind == ReplyKind.Error ? dump : Reply.Int(0));
            return;
        }
        var restore = Command.For(Op.Restore, dst);
        restore.Extra = dump.Extra;
        if (!replace) restore.Options = CommandOptions.Nx;
        WriteOne(output, await AskShardAsync(restore, ShardOf(dst.Span)));
    }

    async ValueTask MSetNxAsync(PipeWriter output, ArgumentList a)
    {
        _aux.Clear();
        for (int i = 1; i < a.Count; i += 2)
        {
            var key = a.Memory(i);
            ref var c = ref _aux.Add(ShardOf(key.Span));
            c.Op = Op.Exists;
            c.Key = key;
        }
        await _node.Region.ExecuteAsync(_aux, 0, _aux.Count);
        for (int i = 0; i < _aux.Count; i++)
        {
            if (_aux.Replies[i].Integer != 0)
            {
                WriteOne(output, Reply.Int(0));
                return;
            }
        }
        _aux.Clear();
        for (int i = 1; i < a.Count; i += 2)
        {
            var key = a.Memory(i);
            ref var c = ref _aux.Add(ShardOf(key.Span));
            c.Op = Op.Set;
            c.Key = key;
            c.Value = a.ToArray(i + 1);
        }
        await _node.Region.ExecuteAsync(_aux, 0, _aux.Count);
        for (int i = 0; i < _aux.Count; i++)
        {
            if (_aux.Replies[i].Kind == ReplyKind.Error)
            {
                WriteOne(output, _aux.Replies[i]);
                return;
            }
        }
        WriteOne(output, Reply.Int(1));
    }

    void WriteOne(PipeWriter output, in Reply r)
    {
        var w = Writer(output);
        RespReplyFormatter.Write(ref w, r);
    }
}
