using System.Buffers;
using System.Text;

namespace CacheCluster.Protocols.Memcached.Text;

/// <summary>
/// Builds one response line straight in the output's buffer (one GetSpan/Advance), optionally with a
/// small value after it; large values are copied separately in pieces.
/// </summary>
internal ref struct McLineWriter
{
    /// <summary>Room for the longest line we write: a meta line with a base64 key, an opaque and every number.</summary>
    public const int MaxLine = 1024;

    /// <summary>Values up to this size go in the same buffer as their header line.</summary>
    public const int InlineValue = 4096;

    readonly IBufferWriter<byte> _output;
    readonly Span<byte> _buf;
    int _n;

    public McLineWriter(IBufferWriter<byte> output, int extra = 0)
    {
        _output = output;
        _buf = output.GetSpan(MaxLine + extra);
        _n = 0;
    }

    public void Append(scoped ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(_buf[_n..]);
        _n += bytes.Length;
    }

    public void Append(byte b) => _buf[_n++] = b;

    public void Append(ulong v) => _n += McNumbers.Write(_buf[_n..], v);

    public void Append(long v) => _n += McNumbers.Write(_buf[_n..], v);

    /// <summary>" " + letter, as memcached's META_CHAR.</summary>
    public void Flag(char letter)
    {
        _buf[_n++] = (byte)' ';
        _buf[_n++] = (byte)letter;
    }

    public void CrLf()
    {
        _buf[_n++] = (byte)'\r';
        _buf[_n++] = (byte)'\n';
    }

    /// <summary>Ends the line and, when given, writes <paramref name="value"/> + CRLF after it.</summary>
    public void Commit(bool withValue = false, scoped ReadOnlySpan<byte> value = default)
    {
        CrLf();
        if (withValue && value.Length <= InlineValue)
        {
            value.CopyTo(_buf[_n..]);
            _n += value.Length;
            CrLf();
            _output.Advance(_n);
            return;
        }
        _output.Advance(_n);
        if (!withValue) return;
        _output.Write(value);
        _output.Write("\r\n"u8);
    }

    /// <summary>A whole line from a constant (error texts and the like).</summary>
    public static void Line(IBufferWriter<byte> output, string ascii)
    {
        var span = output.GetSpan(Encoding.UTF8.GetMaxByteCount(ascii.Length) + 2);
        int n = Encoding.UTF8.GetBytes(ascii, span);
        span[n++] = (byte)'\r';
        span[n++] = (byte)'\n';
        output.Advance(n);
    }

    public static void Line(IBufferWriter<byte> output, ReadOnlySpan<byte> bytesWithCrLf) => output.Write(bytesWithCrLf);

    public static int ExtraFor(bool withValue, int length) => withValue && length <= InlineValue ? length + 2 : 0;
}
