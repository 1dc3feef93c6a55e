using System.Buffers;
using System.IO.Pipelines;
using CacheCluster.Actors.Shards;
using CacheCluster.Core;
using CacheCluster.Protocols.Resp;
using CacheCluster.Protocols.Resp.Commands;
using CacheCluster.Server.Connections;
using CacheCluster.Server.Hosting;
using Microsoft.Extensions.Logging;

namespace CacheCluster.Server.Resp;

/// <summary>
/// One RESP connection. Each read is parsed whole (every pipelined request in it), decoded into
/// shard commands, sent as one message per shard, and answered in request order with a single
/// flush. Requests that need several round trips (cross-shard RENAME, INFO ...) split the batch
/// into segments so their effects stay ordered with the requests around them.
/// </summary>
public sealed partial class RespSession : PipelinedSession, IDisposable
{
    const int MaxRequestsPerBatch = 1024;

    readonly NodeState _node;
    readonly ILogger _log;
    readonly RequestArena _arena = new();
    readonly CommandBatch _batch = new();
    readonly CommandBatch _aux = new();      // commands of multi-phase requests
    readonly List<RespRequest> _requests = new();
    readonly ArrayBufferWriter<byte> _discard = new(); // replies suppressed by CLIENT REPLY OFF/SKIP

    public RespSession(NodeState node, ILogger log, string remote, string local)
    {
        _node = node;
        _log = log;
        RemoteAddress = remote;
        LocalAddress = local;
        BatchDurations = Metrics.NodeMetrics.For(node).RespBatchSeconds;
        Id = node.Register(this);
    }

    public long Id { get; }
    public string RemoteAddress { get; }
    public string LocalAddress { get; }
    public DateTimeOffset CreatedAt { get; } = DateTimeOffset.UtcNow;
    public long LastCommandAtMs { get; private set; } = Environment.TickCount64;
    public string? Name { get; private set; }
    public string? LibName { get; private set; }
    public string? LibVersion { get; private set; }
    public string LastCommand { get; private set; } = "NULL";
    public int Protocol { get; private set; } = 2;
    public CommandCounters Counters { get; } = new();

    // CLIENT REPLY: SkipPending is set by CLIENT REPLY SKIP and becomes SkipThis for the next command
    enum ReplyMode { On, Off, SkipPending, SkipThis }
    ReplyMode _replyMode;
    bool _closeAfterWrite;

    protected override int ParsedRequests => _requests.Count;
    protected override bool CloseRequested => _closeAfterWrite;

    /// <summary>
    /// Parses and decodes every complete request in the buffer, up to a batch limit; true when the
    /// limit (not the data) ended the batch.
    /// </summary>
    protected override bool ParseBatch(in ReadOnlySequence<byte> buffer, out SequencePosition consumed)
    {
        bool full = true;
        _requests.Clear();
        _batch.Clear();
        _arena.Reset();
        var reader = new SequenceReader<byte>(buffer);
        while (_requests.Count < MaxRequestsPerBatch)
        {
            var status = RespRequestParser.TryParse(ref reader, _arena, out var args, out var error);
            if (status == RespParseStatus.Incomplete) { full = false; break; }
            if (status == RespParseStatus.Empty) continue;
            if (status == RespParseStatus.Error)
            {
                // Redis answers a protocol error and closes the connection.
                _requests.Add(new RespRequest { Kind = RequestKind.Error, ErrorText = error, First = _batch.Count });
                _closeAfterWrite = true;
                _log.LogDebug("client {Id} {Addr}: {Error}", Id, RemoteAddress, error);
                full = false;
                break;
            }
            var req = _node.Decoder.Decode(args, _batch);
            Count(req);
            _requests.Add(req);
            // nothing after QUIT is executed (Redis closes the connection after replying)
            if (req.Def?.Id == RespCommandId.Quit) { full = false; break; }
        }
        consumed = reader.Position;
        return full && _requests.Count == MaxRequestsPerBatch;
    }

    void Count(in RespRequest req)
    {
        var id = req.Def?.Id ?? RespCommandId.Unknown;
        Counters.Call(id);
        if (req.Kind == RequestKind.Error) Counters.Fail(id);
    }

    /// <summary>Runs the batch segment by segment and writes every reply in request order.</summary>
    protected override async ValueTask ExecuteAsync(PipeWriter output)
    {
        LastCommandAtMs = Environment.TickCount64;
        int segment = 0;          // first request of the current segment
        int segmentCommands = 0;  // first batch command of the current segment
        for (int i = 0; i < _requests.Count; i++)
        {
            var req = _requests[i];
            if (!IsBarrier(req)) continue;
            // the barrier's own first-round commands (a SCAN's first page) go with the segment
            await _node.Region.ExecuteAsync(_batch, segmentCommands, req.First + req.Count);
            WriteReplies(output, segment, i);
            await RunBarrierAsync(output, req);
            segment = i + 1;
            segmentCommands = req.First + req.Count;
        }
        await _node.Region.ExecuteAsync(_batch, segmentCommands, _batch.Count);
        WriteReplies(output, segment, _requests.Count);
    }

    static bool IsBarrier(in RespRequest req) => req.Kind is RequestKind.Coordinated or RequestKind.ScanPage ||
        (req.Kind == RequestKind.Local && req.Def!.Id is RespCommandId.Info or RespCommandId.Config);

    void WriteReplies(PipeWriter output, int from, int to)
    {
        for (int i = from; i < to; i++)
        {
            var req = _requests[i];
            var w = Writer(output);
            if (req.Kind == RequestKind.Local) WriteLocal(ref w, req);
            else
            {
                RespReplyFormatter.Write(ref w, req, _batch.Replies, _node.Region.ShardCount);
                // MGET (Array) answers per key; a decode error was counted when it was parsed
                if (req.Kind is not (RequestKind.Array or RequestKind.Error) && FailedInShard(req)) Counters.Fail(req.Def?.Id ?? RespCommandId.Unknown);
            }
            AfterReply(req);
        }
    }

    /// <summary>A shard answered one of the request's commands with an error (WRONGTYPE, OOM, TRYAGAIN ...), so its reply is one.</summary>
    bool FailedInShard(in RespRequest req)
    {
        var replies = _batch.Replies;
        for (int i = req.First, end = req.First + req.Count; i < end; i++)
            if (replies[i].Kind == ReplyKind.Error) return true;
        return false;
    }

    /// <summary>Where the next reply goes: the socket, or nowhere under CLIENT REPLY OFF/SKIP.</summary>
    RespWriter Writer(PipeWriter output)
    {
        if (_replyMode == ReplyMode.Off || _replyMode == ReplyMode.SkipThis)
        {
            _discard.Clear();
            return new RespWriter(_discard, Protocol);
        }
        return new RespWriter(output, Protocol);
    }

    void AfterReply(in RespRequest req)
    {
        if (req.Def != null) LastCommand = req.Def.Name;
        if (_replyMode == ReplyMode.SkipThis) _replyMode = ReplyMode.On;
        else if (_replyMode == ReplyMode.SkipPending) _replyMode = ReplyMode.SkipThis;
    }

    /// <summary>Sends one command to its shard outside the main batch and returns the reply.</summary>
    async ValueTask<Reply> AskShardAsync(Command command, int shard)
    {
        _aux.Clear();
        _aux.Add(shard) = command;
        await _node.Region.ExecuteAsync(_aux, 0, 1);
        return _aux.Replies[0];
    }

    public void Dispose()
    {
        _node.Unregister(this);
        _arena.Dispose();
    }
}
