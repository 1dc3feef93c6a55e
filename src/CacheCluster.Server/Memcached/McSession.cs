using System.Buffers;
using System.IO.Pipelines;
using CacheCluster.Actors.Shards;
using CacheCluster.Protocols.Memcached;
using CacheCluster.Protocols.Resp;
using CacheCluster.Server.Connections;
using CacheCluster.Server.Hosting;
using Microsoft.Extensions.Logging;

namespace CacheCluster.Server.Memcached;

/// <summary>
/// One memcached connection. Like memcached, the first byte picks the dialect for the life of the
/// connection (0x80 = binary, anything else = text and meta). Each read is decoded whole, sent as
/// one message per shard, and answered in request order with one flush; `stats` splits the batch
/// because it needs every shard's counters.
/// </summary>
public sealed class McSession : PipelinedSession, IDisposable
{
    const int MaxRequestsPerBatch = 1024;

    readonly NodeState _node;
    readonly ILogger _log;
    readonly Func<bool, IMcCodec> _codecFactory;
    readonly RequestArena _arena = new();
    readonly CommandBatch _batch = new();
    readonly List<McRequest> _requests = new();
    readonly Metrics.NodeMetrics _metrics;
    IMcCodec? _codec;
    bool _close;

    public McSession(NodeState node, ILogger log, Func<bool, IMcCodec> codecFactory, string remote)
    {
        _node = node;
        _log = log;
        _codecFactory = codecFactory;
        RemoteAddress = remote;
        _metrics = Metrics.NodeMetrics.For(node);
        BatchDurations = _metrics.McBatchSeconds;
        Interlocked.Increment(ref node.Memcached.CurrConnections);
        Interlocked.Increment(ref node.Memcached.TotalConnections);
    }

    public string RemoteAddress { get; }

    protected override int ParsedRequests => _requests.Count;
    protected override bool CloseRequested => _close;

    protected override bool ParseBatch(in ReadOnlySequence<byte> buffer, out SequencePosition consumed)
    {
        _requests.Clear(); // also when nothing arrived: the last batch must never run twice
        if (buffer.IsEmpty)
        {
            consumed = buffer.End;
            return false;
        }
        _codec ??= _codecFactory(buffer.FirstSpan[0] == 0x80);
        _batch.Clear();
        _arena.Reset();
        var reader = new SequenceReader<byte>(buffer);
        bool full = true;
        while (_requests.Count < MaxRequestsPerBatch)
        {
            int before = _batch.Count;
            if (_codec!.TryDecode(ref reader, _arena, _batch, _node.Region.Map, _node.Clock, out var req) == McParseStatus.Incomplete)
            {
                full = false;
                break;
            }
            // the session owns the command range: barriers split the batch by it, for every kind of request
            req.First = before;
            req.Count = _batch.Count - before;
            _requests.Add(req);
            if (req.CloseAfter || (req.Kind == McRequestKind.Local && req.Local == McLocal.Quit))
            {
                // nothing after a quit or an unrecoverable frame is executed
                full = false;
                break;
            }
        }
        consumed = reader.Position;
        Interlocked.Add(ref _node.Memcached.BytesRead, buffer.Slice(0, consumed).Length);
        return full && _requests.Count == MaxRequestsPerBatch;
    }

    protected override async ValueTask ExecuteAsync(PipeWriter output)
    {
        long before = output.UnflushedBytes;
        await ExecuteBatchAsync(output);
        Interlocked.Add(ref _node.Memcached.BytesWritten, output.UnflushedBytes - before);
    }

    async ValueTask ExecuteBatchAsync(PipeWriter output)
    {
        int segment = 0, segmentCommands = 0;
        for (int i = 0; i < _requests.Count; i++)
        {
            var req = _requests[i];
            if (req.Kind != McRequestKind.Local || req.Local != McLocal.Stats) continue;
            await RunSegmentAsync(output, segment, i, segmentCommands, req.First);
            var stats = await McStats.GatherAsync(_node, req.Group);
            _codec!.WriteStats(output, req, stats);
            segment = i + 1;
            segmentCommands = req.First + req.Count;
        }
        await RunSegmentAsync(output, segment, _requests.Count, segmentCommands, _batch.Count);
    }

    async ValueTask RunSegmentAsync(PipeWriter output, int fromRequest, int toRequest, int fromCommand, int toCommand)
    {
        await _node.Region.ExecuteAsync(_batch, fromCommand, toCommand);
        _node.Memcached.Count(_batch.Commands, _batch.Replies, fromCommand, toCommand);
        _metrics.McErrors.Count(_batch.Commands, _batch.Replies, fromCommand, toCommand);
        for (int i = fromRequest; i < toRequest; i++)
        {
            var req = _requests[i];
            if (req.Kind == McRequestKind.Local)
            {
                if (req.Local == McLocal.FlushDelayed)
                {
                    _node.ScheduleFlush(TimeSpan.FromSeconds(req.Number));
                    Interlocked.Increment(ref _node.Memcached.CmdFlush);
                }
                _codec!.WriteLocal(output, req, McStats.Version);
            }
            else
            {
                if (req.Kind == McRequestKind.Error) _metrics.McErrors.CountInvalid();
                _codec!.Write(output, req, _batch.Commands, _batch.Replies);
            }
            if (req.CloseAfter || req.Local == McLocal.Quit) _close = true;
        }
    }

    public void Dispose()
    {
        Interlocked.Decrement(ref _node.Memcached.CurrConnections);
        _arena.Dispose();
    }
}
