using System.Buffers;
using System.Buffers.Binary;
using CacheCluster.Core;
using static CacheCluster.Protocols.Memcached.Binary.McBinaryResponseWriter;

namespace CacheCluster.Protocols.Memcached.Binary;

/// <summary>
/// Responses, as memcached 1.6 words them: successes carry the item's CAS (none after DELETE, FLUSH,
/// NOOP, QUIT, VERSION), errors carry their text and CAS 0, every response echoes the request's
/// opcode and opaque. Quiet requests drop successes and get misses only; errors are always sent.
/// </summary>
public sealed partial class McBinaryCodec
{
    public void Write(IBufferWriter<byte> output, in McRequest request, Command[] commands, Reply[] replies)
    {
        ArgumentNullException.ThrowIfNull(output);
        switch (request.Kind)
        {
            case McRequestKind.Local:
                throw new ArgumentException("Local requests are answered by WriteLocal or WriteStats.", nameof(request));
            case McRequestKind.Error:
                // Status 0: a bad magic, which memcached answers by closing the connection
                if (request.Status != 0) WriteRequestError(output, in request);
                return;
        }
        if (request.Status != 0)
        {
            // SET too large: the old item was dropped; the delete's own reply is not the answer
            WriteRequestError(output, in request);
            return;
        }

        var loud = McBinaryOpcodes.Loud((McBinaryOpcode)request.Opcode);
        if (loud == McBinaryOpcode.Flush)
        {
            WriteFlush(output, in request, replies);
            return;
        }
        if (request.Count < 1) throw new ArgumentException("A data request has a command.", nameof(request));
        ref readonly Reply r = ref replies[request.First];
        switch (loud)
        {
            case McBinaryOpcode.Get:
            case McBinaryOpcode.GetK:
            case McBinaryOpcode.Gat:
            case McBinaryOpcode.GatK:
            case McBinaryOpcode.Touch:
                WriteRetrieval(output, in request, loud, in r);
                break;
            case McBinaryOpcode.Set:
            case McBinaryOpcode.Add:
            case McBinaryOpcode.Replace:
            case McBinaryOpcode.Append:
            case McBinaryOpcode.Prepend:
                WriteStore(output, in request, loud, in commands[request.First], in r);
                break;
            case McBinaryOpcode.Delete:
                WriteMutation(output, in request, loud, in r, McStatus.Deleted);
                break;
            case McBinaryOpcode.Increment:
            case McBinaryOpcode.Decrement:
                WriteCounter(output, in request, loud, in r);
                break;
            default:
                throw new ArgumentException($"Opcode 0x{request.Opcode:x2} has no data response.", nameof(request));
        }
    }

    public void WriteStats(IBufferWriter<byte> output, in McRequest request, IReadOnlyList<KeyValuePair<string, string>> stats)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(stats);
        for (int i = 0; i < stats.Count; i++)
        {
            var stat = stats[i];
            WriteStat(output, request.Opcode, request.Opaque, stat.Key, stat.Value);
        }
        WriteEmpty(output, request.Opcode, request.Opaque, McBinaryStatus.Success, 0); // terminator: empty key
    }

    public void WriteLocal(IBufferWriter<byte> output, in McRequest request, string version)
    {
        ArgumentNullException.ThrowIfNull(output);
        switch (request.Local)
        {
            case McLocal.Version:
                WriteText(output, request.Opcode, request.Opaque, McBinaryStatus.Success, version);
                return;
            case McLocal.Noop:
            case McLocal.Quit:
            case McLocal.FlushDelayed:
            case McLocal.Verbosity:
                if (!request.Quiet) WriteEmpty(output, request.Opcode, request.Opaque, McBinaryStatus.Success, 0);
                return;
            default:
                throw new ArgumentException($"Local request {request.Local} is not answered by WriteLocal.", nameof(request));
        }
    }

    static void WriteRequestError(IBufferWriter<byte> output, in McRequest request)
    {
        var status = (McBinaryStatus)request.Status;
        WriteText(output, request.Opcode, request.Opaque, status, request.ErrorText ?? McBinaryStatusText.Of(status));
    }

    /// <summary>GET/GETK/GAT/GATK (and quiet forms), TOUCH: flags extras, key for the K forms, value, item CAS.</summary>
    static void WriteRetrieval(IBufferWriter<byte> output, in McRequest req, McBinaryOpcode loud, in Reply r)
    {
        bool withKey = loud is McBinaryOpcode.GetK or McBinaryOpcode.GatK;
        switch (r.Kind)
        {
            case ReplyKind.Bulk:
                WriteItem(output, in req, in r, withKey ? req.Key.Span : default, loud == McBinaryOpcode.Touch ? default : r.Bulk.Span);
                return;
            case ReplyKind.Status when (McStatus)r.Integer == McStatus.Touched:
                WriteItem(output, in req, in r, default, default);
                return;
            case ReplyKind.Nil:
            case ReplyKind.Status when (McStatus)r.Integer == McStatus.NotFound:
                if (req.Quiet) return;
                // write_bin_miss_response: the K forms echo the key instead of a text
                if (withKey) WriteResponse(output, req.Opcode, req.Opaque, McBinaryStatus.KeyNotFound, 0, default, req.Key.Span, default);
                else WriteText(output, req.Opcode, req.Opaque, McBinaryStatus.KeyNotFound, McBinaryStatusText.NotFound);
                return;
            default:
                WriteFailure(output, in req, loud, in r);
                return;
        }
    }

    static void WriteItem(IBufferWriter<byte> output, in McRequest req, in Reply r, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        Span<byte> flags = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(flags, r.Flags);
        WriteResponse(output, req.Opcode, req.Opaque, McBinaryStatus.Success, r.Cas, flags, key, value);
    }

    /// <summary>
    /// SET/ADD/REPLACE/APPEND/PREPEND. complete_update_bin words a refusal by command: ADD that finds
    /// the key → "Data exists for key.", REPLACE that misses → "Not found", the rest → "Not stored."
    /// (a CAS store is neither add nor replace: the decoder dropped Nx/Xx).
    /// </summary>
    static void WriteStore(IBufferWriter<byte> output, in McRequest req, McBinaryOpcode loud, in Command c, in Reply r)
    {
        if (r.Kind == ReplyKind.Status && (McStatus)r.Integer == McStatus.NotStored)
        {
            if ((c.Options & CommandOptions.Nx) != 0) WriteStatus(output, in req, McBinaryStatus.KeyExists);
            else if ((c.Options & CommandOptions.Xx) != 0) WriteStatus(output, in req, McBinaryStatus.KeyNotFound);
            else WriteStatus(output, in req, McBinaryStatus.NotStored);
            return;
        }
        WriteMutation(output, in req, loud, in r, McStatus.Stored);
    }

    /// <summary>A status reply: <paramref name="success"/> → empty success with the reply's CAS; refusals by status.</summary>
    static void WriteMutation(IBufferWriter<byte> output, in McRequest req, McBinaryOpcode loud, in Reply r, McStatus success)
    {
        if (r.Kind != ReplyKind.Status)
        {
            WriteFailure(output, in req, loud, in r);
            return;
        }
        var status = (McStatus)r.Integer;
        if (status == success)
        {
            if (!req.Quiet) WriteEmpty(output, req.Opcode, req.Opaque, McBinaryStatus.Success, r.Cas);
            return;
        }
        WriteStatus(output, in req, StatusOf(status));
    }

    /// <summary>INCREMENT/DECREMENT: the new value as an 8-byte big-endian body, with the item's CAS.</summary>
    static void WriteCounter(IBufferWriter<byte> output, in McRequest req, McBinaryOpcode loud, in Reply r)
    {
        switch (r.Kind)
        {
            case ReplyKind.Integer:
                if (req.Quiet) return;
                Span<byte> value = stackalloc byte[8];
                BinaryPrimitives.WriteUInt64BigEndian(value, (ulong)r.Integer);
                WriteResponse(output, req.Opcode, req.Opaque, McBinaryStatus.Success, r.Cas, default, default, value);
                return;
            case ReplyKind.Status:
                WriteStatus(output, in req, StatusOf((McStatus)r.Integer));
                return;
            default:
                WriteFailure(output, in req, loud, in r);
                return;
        }
    }

    /// <summary>FLUSH now: one command per shard; success unless a shard failed.</summary>
    static void WriteFlush(IBufferWriter<byte> output, in McRequest req, Reply[] replies)
    {
        for (int i = req.First; i < req.First + req.Count; i++)
        {
            if (replies[i].Kind == ReplyKind.Error)
            {
                WriteFailure(output, in req, McBinaryOpcode.Flush, in replies[i]);
                return;
            }
        }
        if (!req.Quiet) WriteEmpty(output, req.Opcode, req.Opaque, McBinaryStatus.Success, 0);
    }

    /// <summary>A shard error (or a reply this opcode cannot have), with memcached's status and text.</summary>
    static void WriteFailure(IBufferWriter<byte> output, in McRequest req, McBinaryOpcode loud, in Reply r)
    {
        var (status, text) = r.Kind == ReplyKind.Error
            ? ErrorOf(r.Error, loud)
            : (McBinaryStatus.InternalError, McBinaryStatusText.InternalError);
        WriteText(output, req.Opcode, req.Opaque, status, text);
    }

    static void WriteStatus(IBufferWriter<byte> output, in McRequest req, McBinaryStatus status) =>
        WriteText(output, req.Opcode, req.Opaque, status, McBinaryStatusText.Of(status));

    /// <summary>A refusal reported as a memcached outcome.</summary>
    static McBinaryStatus StatusOf(McStatus status) => status switch
    {
        McStatus.NotFound => McBinaryStatus.KeyNotFound,
        McStatus.Exists => McBinaryStatus.KeyExists,
        McStatus.NotStored => McBinaryStatus.NotStored,
        _ => McBinaryStatus.InternalError,
    };

    /// <summary>
    /// A shard error in memcached's words: incr/decr on a non-number → DELTA_BADVAL; out of memory →
    /// ENOMEM with out_of_memory's text for the command; an append/prepend result over the size limit
    /// → "Not stored." (complete_update_bin), another too-large item → E2BIG; anything else →
    /// EINTERNAL.
    /// </summary>
    static (McBinaryStatus, string) ErrorOf(ErrorCode code, McBinaryOpcode loud) => code switch
    {
        ErrorCode.NonNumeric => (McBinaryStatus.NonNumeric, McBinaryStatusText.NonNumeric),
        ErrorCode.OutOfMemory => (McBinaryStatus.OutOfMemory, loud switch
        {
            _ when McBinaryRequestRules.IsStore(loud) => McBinaryStatusText.OutOfMemoryStoring,
            McBinaryOpcode.Increment or McBinaryOpcode.Decrement => McBinaryStatusText.OutOfMemoryIncrementing,
            _ => McBinaryStatusText.OutOfMemory,
        }),
        ErrorCode.StringTooLong when loud is McBinaryOpcode.Append or McBinaryOpcode.Prepend =>
            (McBinaryStatus.NotStored, McBinaryStatusText.NotStored),
        ErrorCode.StringTooLong => (McBinaryStatus.TooLarge, McBinaryStatusText.TooLarge),
        ErrorCode.Loading => (McBinaryStatus.TemporaryFailure, McBinaryStatusText.Loading),
        ErrorCode.PersistenceFailed => (McBinaryStatus.InternalError, McBinaryStatusText.PersistenceFailed),
        ErrorCode.TryAgain => (McBinaryStatus.TemporaryFailure, McBinaryStatusText.TryAgain),
        ErrorCode.ClusterDown => (McBinaryStatus.TemporaryFailure, McBinaryStatusText.ClusterDown),
        _ => (McBinaryStatus.InternalError, McBinaryStatusText.InternalError),
    };
}
