using System.Buffers;
using System.Runtime.CompilerServices;

namespace CacheCluster.Protocols.Resp;

/// <summary>
/// Inline requests ("SET k v\r\n", as typed in telnet): a line ended by '\n' (a preceding '\r' is
/// dropped), split like Redis's sdssplitargs. Not a hot path, so clarity wins over speed here.
/// </summary>
internal static class RespInlineParser
{
    private const int StackScratch = 512;

    public static RespParseStatus Parse(ref SequenceReader<byte> reader, RequestArena arena, out string? error)
    {
        ReadOnlySpan<byte> span = reader.UnreadSpan;
        int nl = span.IndexOf((byte)'\n');
        if (nl >= 0)
        {
            RespParseStatus status = SplitLine(span[..nl], arena, out error);
            reader.Advance(nl + 1);
            return status;
        }

        long available = reader.Remaining;
        if (!reader.TryReadTo(out ReadOnlySequence<byte> line, (byte)'\n'))
        {
            // Redis gives up once more than 64 KB are buffered without a newline.
            error = available > RespRequestParser.MaxInlineSize ? RespRequestParser.TooBigInline : null;
            return error is null ? RespParseStatus.Incomplete : RespParseStatus.Error;
        }
        return SplitLine(line, arena, out error);
    }

    private static RespParseStatus SplitLine(ReadOnlySpan<byte> line, RequestArena arena, out string? error)
    {
        byte[]? rented = null;
        Span<byte> scratch = line.Length <= StackScratch
            ? stackalloc byte[StackScratch]
            : (rented = ArrayPool<byte>.Shared.Rent(line.Length));
        line.CopyTo(scratch);
        try
        {
            return Split(scratch[..line.Length], arena, out error);
        }
        finally
        {
            if (rented != null) ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private static RespParseStatus SplitLine(ReadOnlySequence<byte> line, RequestArena arena, out string? error)
    {
        int length = checked((int)line.Length);
        byte[]? rented = null;
        Span<byte> scratch = length <= StackScratch
            ? stackalloc byte[StackScratch]
            : (rented = ArrayPool<byte>.Shared.Rent(length));
        line.CopyTo(scratch);
        try
        {
            return Split(scratch[..length], arena, out error);
        }
        finally
        {
            if (rented != null) ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>
    /// Port of sdssplitargs over a scratch copy of the line, unescaping in place (a token is never
    /// longer than its source text). Appends each token to the arena.
    /// </summary>
    private static RespParseStatus Split(Span<byte> s, RequestArena arena, out string? error)
    {
        error = null;
        if (s.Length > 0 && s[^1] == (byte)'\r') s = s[..^1];
        // Redis handles the line as a C string: it ends at the first NUL.
        int nul = s.IndexOf((byte)0);
        if (nul >= 0) s = s[..nul];

        int p = 0, tokens = 0;
        while (true)
        {
            while (p < s.Length && IsSpace(s[p])) p++;
            if (p == s.Length) break;

            int start = p, w = p;
            bool inDouble = false, inSingle = false, done = false;
            while (!done)
            {
                byte c = At(s, p);
                if (inDouble)
                {
                    if (c == '\\' && At(s, p + 1) == 'x' && IsHex(At(s, p + 2)) && IsHex(At(s, p + 3)))
                    {
                        s[w++] = (byte)(HexValue(At(s, p + 2)) * 16 + HexValue(At(s, p + 3)));
                        p += 3;
                    }
                    else if (c == '\\' && At(s, p + 1) != 0)
                    {
                        p++;
                        s[w++] = s[p] switch
                        {
                            (byte)'n' => (byte)'\n',
                            (byte)'r' => (byte)'\r',
                            (byte)'t' => (byte)'\t',
                            (byte)'b' => (byte)'\b',
                            (byte)'a' => (byte)'\a',
                            byte other => other,
                        };
                    }
                    else if (c == '"')
                    {
                        // The closing quote must be followed by a space or the end of the line.
                        if (At(s, p + 1) != 0 && !IsSpace(At(s, p + 1))) return Unbalanced(out error);
                        done = true;
                    }
                    else if (c == 0) return Unbalanced(out error);
                    else s[w++] = c;
                }
                else if (inSingle)
                {
                    if (c == '\\' && At(s, p + 1) == '\'')
                    {
                        p++;
                        s[w++] = (byte)'\'';
                    }
                    else if (c == '\'')
                    {
                        if (At(s, p + 1) != 0 && !IsSpace(At(s, p + 1))) return Unbalanced(out error);
                        done = true;
                    }
                    else if (c == 0) return Unbalanced(out error);
                    else s[w++] = c;
                }
                else
                {
                    switch (c)
                    {
                        // Only these end an unquoted token (isspace's \v and \f do not, as in Redis).
                        case (byte)' ' or (byte)'\n' or (byte)'\r' or (byte)'\t' or 0: done = true; break;
                        case (byte)'"': inDouble = true; break;
                        case (byte)'\'': inSingle = true; break;
                        default: s[w++] = c; break;
                    }
                }
                if (At(s, p) != 0) p++;
            }
            arena.Append(s[start..w]);
            tokens++;
        }
        return tokens == 0 ? RespParseStatus.Empty : RespParseStatus.Complete;
    }

    private static RespParseStatus Unbalanced(out string? error)
    {
        error = RespRequestParser.UnbalancedQuotes;
        return RespParseStatus.Error;
    }

    // The C code reads the terminating NUL past the end; so do we.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static byte At(Span<byte> s, int i) => i < s.Length ? s[i] : (byte)0;

    // C isspace in the "C" locale.
    private static bool IsSpace(byte c) => c == ' ' || (c >= '\t' && c <= '\r');

    private static bool IsHex(byte c) => (uint)(c - '0') <= 9 || (uint)((c | 0x20) - 'a') <= 5;

    private static int HexValue(byte c) => c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}
