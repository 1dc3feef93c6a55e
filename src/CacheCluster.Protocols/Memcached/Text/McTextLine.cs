using System.Buffers;
using System.Runtime.CompilerServices;

namespace CacheCluster.Protocols.Memcached.Text;

/// <summary>
/// Finds request lines the way memcached 1.6 does (try_read_command_ascii): a line ends at '\n', and
/// a '\r' before it is dropped when the line has more than that one byte. A line must fit
/// memcached's 16 KB read buffer, unless it is a <c>get</c>/<c>gets</c> (memcached grows its buffer
/// for those without bound; we stop at <see cref="McTextCodec.MaxMultiGetLine"/>). Otherwise the
/// connection is closed. memcached also closes when a read happens to leave more than 2048 bytes
/// without a newline; that depends on how TCP split the bytes, so we wait for the newline up to
/// the 16 KB limit instead, which is what memcached does whenever the line arrives in one read.
/// </summary>
internal static class McTextLine
{
    /// <summary>memcached's READ_BUFFER_SIZE: a longer line (newline included) can never be read whole, except a multiget.</summary>
    public const int ReadBufferSize = 16384;

    public enum Result : byte { Found, NeedMore, Close, TooLong }

    /// <summary>
    /// Locates the next line without advancing <paramref name="reader"/>. <paramref name="line"/> excludes the
    /// terminator; <paramref name="length"/> includes it. A line split across segments is copied into
    /// <paramref name="scratch"/> (kept by the caller for reuse).
    /// </summary>
    public static Result Find(in SequenceReader<byte> reader, ref byte[]? scratch, out ReadOnlySpan<byte> line, out int length)
    {
        line = default;
        length = 0;
        ReadOnlySpan<byte> first = reader.UnreadSpan;
        int nl = first.IndexOf((byte)'\n');
        if (nl >= 0)
        {
            if (nl >= McTextCodec.MaxMultiGetLine) return Result.TooLong;
            length = nl + 1;
            line = first[..length];
        }
        else
        {
            long remaining = reader.Remaining;
            SequencePosition? pos = remaining > first.Length ? reader.UnreadSequence.PositionOf((byte)'\n') : null;
            if (pos == null)
                return remaining > ReadBufferSize ? Pending(reader) : Result.NeedMore;
            long len = reader.UnreadSequence.Slice(0, pos.Value).Length + 1;
            if (len > McTextCodec.MaxMultiGetLine) return Result.TooLong;
            length = (int)len;
            if (scratch == null || scratch.Length < length)
                scratch = new byte[Math.Max(length, Math.Min(2 * (scratch?.Length ?? 256), McTextCodec.MaxMultiGetLine))];
            reader.UnreadSequence.Slice(0, length).CopyTo(scratch);
            line = scratch.AsSpan(0, length);
        }
        if (length > ReadBufferSize && !IsMultiget(line)) return Result.Close;
        line = line[..^1];
        if (line.Length > 1 && line[^1] == (byte)'\r') line = line[..^1];
        return Result.Found;
    }

    /// <summary>No newline within <see cref="ReadBufferSize"/> bytes: only a multiget may keep waiting.</summary>
    static Result Pending(in SequenceReader<byte> reader)
    {
        if (reader.Remaining > McTextCodec.MaxMultiGetLine) return Result.TooLong;
        Span<byte> head = stackalloc byte[106];
        var probe = reader;
        int n = (int)Math.Min(head.Length, probe.Remaining);
        probe.TryCopyTo(head[..n]);
        return IsMultiget(head[..n]) ? Result.NeedMore : Result.Close;
    }

    /// <summary>memcached's test: at most 100 leading spaces, then "get " or "gets ".</summary>
    static bool IsMultiget(ReadOnlySpan<byte> head)
    {
        int spaces = 0;
        while (spaces < head.Length && head[spaces] == (byte)' ') spaces++;
        if (spaces > 100) return false;
        var rest = head[spaces..];
        return rest.StartsWith("get "u8) || rest.StartsWith("gets "u8);
    }
}

[InlineArray(McTokens.Max)]
internal struct McTokenArray
{
    private int _element;
}

/// <summary>
/// A request line split like memcached's tokenize_command: on spaces only, at most <see cref="Max"/>
/// tokens (the rest of a longer line is left unsplit; only multigets read it). <see cref="N"/> is
/// memcached's <c>ntokens</c>, which counts a final empty token, so arity checks read as in memcached.
/// Tokens are offsets into the line, so this holds no reference to it.
/// </summary>
internal struct McTokens
{
    /// <summary>MAX_TOKENS (24) minus memcached's terminal token.</summary>
    public const int Max = 23;

    McTokenArray _start;
    McTokenArray _length;
    public int Count;

    /// <summary>memcached's ntokens: the tokens plus the terminal one.</summary>
    public readonly int N => Count + 1;

    public static McTokens Split(ReadOnlySpan<byte> line)
    {
        var t = new McTokens();
        int i = 0;
        while (i < line.Length && t.Count < Max)
        {
            if (line[i] == (byte)' ') { i++; continue; }
            int end = line[i..].IndexOf((byte)' ');
            end = end < 0 ? line.Length : i + end;
            t._start[t.Count] = i;
            t._length[t.Count] = end - i;
            t.Count++;
            i = end;
        }
        return t;
    }

    public readonly ReadOnlySpan<byte> Get(ReadOnlySpan<byte> line, int i) => line.Slice(_start[i], _length[i]);

    public readonly int Start(int i) => _start[i];

    public readonly int Length(int i) => _length[i];

    /// <summary>memcached's set_noreply_maybe: whether the last token is "noreply".</summary>
    public readonly bool LastIsNoreply(ReadOnlySpan<byte> line) => Count > 0 && Get(line, Count - 1).SequenceEqual("noreply"u8);
}
