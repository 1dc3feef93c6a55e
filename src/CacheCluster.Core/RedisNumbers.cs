using System.Buffers.Text;

namespace CacheCluster.Core;

/// <summary>Number parsing and formatting with Redis's exact acceptance rules (util.c string2ll).</summary>
public static class RedisNumbers
{
    /// <summary>
    /// Strict 64-bit parse: optional '-', digits, no leading zeros (except "0"), no '+', no spaces,
    /// at most 20 characters, no overflow. "-0" is rejected, as in Redis.
    /// </summary>
    public static bool TryParseInt64(ReadOnlySpan<byte> s, out long value)
    {
        value = 0;
        if (s.Length == 0 || s.Length > 20) return false;
        if (s.Length == 1 && s[0] == (byte)'0') return true;
        int i = 0;
        bool negative = false;
        if (s[0] == (byte)'-')
        {
            negative = true;
            i = 1;
            if (s.Length == 1) return false;
        }
        if (s[i] < (byte)'1' || s[i] > (byte)'9') return false;
        ulong v = 0;
        for (; i < s.Length; i++)
        {
            uint d = (uint)(s[i] - (byte)'0');
            if (d > 9) return false;
            if (v > (ulong.MaxValue - d) / 10) return false;
            v = v * 10 + d;
        }
        if (negative)
        {
            if (v > (ulong)long.MaxValue + 1) return false;
            value = (long)(0 - v);
        }
        else
        {
            if (v > long.MaxValue) return false;
            value = (long)v;
        }
        return true;
    }

    /// <summary>Decimal text of a long as a new exact-size array (a stored value).</summary>
    public static byte[] FormatInt64(long value)
    {
        Span<byte> buf = stackalloc byte[20];
        Utf8Formatter.TryFormat(value, buf, out int n);
        return buf[..n].ToArray();
    }
}
