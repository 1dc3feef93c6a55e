using System.Buffers;
using System.Text;

namespace CacheCluster.Protocols.Memcached.Binary;

/// <summary>
/// Writes binary responses (magic 0x81, datatype raw) straight into an <see cref="IBufferWriter{T}"/>:
/// header, extras and key in one span, the value copied from where it lives. No intermediate arrays.
/// </summary>
internal static class McBinaryResponseWriter
{
    const int H = McBinaryHeader.Size;

    /// <summary>A response with any of extras, key and value (memcached's add_bin_header + iovecs).</summary>
    public static void WriteResponse(IBufferWriter<byte> output, byte opcode, uint opaque, McBinaryStatus status, ulong cas,
        ReadOnlySpan<byte> extras, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        int head = H + extras.Length + key.Length;
        Span<byte> span = output.GetSpan(head);
        Header(opcode, opaque, status, cas, key.Length, extras.Length, extras.Length + key.Length + value.Length).WriteTo(span);
        extras.CopyTo(span[H..]);
        key.CopyTo(span[(H + extras.Length)..]);
        output.Advance(head);
        if (!value.IsEmpty) output.Write(value);
    }

    /// <summary>A header-only response (success of a mutation, NOOP, QUIT, a STAT terminator).</summary>
    public static void WriteEmpty(IBufferWriter<byte> output, byte opcode, uint opaque, McBinaryStatus status, ulong cas)
    {
        Span<byte> span = output.GetSpan(H);
        Header(opcode, opaque, status, cas, 0, 0, 0).WriteTo(span);
        output.Advance(H);
    }

    /// <summary>
    /// A response whose body is an ASCII text and whose CAS is 0: every error (write_bin_error), and VERSION.
    /// </summary>
    public static void WriteText(IBufferWriter<byte> output, byte opcode, uint opaque, McBinaryStatus status, string text)
    {
        int total = H + text.Length; // Latin-1: one byte per char
        Span<byte> span = output.GetSpan(total);
        Header(opcode, opaque, status, 0, 0, 0, text.Length).WriteTo(span);
        Encoding.Latin1.GetBytes(text, span[H..]);
        output.Advance(total);
    }

    /// <summary>One STAT packet: the name as key, the value as value (append_bin_stats).</summary>
    public static void WriteStat(IBufferWriter<byte> output, byte opcode, uint opaque, string name, string value)
    {
        int k = Encoding.UTF8.GetByteCount(name);
        int v = Encoding.UTF8.GetByteCount(value);
        if (k > ushort.MaxValue) throw new ArgumentException("A stat name longer than 65535 bytes cannot be a key.", nameof(name));
        int total = H + k + v;
        Span<byte> span = output.GetSpan(total);
        Header(opcode, opaque, McBinaryStatus.Success, 0, k, 0, k + v).WriteTo(span);
        Encoding.UTF8.GetBytes(name, span[H..]);
        Encoding.UTF8.GetBytes(value, span[(H + k)..]);
        output.Advance(total);
    }

    static McBinaryHeader Header(byte opcode, uint opaque, McBinaryStatus status, ulong cas, int keyLength, int extrasLength, int bodyLength) =>
        new(McBinaryHeader.ResponseMagic, opcode, (ushort)keyLength, (byte)extrasLength, dataType: 0, (ushort)status,
            (uint)bodyLength, opaque, cas);
}
