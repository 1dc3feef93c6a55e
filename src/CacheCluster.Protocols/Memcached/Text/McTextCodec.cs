using System.Buffers;
using CacheCluster.Core;
using CacheCluster.Protocols.Resp;

namespace CacheCluster.Protocols.Memcached.Text;

/// <summary>What a decoded text/meta request is, kept in <see cref="McRequest.Opcode"/> for the writer.</summary>
internal enum McTextOp : byte
{
    None = 0,
    Get, Gets, Gat, Gats,   // one McGet/McGat per key; VALUE lines then END
    Store,                  // set/add/replace/append/prepend/cas
    Delete, Incr, Touch,
    FlushAll,               // one Op.Flush per shard; OK
    FixedError,             // commands ran for their side effects; the answer is ErrorText whatever they replied
    Mg, Ms, Md, MdRemoveValue, Ma, Me,
}

/// <summary>Bits of <see cref="McRequest.Status"/> for meta requests.</summary>
[Flags]
internal enum McMetaBits : ushort
{
    None = 0,
    Value = 1,       // v: return the value (VA)
    Binary = 2,      // b: the key was base64; echo it encoded, followed by " b"
    TtlFromT = 4,         // ma: t comes after T: it reports the TTL T set (high 32 bits of Number)
    TtlBeforeVivify = 8,  // mg/ma: t comes before N (and T): on an item this request created it reports -1
    ReplyErrorFirst = 16, // FixedError of ma: a failed command's own error comes before the fixed one
}

/// <summary>
/// memcached 1.6's ASCII protocol and meta commands on one connection, answering as memcached
/// 1.6.18's proto_text.c does, error lines and quirks included: pure bytes ⇄ protocol-neutral commands.
/// </summary>
/// <remarks>
/// <para>How a request is carried in <see cref="McRequest"/> (text codec only): <c>Opcode</c> is a
/// <see cref="McTextOp"/>; <c>Quiet</c> is noreply / meta q; for meta requests <c>Status</c> holds
/// <see cref="McMetaBits"/>, the low 32 bits of <c>Number</c> the return flags in request order
/// (4-bit <see cref="McReturnFlag"/> codes), <c>Key</c> the bytes to echo (the key as the client
/// sees it, then the O token) in the request arena, and <c>Opaque</c> the length of the key part.
/// Nothing is allocated per request beyond stored values (meta requests use no <c>Extra</c> object).</para>
/// <para>A rejected storage command's data block is discarded as it arrives (memcached's
/// conn_swallow), so a huge declared length is never buffered: when the buffer ends inside such a
/// block, a silent request (Kind Error, no text) consumes what is there.</para>
/// <para>Command field conventions beyond Op.cs: McStore.Int4 = explicit new CAS (meta E); McIncr
/// Int3 = expiry of a created item (meta N, or T when T comes after N), Int4 = new expiry of an
/// existing item (meta T). Reply conventions read for meta ma: <see cref="McMeta.Win"/> in Meta when
/// the request created the item (N), Aux = TTL left in seconds (-1 = none; 0 = not reported). For
/// mg, Win without Stale means the request vivified the item.</para>
/// <para>Where memcached releases differ, this follows 1.6.18 (the reference binary of the
/// differential tests): token-count errors are ERROR, a malformed storage line leaves its data to be
/// read as the next command, `delete key 0` is the only legacy form, ms echoes O/k/c. From later
/// 1.6 releases it adds the meta E flag (ms passes it through) and md x.</para>
/// </remarks>
public sealed partial class McTextCodec : IMcCodec
{
    /// <summary>Longest multiget line we buffer (memcached grows its buffer without bound for these).</summary>
    public const int MaxMultiGetLine = 2 * 1024 * 1024;

    readonly McCodecOptions _options;
    byte[]? _scratch;   // a line split across segments
    long _swallow;      // bytes of a rejected data block still to discard

    public McTextCodec(McCodecOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
    }

    /// <summary>Per-line decoding state.</summary>
    ref struct Ctx
    {
        public ReadOnlySpan<byte> Line;   // without the terminator
        public int Length;                // with the terminator
        public McTokens Tokens;
        public RequestArena Arena;
        public ICommandSink Sink;
        public ShardMap Map;
        public IClock Clock;
        public ReadOnlySequence<byte> Input; // everything unread, starting with the line
        public long Consumed;                // bytes the request takes, once Complete

        public readonly ReadOnlySpan<byte> Token(int i) => Tokens.Get(Line, i);

        public readonly long Expiry(long exptime) => MemcachedTime.ToAbsoluteMs(exptime, Clock.NowMs);

        /// <summary>Copies a key into the arena and appends a command for it, routed by the key.</summary>
        public readonly ref Command Add(Op op, ReadOnlySpan<byte> key)
        {
            var mem = Arena.Memory(Arena.Append(key));
            ref var c = ref Sink.Add(Map.ShardOf(mem.Span));
            c.Op = op;
            c.Key = mem;
            return ref c;
        }
    }

    public McParseStatus TryDecode(ref SequenceReader<byte> reader, RequestArena arena, ICommandSink sink, ShardMap map,
        IClock clock, out McRequest request)
    {
        request = default;
        if (_swallow > 0) return Swallow(ref reader, arena, sink, map, clock, out request);
        if (reader.End) return McParseStatus.Incomplete;

        switch (McTextLine.Find(reader, ref _scratch, out var line, out int length))
        {
            case McTextLine.Result.NeedMore:
                return McParseStatus.Incomplete;
            case McTextLine.Result.Close:
                // memcached closes without a word on a long line that is not a multiget
                request = Fail(null, quiet: false, close: true);
                reader.Advance(reader.Remaining);
                return McParseStatus.Complete;
            case McTextLine.Result.TooLong:
                request = Fail(McTextErrors.OutOfMemoryReading, quiet: false, close: true);
                reader.Advance(reader.Remaining);
                return McParseStatus.Complete;
        }

        var c = new Ctx
        {
            Line = line, Length = length, Arena = arena, Sink = sink, Map = map, Clock = clock, Input = reader.UnreadSequence,
        };
        int first = sink.Count;
        var status = Dispatch(ref c, out request);
        if (status == McParseStatus.Incomplete) return status;
        reader.Advance(c.Consumed);
        if (request.Kind == McRequestKind.Data)
        {
            request.First = first;
            request.Count = sink.Count - first;
        }
        return status;
    }

    /// <summary>Discards the rest of a rejected data block, then decodes what follows it.</summary>
    McParseStatus Swallow(ref SequenceReader<byte> reader, RequestArena arena, ICommandSink sink, ShardMap map,
        IClock clock, out McRequest request)
    {
        request = default;
        long n = Math.Min(_swallow, reader.Remaining);
        if (n == 0) return McParseStatus.Incomplete;
        var start = reader;
        long before = _swallow;
        reader.Advance(n);
        _swallow -= n;
        if (_swallow > 0)
        {
            request = Fail(null, quiet: true);
            return McParseStatus.Complete;
        }
        var status = TryDecode(ref reader, arena, sink, map, clock, out request);
        if (status == McParseStatus.Incomplete)
        {
            reader = start;       // nothing consumed after all: the contract of Incomplete
            _swallow = before;
        }
        return status;
    }

    /// <summary>
    /// memcached 1.6.18's process_command_ascii: the line is tokenized (as C strings, so a NUL ends it),
    /// dispatched on its first letter, and each command checks its token count (ntokens, which counts
    /// a final empty token) before anything else; a wrong count is ERROR.
    /// </summary>
    McParseStatus Dispatch(scoped ref Ctx c, out McRequest req)
    {
        int nul = c.Line.IndexOf((byte)0);
        if (nul >= 0) c.Line = c.Line[..nul];
        c.Tokens = McTokens.Split(c.Line);
        int n = c.Tokens.N;
        if (n < 2 || c.Tokens.Length(0) < 2) return Done(ref c, out req, Fail(McTextErrors.Error, quiet: false));

        var cm = c.Token(0);
        switch (cm[0])
        {
            case (byte)'m' when cm.Length == 2:
                switch (cm[1])
                {
                    case (byte)'g': return Done(ref c, out req, DecodeMg(ref c));
                    case (byte)'s': return DecodeMs(ref c, out req);
                    case (byte)'d': return Done(ref c, out req, DecodeMd(ref c));
                    case (byte)'a': return Done(ref c, out req, DecodeMa(ref c));
                    case (byte)'e': return Done(ref c, out req, DecodeMe(ref c));
                    case (byte)'n': return Done(ref c, out req, new McRequest { Kind = McRequestKind.Local, Local = McLocal.Noop });
                }
                break;
            case (byte)'g':
                if (n < 3) break;
                if (cm.SequenceEqual("get"u8)) return Done(ref c, out req, DecodeGet(ref c, McTextOp.Get));
                if (cm.SequenceEqual("gets"u8)) return Done(ref c, out req, DecodeGet(ref c, McTextOp.Gets));
                if (cm.SequenceEqual("gat"u8)) return Done(ref c, out req, DecodeGet(ref c, McTextOp.Gat));
                if (cm.SequenceEqual("gats"u8)) return Done(ref c, out req, DecodeGet(ref c, McTextOp.Gats));
                break;
            case (byte)'s':
                if (cm.SequenceEqual("set"u8)) return n is 6 or 7 ? DecodeStorage(ref c, StoreKind.Set, out req) : Error(ref c, out req);
                if (cm.SequenceEqual("stats"u8)) return Done(ref c, out req, DecodeStats(ref c));
                if (cm.SequenceEqual("shutdown"u8)) return Done(ref c, out req, Fail(McTextErrors.ShutdownDisabled, quiet: false));
                break;
            case (byte)'a':
                if (cm.SequenceEqual("add"u8)) return n is 6 or 7 ? DecodeStorage(ref c, StoreKind.Add, out req) : Error(ref c, out req);
                if (cm.SequenceEqual("append"u8)) return n is 6 or 7 ? DecodeStorage(ref c, StoreKind.Append, out req) : Error(ref c, out req);
                break;
            case (byte)'c':
                if (cm.SequenceEqual("cas"u8)) return n is 7 or 8 ? DecodeStorage(ref c, StoreKind.Cas, out req) : Error(ref c, out req);
                break;
            case (byte)'i':
                if (cm.SequenceEqual("incr"u8) && n is 4 or 5) return Done(ref c, out req, DecodeArithmetic(ref c, decrement: false));
                break;
            case (byte)'d':
                if (cm.SequenceEqual("delete"u8) && n is >= 3 and <= 5) return Done(ref c, out req, DecodeDelete(ref c));
                if (cm.SequenceEqual("decr"u8) && n is 4 or 5) return Done(ref c, out req, DecodeArithmetic(ref c, decrement: true));
                break;
            case (byte)'t':
                if (cm.SequenceEqual("touch"u8) && n is 4 or 5) return Done(ref c, out req, DecodeTouch(ref c));
                break;
            default:
                if (cm.SequenceEqual("replace"u8)) return n is 6 or 7 ? DecodeStorage(ref c, StoreKind.Replace, out req) : Error(ref c, out req);
                if (cm.SequenceEqual("prepend"u8)) return n is 6 or 7 ? DecodeStorage(ref c, StoreKind.Prepend, out req) : Error(ref c, out req);
                return Done(ref c, out req, DecodeOther(ref c));
        }
        return Error(ref c, out req);
    }

    static McParseStatus Error(scoped ref Ctx c, out McRequest req) => Done(ref c, out req, Fail(McTextErrors.Error, quiet: false));

    /// <summary>Completes a request that is just its line.</summary>
    static McParseStatus Done(scoped ref Ctx c, out McRequest req, McRequest decoded)
    {
        c.Consumed = c.Length;
        req = decoded;
        return McParseStatus.Complete;
    }

    /// <summary>A request answered by the codec alone: an error line (suppressed when quiet), nothing when <paramref name="text"/> is null.</summary>
    static McRequest Fail(string? text, bool quiet, bool close = false) =>
        new() { Kind = McRequestKind.Error, ErrorText = text, Quiet = quiet, CloseAfter = close };

    /// <summary>Data request whose answer is <paramref name="text"/> whatever its commands reply (they run for their side effects).</summary>
    static McRequest FixedError(string text, bool quiet) =>
        new() { Kind = McRequestKind.Data, Opcode = (byte)McTextOp.FixedError, ErrorText = text, Quiet = quiet };

    static McRequest Data(McTextOp op, bool quiet) => new() { Kind = McRequestKind.Data, Opcode = (byte)op, Quiet = quiet };

    /// <summary>
    /// memcached's item_size_ok: the whole item (48-byte header, key + NUL, client flags when non-zero,
    /// data + CRLF, 8-byte CAS) must fit in the item size limit (-I, <see cref="McCodecOptions.MaxItemSize"/>).
    /// </summary>
    bool TooLarge(int keyLength, uint flags, int vlen) =>
        MemcachedItem.Size(keyLength, flags, vlen) > _options.MaxItemSize;

    /// <summary>
    /// Consumes a rejected storage command: its line and its data block (vlen + 2 bytes), as much of
    /// the block as is here now and the rest as it arrives.
    /// </summary>
    McParseStatus Reject(scoped ref Ctx c, long block, out McRequest req, McRequest decoded)
    {
        long here = Math.Min(block, c.Input.Length - c.Length);
        c.Consumed = c.Length + here;
        _swallow = block - here;
        req = decoded;
        return McParseStatus.Complete;
    }
}
