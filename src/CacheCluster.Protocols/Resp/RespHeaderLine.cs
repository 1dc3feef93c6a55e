using System.Buffers;
using CacheCluster.Core;

namespace CacheCluster.Protocols.Resp;

/// <summary>
/// Reads a multibulk header line ("*&lt;count&gt;\r\n" or "$&lt;length&gt;\r\n") with Redis's rules:
/// the line runs to the first '\r' and is judged only once the byte after that '\r' has arrived;
/// then the prefix is checked, then the number (string2ll: no '+', no leading zeros, no "-0").
/// </summary>
internal static class RespHeaderLine
{
    internal enum Result : byte { Ok, NeedMore, BadPrefix, BadNumber }

    /// <summary>Span version; on success <paramref name="pos"/> moves past the CRLF, otherwise it is unchanged.</summary>
    public static Result Read(ReadOnlySpan<byte> s, ref int pos, byte prefix, out long value)
    {
        // Common case first: prefix, up to 18 digits (no overflow possible), CRLF.
        int i = pos + 1;
        if (i < s.Length && s[pos] == prefix)
        {
            uint d = (uint)(s[i] - '0');
            if (d <= 9)
            {
                long v = d;
                int j = i + 1;
                while (j < s.Length && j - i < 18 && (d = (uint)(s[j] - '0')) <= 9)
                {
                    v = v * 10 + d;
                    j++;
                }
                if (j + 1 < s.Length && s[j] == (byte)'\r' && s[j + 1] == (byte)'\n' && (s[i] != (byte)'0' || j == i + 1))
                {
                    value = v;
                    pos = j + 2;
                    return Result.Ok;
                }
            }
        }
        return ReadExact(s, ref pos, prefix, out value);
    }

    // Everything else (negative numbers, garbage, partial lines) with Redis's exact order of checks.
    private static Result ReadExact(ReadOnlySpan<byte> s, ref int pos, byte prefix, out long value)
    {
        value = 0;
        int cr = s.Slice(pos).IndexOf((byte)'\r');
        if (cr < 0 || pos + cr + 1 >= s.Length) return Result.NeedMore;
        cr += pos;
        if (s[pos] != prefix) return Result.BadPrefix;
        if (s[cr + 1] != (byte)'\n' || !RedisNumbers.TryParseInt64(s[(pos + 1)..cr], out value)) return Result.BadNumber;
        pos = cr + 2;
        return Result.Ok;
    }

    /// <summary>
    /// Sequence version. Returns Complete, Incomplete, or Error with Redis's text in <paramref name="error"/>
    /// (including "too big ... count string" when more than 64 KB are buffered without a '\r').
    /// </summary>
    public static RespParseStatus Read(ref SequenceReader<byte> r, byte prefix, out long value, out string? error)
    {
        value = 0;
        error = null;
        long available = r.Remaining;
        if (!r.TryPeek(out byte first)) return RespParseStatus.Incomplete;
        if (!r.TryReadTo(out ReadOnlySequence<byte> line, (byte)'\r'))
        {
            if (available <= RespRequestParser.MaxInlineSize) return RespParseStatus.Incomplete;
            error = prefix == (byte)'*' ? RespRequestParser.TooBigMultibulkCount : RespRequestParser.TooBigBulkCount;
            return RespParseStatus.Error;
        }
        if (!r.TryRead(out byte lf)) return RespParseStatus.Incomplete;
        if (first != prefix)
        {
            error = RespRequestParser.ExpectedDollar(first);
            return RespParseStatus.Error;
        }
        if (lf != (byte)'\n' || !TryParseNumber(line.Slice(1), out value))
        {
            error = prefix == (byte)'*' ? RespRequestParser.InvalidMultibulkLength : RespRequestParser.InvalidBulkLength;
            return RespParseStatus.Error;
        }
        return RespParseStatus.Complete;
    }

    private static bool TryParseNumber(ReadOnlySequence<byte> digits, out long value)
    {
        if (digits.IsSingleSegment) return RedisNumbers.TryParseInt64(digits.FirstSpan, out value);
        value = 0;
        if (digits.Length > 20) return false; // string2ll's limit; avoids copying a long garbage line
        Span<byte> buf = stackalloc byte[20];
        digits.CopyTo(buf);
        return RedisNumbers.TryParseInt64(buf[..(int)digits.Length], out value);
    }
}
