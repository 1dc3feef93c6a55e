using System.Buffers;
using System.Buffers.Text;
using System.Text;
using System.Text.Unicode;

namespace CacheCluster.Protocols.Resp;

/// <summary>
/// Encodes replies straight into an <see cref="IBufferWriter{T}"/> (no intermediate arrays or strings),
/// as RESP2 or RESP3 depending on <see cref="Version"/>, which HELLO may change at any time.
/// Keep it in a mutable field (not a readonly one) if <see cref="Version"/> is going to be set.
/// </summary>
public partial struct RespWriter
{
    // Prefix + "-9223372036854775808" + CRLF.
    private const int MaxHeader = 1 + 20 + 2;

    // Bulk payloads up to this size are written with their header in one GetSpan/Advance.
    // Larger ones are copied in pieces no bigger than a typical pipe block (ask little, take what is given).
    private const int SingleSpanBulk = 4 * 1024;
    private const int PieceHint = 4 * 1024;

    // Strings up to this many chars are encoded with one GetSpan (worst case 3 bytes per char).
    private const int SingleSpanChars = 2 * 1024;

    private IBufferWriter<byte> _output;
    private int _version;

    public RespWriter(IBufferWriter<byte> output, int version = 2)
    {
        ArgumentNullException.ThrowIfNull(output);
        _output = output;
        _version = 2;
        Version = version;
    }

    public IBufferWriter<byte> Output
    {
        readonly get => _output;
        set => _output = value ?? throw new ArgumentNullException(nameof(value));
    }

    /// <summary>Protocol version, 2 or 3.</summary>
    public int Version
    {
        readonly get => _version == 3 ? 3 : 2;
        set => _version = value is 2 or 3 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "RESP version must be 2 or 3.");
    }

    private readonly bool Resp3 => _version == 3;

    /// <summary>"+text\r\n". CR/LF inside the text are replaced by spaces so the reply stays well-formed.</summary>
    public readonly void WriteSimpleString(ReadOnlySpan<byte> text) => WriteLine((byte)'+', text);

    /// <inheritdoc cref="WriteSimpleString(ReadOnlySpan{byte})"/>
    public readonly void WriteSimpleString(string ascii) => WriteLine((byte)'+', ascii);

    public readonly void WriteOk() => WriteRaw("+OK\r\n"u8);

    /// <summary>"-text\r\n"; <paramref name="textWithoutDash"/> starts with the error code, e.g. "ERR syntax error".</summary>
    public readonly void WriteError(string textWithoutDash) => WriteLine((byte)'-', textWithoutDash);

    /// <inheritdoc cref="WriteError(string)"/>
    public readonly void WriteError(ReadOnlySpan<byte> textWithoutDash) => WriteLine((byte)'-', textWithoutDash);

    public readonly void WriteInteger(long value) => WriteHeader((byte)':', value);

    public readonly void WriteBulk(ReadOnlySpan<byte> value)
    {
        if (value.Length <= SingleSpanBulk)
        {
            Span<byte> span = _output.GetSpan(MaxHeader + value.Length + 2);
            int n = FormatHeader(span, (byte)'$', value.Length);
            value.CopyTo(span[n..]);
            n += value.Length;
            span[n++] = (byte)'\r';
            span[n++] = (byte)'\n';
            _output.Advance(n);
            return;
        }
        WriteHeader((byte)'$', value.Length);
        WriteRaw(value);
        WriteRaw("\r\n"u8);
    }

    /// <summary>A bulk string holding the UTF-8 encoding of <paramref name="value"/>.</summary>
    public readonly void WriteBulkString(string value)
    {
        int byteCount = Encoding.UTF8.GetByteCount(value);
        if (byteCount <= SingleSpanBulk)
        {
            Span<byte> span = _output.GetSpan(MaxHeader + byteCount + 2);
            int n = FormatHeader(span, (byte)'$', byteCount);
            n += Encoding.UTF8.GetBytes(value, span[n..]);
            span[n++] = (byte)'\r';
            span[n++] = (byte)'\n';
            _output.Advance(n);
            return;
        }
        WriteHeader((byte)'$', byteCount);
        WriteUtf8(value, sanitize: false);
        WriteRaw("\r\n"u8);
    }

    /// <summary>Null bulk string: RESP2 "$-1", RESP3 "_".</summary>
    public readonly void WriteNull() => WriteRaw(Resp3 ? "_\r\n"u8 : "$-1\r\n"u8);

    /// <summary>Null array: RESP2 "*-1", RESP3 "_".</summary>
    public readonly void WriteNullArray() => WriteRaw(Resp3 ? "_\r\n"u8 : "*-1\r\n"u8);

    public readonly void WriteArrayHeader(int count) => WriteHeader((byte)'*', NonNegative(count));

    /// <summary>RESP3 "%pairs"; RESP2 a flat array of 2*pairs elements.</summary>
    public readonly void WriteMapHeader(int pairs)
    {
        if (Resp3) WriteHeader((byte)'%', NonNegative(pairs));
        else WriteHeader((byte)'*', 2L * NonNegative(pairs));
    }

    /// <summary>RESP3 "~count"; RESP2 an array.</summary>
    public readonly void WriteSetHeader(int count) => WriteHeader(Resp3 ? (byte)'~' : (byte)'*', NonNegative(count));

    /// <summary>RESP3 ",text"; RESP2 a bulk string with the same text (Redis 7.0 formatting, see <see cref="FormatDoubleG17"/>).</summary>
    public readonly void WriteDouble(double value)
    {
        Span<byte> text = stackalloc byte[MaxDoubleLength];
        int n = FormatDoubleG17(value, text);
        if (!Resp3)
        {
            WriteBulk(text[..n]);
            return;
        }
        Span<byte> span = _output.GetSpan(n + 3);
        span[0] = (byte)',';
        text[..n].CopyTo(span[1..]);
        span[n + 1] = (byte)'\r';
        span[n + 2] = (byte)'\n';
        _output.Advance(n + 3);
    }

    /// <summary>RESP3 "#t"/"#f"; RESP2 the integers 1/0.</summary>
    public readonly void WriteBoolean(bool value)
    {
        if (Resp3) WriteRaw(value ? "#t\r\n"u8 : "#f\r\n"u8);
        else WriteRaw(value ? ":1\r\n"u8 : ":0\r\n"u8);
    }

    /// <summary>RESP3 verbatim string "=len\r\nfmt:text\r\n" (<paramref name="format3"/> is e.g. "txt"u8); RESP2 a bulk of the text.</summary>
    public readonly void WriteVerbatim(ReadOnlySpan<byte> format3, ReadOnlySpan<byte> text)
    {
        if (format3.Length != 3) throw new ArgumentException("The verbatim format must be exactly 3 bytes.", nameof(format3));
        if (!Resp3)
        {
            WriteBulk(text);
            return;
        }
        WriteHeader((byte)'=', text.Length + 4L);
        Span<byte> span = _output.GetSpan(4);
        format3.CopyTo(span);
        span[3] = (byte)':';
        _output.Advance(4);
        WriteRaw(text);
        WriteRaw("\r\n"u8);
    }

    private readonly void WriteHeader(byte prefix, long value)
    {
        Span<byte> span = _output.GetSpan(MaxHeader);
        _output.Advance(FormatHeader(span, prefix, value));
    }

    private static int FormatHeader(Span<byte> span, byte prefix, long value)
    {
        span[0] = prefix;
        int n;
        if ((ulong)value < 10)
        {
            span[1] = (byte)('0' + value);
            n = 1;
        }
        else
        {
            Utf8Formatter.TryFormat(value, span[1..], out n);
        }
        span[n + 1] = (byte)'\r';
        span[n + 2] = (byte)'\n';
        return n + 3;
    }

    // A one-line reply (simple string or error); line breaks inside would desync the client.
    private readonly void WriteLine(byte prefix, ReadOnlySpan<byte> text)
    {
        Span<byte> span = _output.GetSpan(text.Length + 3);
        span[0] = prefix;
        Span<byte> body = span.Slice(1, text.Length);
        text.CopyTo(body);
        Sanitize(body);
        span[text.Length + 1] = (byte)'\r';
        span[text.Length + 2] = (byte)'\n';
        _output.Advance(text.Length + 3);
    }

    /// <summary>
    /// Status and error lines are written as Latin-1: their texts are ASCII, or carry a client's
    /// own bytes decoded as Latin-1 (e.g. "unknown command 'x'"), which must go back byte for byte.
    /// </summary>
    private readonly void WriteLine(byte prefix, string text)
    {
        WriteRaw([prefix]);
        ReadOnlySpan<char> chars = text;
        while (!chars.IsEmpty)
        {
            int take = Math.Min(chars.Length, PieceHint);
            Span<byte> span = _output.GetSpan(take);
            int n = Encoding.Latin1.GetBytes(chars[..take], span);
            Sanitize(span[..n]);
            _output.Advance(n);
            chars = chars[take..];
        }
        WriteRaw("\r\n"u8);
    }

    private readonly void WriteUtf8(string text, bool sanitize)
    {
        ReadOnlySpan<char> chars = text;
        if (chars.Length <= SingleSpanChars)
        {
            Span<byte> span = _output.GetSpan(chars.Length * 3);
            int n = Encoding.UTF8.GetBytes(chars, span);
            if (sanitize) Sanitize(span[..n]);
            _output.Advance(n);
            return;
        }
        // Large text: encode piecewise. FromUtf16 never splits a surrogate pair, and a 4 KB span always
        // has room for at least one scalar, so every round makes progress. Invalid UTF-16 becomes
        // U+FFFD, exactly as Encoding.UTF8.GetByteCount counted it.
        while (!chars.IsEmpty)
        {
            Span<byte> span = _output.GetSpan(PieceHint);
            Utf8.FromUtf16(chars, span, out int read, out int written, replaceInvalidSequences: true, isFinalBlock: true);
            if (sanitize) Sanitize(span[..written]);
            _output.Advance(written);
            chars = chars[read..];
        }
    }

    private readonly void WriteRaw(ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty)
        {
            Span<byte> span = _output.GetSpan(Math.Min(data.Length, PieceHint));
            int n = Math.Min(span.Length, data.Length);
            data[..n].CopyTo(span);
            _output.Advance(n);
            data = data[n..];
        }
    }

    private static void Sanitize(Span<byte> text)
    {
        text.Replace((byte)'\r', (byte)' ');
        text.Replace((byte)'\n', (byte)' ');
    }

    private static int NonNegative(int value)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(value);
        return value;
    }
}
