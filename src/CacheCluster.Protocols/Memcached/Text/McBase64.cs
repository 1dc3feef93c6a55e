namespace CacheCluster.Protocols.Memcached.Text;

/// <summary>
/// memcached's base64.c (Jouni Malinen's RFC 1341 code as modified for memcached), used by the meta
/// protocol's <c>b</c> flag. The decoder is lenient exactly like memcached's: bytes outside the
/// alphabet are skipped, the count of alphabet bytes must be a multiple of 4, and decoding stops at
/// the first block holding padding.
/// </summary>
internal static class McBase64
{
    const byte Invalid = 0x80;
    static readonly byte[] Table = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"u8.ToArray();
    static readonly byte[] Decode = BuildDecode();

    static byte[] BuildDecode()
    {
        var t = new byte[256];
        Array.Fill(t, Invalid);
        for (int i = 0; i < Table.Length; i++) t[Table[i]] = (byte)i;
        t['='] = 0;
        return t;
    }

    /// <summary>Length <see cref="EncodeTo"/> writes for <paramref name="length"/> input bytes.</summary>
    public static int EncodedLength(int length) => (length + 2) / 3 * 4;

    /// <summary>Decodes into <paramref name="dest"/> (at least <paramref name="src"/>.Length bytes); returns 0 on failure, like memcached.</summary>
    public static int DecodeTo(ReadOnlySpan<byte> src, Span<byte> dest)
    {
        int count = 0;
        foreach (byte b in src) if (Decode[b] != Invalid) count++;
        if (count == 0 || count % 4 != 0) return 0;

        Span<byte> block = stackalloc byte[4];
        int pos = 0, pad = 0;
        count = 0;
        foreach (byte b in src)
        {
            byte v = Decode[b];
            if (v == Invalid) continue;
            if (b == (byte)'=') pad++;
            block[count++] = v;
            if (count < 4) continue;
            dest[pos++] = (byte)((block[0] << 2) | (block[1] >> 4));
            dest[pos++] = (byte)((block[1] << 4) | (block[2] >> 2));
            dest[pos++] = (byte)((block[2] << 6) | block[3]);
            count = 0;
            if (pad != 0)
            {
                if (pad == 1) pos--;
                else if (pad == 2) pos -= 2;
                else return 0; // invalid padding
                break;
            }
        }
        return pos;
    }

    public static int EncodeTo(ReadOnlySpan<byte> src, Span<byte> dest)
    {
        int pos = 0, i = 0;
        for (; src.Length - i >= 3; i += 3)
        {
            dest[pos++] = Table[src[i] >> 2];
            dest[pos++] = Table[((src[i] & 0x03) << 4) | (src[i + 1] >> 4)];
            dest[pos++] = Table[((src[i + 1] & 0x0f) << 2) | (src[i + 2] >> 6)];
            dest[pos++] = Table[src[i + 2] & 0x3f];
        }
        int left = src.Length - i;
        if (left == 0) return pos;
        dest[pos++] = Table[src[i] >> 2];
        if (left == 1)
        {
            dest[pos++] = Table[(src[i] & 0x03) << 4];
            dest[pos++] = (byte)'=';
        }
        else
        {
            dest[pos++] = Table[((src[i] & 0x03) << 4) | (src[i + 1] >> 4)];
            dest[pos++] = Table[(src[i + 1] & 0x0f) << 2];
        }
        dest[pos++] = (byte)'=';
        return pos;
    }
}
