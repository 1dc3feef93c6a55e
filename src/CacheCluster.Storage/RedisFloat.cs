using System.Globalization;
using System.Text;

namespace CacheCluster.Storage;

/// <summary>
/// INCRBYFLOAT arithmetic. Redis computes in C long double and prints "%.17Lf" with trailing
/// zeros trimmed. .NET has no 80-bit float, so sums are done in decimal (exact for the decimal
/// inputs people use, which is what long double's extra precision achieves in Redis) and fall
/// back to double only outside decimal's range.
/// </summary>
public static class RedisFloat
{
    const int MaxLength = 5 * 1024;

    public readonly struct Number
    {
        public readonly bool IsDecimal;
        public readonly decimal Dec;
        public readonly double Dbl;
        public Number(decimal d) { IsDecimal = true; Dec = d; Dbl = (double)d; }
        public Number(double d) { IsDecimal = false; Dec = 0; Dbl = d; }
    }

    /// <summary>Redis's string2ld: no surrounding spaces, whole string consumed, NaN rejected.</summary>
    public static bool TryParse(ReadOnlySpan<byte> s, out Number n)
    {
        n = default;
        if (s.Length == 0 || s.Length > MaxLength) return false;
        if (IsSpace(s[0]) || IsSpace(s[^1])) return false;
        Span<char> chars = s.Length <= 256 ? stackalloc char[s.Length] : new char[s.Length];
        for (int i = 0; i < s.Length; i++)
        {
            if (s[i] > 127) return false;
            chars[i] = (char)s[i];
        }
        ReadOnlySpan<char> text = chars;
        if (IsInfinity(text, out bool negative))
        {
            n = new Number(negative ? double.NegativeInfinity : double.PositiveInfinity);
            return true;
        }
        // strtold accepts hex floats and "nan"; nan is rejected by Redis, hex is too rare to matter.
        const NumberStyles style = NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent;
        // strtold reports ERANGE (and Redis refuses the number) on overflow and on underflow to zero
        if (!double.TryParse(text, style, CultureInfo.InvariantCulture, out var check) || double.IsInfinity(check) ||
            (check == 0 && !MantissaIsZero(text)))
            return false;
        if (decimal.TryParse(text, style, CultureInfo.InvariantCulture, out var d))
        {
            n = new Number(d);
            return true;
        }
        if (double.TryParse(text, style, CultureInfo.InvariantCulture, out var x) && !double.IsNaN(x))
        {
            n = new Number(x);
            return true;
        }
        return false;
    }

    static bool MantissaIsZero(ReadOnlySpan<char> t)
    {
        foreach (char ch in t)
        {
            if (ch is 'e' or 'E') break;
            if (ch is >= '1' and <= '9') return false;
        }
        return true;
    }

    static bool IsInfinity(ReadOnlySpan<char> t, out bool negative)
    {
        negative = false;
        if (t.Length > 0 && (t[0] == '-' || t[0] == '+')) { negative = t[0] == '-'; t = t[1..]; }
        return t.Equals("inf", StringComparison.OrdinalIgnoreCase) || t.Equals("infinity", StringComparison.OrdinalIgnoreCase);
    }

    static bool IsSpace(byte b) => b == ' ' || (b >= 9 && b <= 13);

    /// <summary>a + b, or false when the result is NaN or infinite.</summary>
    public static bool TryAdd(Number a, Number b, out Number sum)
    {
        if (a.IsDecimal && b.IsDecimal)
        {
            try
            {
                sum = new Number(a.Dec + b.Dec);
                return true;
            }
            catch (OverflowException) { }
        }
        double r = a.Dbl + b.Dbl;
        sum = new Number(r);
        return !double.IsNaN(r) && !double.IsInfinity(r);
    }

    /// <summary>"%.17Lf" with trailing zeros (and a bare '.') removed, "-0" printed as "0".</summary>
    public static byte[] Format(Number n)
    {
        string s = n.IsDecimal
            ? n.Dec.ToString("F17", CultureInfo.InvariantCulture)
            : n.Dbl.ToString("F17", CultureInfo.InvariantCulture);
        int len = s.Length;
        if (s.IndexOf('.') >= 0)
        {
            while (s[len - 1] == '0') len--;
            if (s[len - 1] == '.') len--;
        }
        if (len == 2 && s[0] == '-' && s[1] == '0') return "0"u8.ToArray();
        return Encoding.ASCII.GetBytes(s, 0, len);
    }
}
