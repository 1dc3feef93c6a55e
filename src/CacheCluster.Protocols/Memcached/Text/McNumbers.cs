using System.Buffers.Text;

namespace CacheCluster.Protocols.Memcached.Text;

/// <summary>
/// memcached's two families of number parsing, byte for byte:
/// <list type="bullet">
/// <item>util.c's <c>safe_strtol/strtoul/strtoull</c> over libc's strto* (leading whitespace and a sign
/// allowed, the number may be followed by whitespace, 64-bit intermediate values that are then
/// truncated), used for storage flags/exptime/cas, incr/decr deltas, touch and meta flag tokens;</item>
/// <item>mcmc's strict token parsers (digits only, an optional '-' for signed, range checked), used by
/// the request parser for a storage command's length, gat's exptime, flush_all's delay and verbosity.</item>
/// </list>
/// </summary>
internal static class McNumbers
{
    // C's isspace in the "C" locale.
    static bool IsSpace(byte b) => b == (byte)' ' || (b >= (byte)'\t' && b <= (byte)'\r');

    /// <summary>libc strtoull(s, &amp;end, 10) on a token: magnitude, sign, and whether the tail is acceptable.</summary>
    static bool StrToU64(ReadOnlySpan<byte> s, out ulong value, out bool negative)
    {
        value = 0;
        negative = false;
        int i = 0;
        while (i < s.Length && IsSpace(s[i])) i++;
        if (i < s.Length && (s[i] == (byte)'+' || s[i] == (byte)'-')) negative = s[i++] == (byte)'-';
        int digits = i;
        bool overflow = false;
        for (; i < s.Length; i++)
        {
            uint d = (uint)(s[i] - (byte)'0');
            if (d > 9) break;
            if (value > (ulong.MaxValue - d) / 10) overflow = true;
            else value = value * 10 + d;
        }
        if (i == digits || overflow) return false;  // no digits (end == str) or ERANGE
        // safe_strto*: the number must end the token or be followed by whitespace
        return i == s.Length || IsSpace(s[i]);
    }

    /// <summary>util.c safe_strtoull: a negative input is refused only when it wraps to a value above 2^63.</summary>
    public static bool SafeStrToU64(ReadOnlySpan<byte> s, out ulong value)
    {
        if (!StrToU64(s, out ulong mag, out bool neg)) { value = 0; return false; }
        value = neg ? unchecked(0 - mag) : mag;
        if ((long)value < 0 && neg) { value = 0; return false; }
        return true;
    }

    /// <summary>util.c safe_strtoul (unsigned long is 64-bit): parsed as 64 bits, then truncated to 32.</summary>
    public static bool SafeStrToU32(ReadOnlySpan<byte> s, out uint value)
    {
        value = 0;
        if (!SafeStrToU64(s, out ulong v)) return false;
        value = unchecked((uint)v);
        return true;
    }

    /// <summary>util.c safe_strtol: strtol (64-bit long), refuses values above INT_MAX, truncates below INT_MIN.</summary>
    public static bool SafeStrToI32(ReadOnlySpan<byte> s, out int value)
    {
        value = 0;
        if (!StrToU64(s, out ulong mag, out bool neg)) return false;
        long l;
        if (neg)
        {
            if (mag > (ulong)long.MaxValue + 1) return false;  // ERANGE
            l = unchecked(-(long)mag);
        }
        else
        {
            if (mag > long.MaxValue) return false;              // ERANGE
            l = (long)mag;
        }
        if (l > int.MaxValue) return false;
        value = unchecked((int)l);
        return true;
    }

    /// <summary>mcmc's strict signed 32-bit token parse: optional '-', digits only, in range.</summary>
    public static bool TokenToI32(ReadOnlySpan<byte> s, out int value)
    {
        value = 0;
        bool neg = s.Length > 0 && s[0] == (byte)'-';
        var digits = neg ? s[1..] : s;
        if (!TokenDigits(digits, out ulong mag)) return false;
        if (neg ? mag > (ulong)int.MaxValue + 1 : mag > int.MaxValue) return false;
        value = neg ? unchecked((int)(0 - (long)mag)) : (int)mag;
        return true;
    }

    /// <summary>mcmc's strict unsigned 32-bit token parse: digits only, in range.</summary>
    public static bool TokenToU32(ReadOnlySpan<byte> s, out uint value)
    {
        value = 0;
        if (!TokenDigits(s, out ulong mag) || mag > uint.MaxValue) return false;
        value = (uint)mag;
        return true;
    }

    static bool TokenDigits(ReadOnlySpan<byte> s, out ulong value)
    {
        value = 0;
        if (s.IsEmpty || s.Length > 19) return false;  // longer than any 32-bit number anyway
        foreach (byte b in s)
        {
            uint d = (uint)(b - (byte)'0');
            if (d > 9) return false;
            value = value * 10 + d;
        }
        return true;
    }

    public static int Write(Span<byte> dest, ulong v)
    {
        Utf8Formatter.TryFormat(v, dest, out int n);
        return n;
    }

    public static int Write(Span<byte> dest, long v)
    {
        Utf8Formatter.TryFormat(v, dest, out int n);
        return n;
    }
}
