using System.Buffers;
using CacheCluster.Core;

namespace CacheCluster.Protocols.Resp;

/// <summary>Outcome of <see cref="RespRequestParser.TryParse"/>.</summary>
public enum RespParseStatus
{
    /// <summary>One request parsed; reader advanced past it; its arguments are in the arena.</summary>
    Complete,
    /// <summary>Not all bytes have arrived; reader and arena are as they were before the call.</summary>
    Incomplete,
    /// <summary>Protocol error: reply with the error text and close the connection.</summary>
    Error,
    /// <summary>A request without a command (<c>*0</c>, <c>*-1</c>, a blank inline line); reader advanced; skip it.</summary>
    Empty,
}

/// <summary>
/// Parses client requests exactly like Redis 7 (networking.c processMultibulkBuffer /
/// processInlineBuffer): a request starting with '*' is multibulk, anything else is inline.
/// Stateless: a request that has not fully arrived is re-parsed from its start on the next call,
/// which stays cheap because payload bytes are never copied until the whole request is present.
/// </summary>
public static class RespRequestParser
{
    /// <summary>Largest accepted multibulk count.</summary>
    public const int MaxMultibulkLength = 1024 * 1024;

    /// <summary>Largest accepted bulk length (Redis proto-max-bulk-len default, 512 MB).</summary>
    public const long MaxBulkLength = 512L * 1024 * 1024;

    /// <summary>Redis PROTO_INLINE_MAX_SIZE: how much may be buffered while a line's end is missing.</summary>
    public const int MaxInlineSize = 64 * 1024;

    internal const string InvalidMultibulkLength = "ERR Protocol error: invalid multibulk length";
    internal const string InvalidBulkLength = "ERR Protocol error: invalid bulk length";
    internal const string TooBigMultibulkCount = "ERR Protocol error: too big mbulk count string";
    internal const string TooBigBulkCount = "ERR Protocol error: too big bulk count string";
    internal const string TooBigInline = "ERR Protocol error: too big inline request";
    internal const string UnbalancedQuotes = "ERR Protocol error: unbalanced quotes in request";

    // Redis skips the two bytes after a bulk payload without looking at them; we insist on CRLF
    // (a client that gets this wrong is out of sync anyway) and report it as a bad bulk length.
    internal const string BulkNotTerminated = InvalidBulkLength;

    /// <summary>
    /// Parses one request from <paramref name="reader"/>. On <see cref="RespParseStatus.Complete"/>
    /// <paramref name="args"/> views its arguments in <paramref name="arena"/>; on
    /// <see cref="RespParseStatus.Error"/> <paramref name="error"/> is Redis's text without the leading '-'.
    /// </summary>
    public static RespParseStatus TryParse(ref SequenceReader<byte> reader, RequestArena arena, out ArgumentList args, out string? error)
    {
        args = default;
        error = null;
        if (!reader.TryPeek(out byte first)) return RespParseStatus.Incomplete;

        int mark = arena.ArgCount;
        SequenceReader<byte> start = reader;
        RespParseStatus status = first == (byte)'*'
            ? ParseMultibulk(ref reader, arena, mark, out error)
            : RespInlineParser.Parse(ref reader, arena, out error);

        switch (status)
        {
            case RespParseStatus.Complete:
                args = new ArgumentList(arena, mark, arena.ArgCount - mark);
                break;
            case RespParseStatus.Incomplete:
                reader = start;
                arena.Truncate(mark);
                break;
            case RespParseStatus.Error:
                arena.Truncate(mark);
                break;
        }
        return status;
    }

    private static RespParseStatus ParseMultibulk(ref SequenceReader<byte> reader, RequestArena arena, int mark, out string? error)
    {
        // Fast path: the whole request sits in the current segment (the usual case).
        ReadOnlySpan<byte> span = reader.UnreadSpan;
        RespParseStatus status = ScanSpan(span, out long count, out int bodyStart, out int end, out error);
        if (status == RespParseStatus.Complete) CopySpan(span, bodyStart, count, arena);
        if (status != RespParseStatus.Incomplete)
        {
            reader.Advance(end);
            return status;
        }

        // Slow path across segments (or genuinely incomplete): validate first without copying,
        // then copy in a second pass, so retries of a request still arriving never copy payloads.
        SequenceReader<byte> probe = reader;
        status = ParseSequence(ref probe, null, out error);
        if (status == RespParseStatus.Complete) ParseSequence(ref reader, arena, out _);
        else if (status == RespParseStatus.Empty) reader = probe;
        return status;
    }

    /// <summary>
    /// Validates one multibulk request in <paramref name="s"/> without copying.
    /// Incomplete means "ran out of span"; the caller retries on the whole sequence.
    /// </summary>
    private static RespParseStatus ScanSpan(ReadOnlySpan<byte> s, out long count, out int bodyStart, out int end, out string? error)
    {
        error = null;
        int pos = 0;
        bodyStart = end = 0;
        switch (RespHeaderLine.Read(s, ref pos, (byte)'*', out count))
        {
            case RespHeaderLine.Result.NeedMore: return RespParseStatus.Incomplete;
            case RespHeaderLine.Result.Ok when count <= MaxMultibulkLength: break;
            default: error = InvalidMultibulkLength; return RespParseStatus.Error;
        }
        bodyStart = end = pos;
        if (count <= 0) return RespParseStatus.Empty;

        for (long k = 0; k < count; k++)
        {
            switch (RespHeaderLine.Read(s, ref pos, (byte)'$', out long len))
            {
                case RespHeaderLine.Result.NeedMore: return RespParseStatus.Incomplete;
                case RespHeaderLine.Result.BadPrefix: error = ExpectedDollar(s[pos]); return RespParseStatus.Error;
                case RespHeaderLine.Result.Ok when len >= 0 && len <= MaxBulkLength: break;
                default: error = InvalidBulkLength; return RespParseStatus.Error;
            }
            // Check the length before touching the payload: a big value still arriving costs nothing.
            if (s.Length - pos < len + 2) return RespParseStatus.Incomplete;
            pos += (int)len;
            if (s[pos] != (byte)'\r' || s[pos + 1] != (byte)'\n')
            {
                error = BulkNotTerminated;
                return RespParseStatus.Error;
            }
            pos += 2;
        }
        end = pos;
        return RespParseStatus.Complete;
    }

    /// <summary>Second pass over a request <see cref="ScanSpan"/> accepted: headers are known-good digits.</summary>
    private static void CopySpan(ReadOnlySpan<byte> s, int pos, long count, RequestArena arena)
    {
        for (; count > 0; count--)
        {
            pos++; // '$'
            int len = 0;
            byte c;
            while ((c = s[pos++]) != (byte)'\r') len = len * 10 + (c - '0');
            pos++; // '\n'
            arena.Append(s.Slice(pos, len));
            pos += len + 2;
        }
    }

    /// <summary>
    /// Parses one multibulk request across segments; copies arguments only when
    /// <paramref name="arena"/> is not null. The reader is left wherever parsing stopped.
    /// </summary>
    private static RespParseStatus ParseSequence(ref SequenceReader<byte> r, RequestArena? arena, out string? error)
    {
        RespParseStatus status = RespHeaderLine.Read(ref r, (byte)'*', out long count, out error);
        if (status != RespParseStatus.Complete) return status;
        if (count > MaxMultibulkLength)
        {
            error = InvalidMultibulkLength;
            return RespParseStatus.Error;
        }
        if (count <= 0) return RespParseStatus.Empty;

        for (long k = 0; k < count; k++)
        {
            status = RespHeaderLine.Read(ref r, (byte)'$', out long len, out error);
            if (status != RespParseStatus.Complete) return status;
            if (len < 0 || len > MaxBulkLength)
            {
                error = InvalidBulkLength;
                return RespParseStatus.Error;
            }
            if (r.Remaining < len + 2) return RespParseStatus.Incomplete;
            if (arena != null) arena.Append(r.UnreadSequence.Slice(0, len));
            r.Advance(len);
            if (!r.IsNext("\r\n"u8, advancePast: true))
            {
                error = BulkNotTerminated;
                return RespParseStatus.Error;
            }
        }
        return RespParseStatus.Complete;
    }

    internal static string ExpectedDollar(byte got) => $"ERR Protocol error: expected '$', got '{(char)got}'";
}
