using System.Buffers;
using CacheCluster.Core;
using CacheCluster.Protocols.Resp;

namespace CacheCluster.Protocols.Memcached.Binary;

/// <summary>
/// memcached 1.6's binary protocol for one connection: frames in, protocol-neutral commands out,
/// replies back to response frames. Pure: no socket, shard or node state.
/// <para>
/// Framing follows memcached's try_read_command_binary and dispatch_bin_command: a bad magic closes
/// the connection without a word; once header, extras and key are in, bad lengths are refused with
/// memcached's status (and the connection closed, as memcached does); a valid request is decoded
/// only when its whole body is there, so a partial frame adds nothing to the arena or the sink.
/// Where memcached would swallow a body too large to buffer, this codec answers the same status
/// and closes instead (see <see cref="MaxBodyLength"/>).
/// </para>
/// </summary>
public sealed partial class McBinaryCodec : IMcCodec
{
    /// <summary>Body bytes beyond twice the item size limit that a frame may still carry (extras, key).</summary>
    public const int BodySlack = 64 * 1024;

    const long MaxBufferedBody = int.MaxValue - 1024; // a value must fit a byte[]

    readonly long _maxItemSize;

    public McBinaryCodec(McCodecOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.MaxItemSize < 1) throw new ArgumentOutOfRangeException(nameof(options), "MaxItemSize must be positive.");
        _maxItemSize = options.MaxItemSize;
        MaxBodyLength = Math.Min(options.MaxItemSize * 2 + BodySlack, MaxBufferedBody);
    }

    /// <summary>
    /// The largest body buffered before decoding. Larger frames are answered from their header
    /// (Too large for stores, else memcached's status) and the connection is closed.
    /// </summary>
    public long MaxBodyLength { get; }

    public McParseStatus TryDecode(ref SequenceReader<byte> reader, RequestArena arena, ICommandSink sink, ShardMap map,
        IClock clock, out McRequest request)
    {
        request = default;
        if (!McBinaryHeader.TryPeek(ref reader, out var h)) return McParseStatus.Incomplete;
        request.Opcode = h.Opcode;
        request.Opaque = h.Opaque;
        request.First = sink.Count;

        if (h.Magic != McBinaryHeader.RequestMagic)
        {
            // "Invalid magic": memcached closes the connection without a response
            reader.Advance(McBinaryHeader.Size);
            request.Kind = McRequestKind.Error;
            request.CloseAfter = true;
            return McParseStatus.Complete;
        }

        // memcached waits for header + extras + key before it checks anything else
        if (reader.Remaining < h.PrefixLength) return Incomplete(out request);

        var opcode = (McBinaryOpcode)h.Opcode;
        var loud = McBinaryOpcodes.Loud(opcode);
        request.Quiet = loud != opcode;

        if (h.ValueLength < 0) // keylen + extlen > bodylen
            return Refuse(ref reader, ref request, h.PrefixLength, McBinaryStatus.UnknownCommand, close: true);
        if (h.KeyLength > McCodecOptions.MaxKeyLength) // binprot allows 16-bit keys, memcached 250 bytes
            return Refuse(ref reader, ref request, h.PrefixLength, McBinaryStatus.InvalidArguments, close: true);

        var shape = McBinaryRequestRules.Check(loud, in h);
        if (shape == McBinaryShape.Invalid)
            return Refuse(ref reader, ref request, h.PrefixLength, McBinaryStatus.InvalidArguments, close: true);

        var targets = new Targets(arena, sink, map, clock);
        if (h.BodyLength > MaxBodyLength) return RefuseHugeBody(ref reader, ref request, in h, loud, shape, in targets);

        if (reader.Remaining < h.FrameLength) return Incomplete(out request);
        if (shape == McBinaryShape.Unsupported)
            return Refuse(ref reader, ref request, h.FrameLength, McBinaryStatus.UnknownCommand, close: false);

        ReadOnlySequence<byte> body = reader.UnreadSequence.Slice(McBinaryHeader.Size, h.BodyLength);
        Decode(loud, in h, in body, in targets, ref request);
        reader.Advance(h.FrameLength);
        if (request.Kind == McRequestKind.Data) request.Count = sink.Count - request.First;
        return McParseStatus.Complete;
    }

    static McParseStatus Incomplete(out McRequest request)
    {
        request = default;
        return McParseStatus.Incomplete;
    }

    /// <summary>Answers a frame with an error status at once, consuming <paramref name="consume"/> bytes.</summary>
    static McParseStatus Refuse(ref SequenceReader<byte> reader, ref McRequest request, long consume, McBinaryStatus status, bool close)
    {
        reader.Advance(consume);
        Fail(ref request, status, McBinaryStatusText.Of(status));
        request.CloseAfter = close;
        return McParseStatus.Complete;
    }

    /// <summary>
    /// A body too large to buffer: the answer memcached gives from the header alone, then close
    /// (memcached would swallow the body instead). A SET still drops the old item, as memcached does.
    /// </summary>
    static McParseStatus RefuseHugeBody(ref SequenceReader<byte> reader, ref McRequest request, in McBinaryHeader h,
        McBinaryOpcode loud, McBinaryShape shape, in Targets t)
    {
        if (shape == McBinaryShape.Valid && McBinaryRequestRules.IsStore(loud))
        {
            ReadOnlySequence<byte> key = reader.UnreadSequence.Slice(McBinaryHeader.Size + h.ExtrasLength, h.KeyLength);
            TooLarge(loud, in key, in t, ref request);
        }
        else
        {
            var status = shape == McBinaryShape.Unsupported ? McBinaryStatus.UnknownCommand : McBinaryStatus.InvalidArguments;
            Fail(ref request, status, McBinaryStatusText.Of(status));
        }
        reader.Advance(h.PrefixLength);
        request.CloseAfter = true;
        if (request.Kind == McRequestKind.Data) request.Count = t.Sink.Count - request.First;
        return McParseStatus.Complete;
    }

    static void Fail(ref McRequest request, McBinaryStatus status, string text)
    {
        request.Kind = McRequestKind.Error;
        request.Status = (ushort)status;
        request.ErrorText = text;
    }

    /// <summary>Where a decoded request's key and commands go.</summary>
    readonly struct Targets(RequestArena arena, ICommandSink sink, ShardMap map, IClock clock)
    {
        public readonly RequestArena Arena = arena;
        public readonly ICommandSink Sink = sink;
        public readonly ShardMap Map = map;
        public readonly IClock Clock = clock;
    }
}
