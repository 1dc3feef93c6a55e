using System.Globalization;
using System.Numerics;
using System.Text;

namespace CacheCluster.Storage;

public readonly partial struct LongDouble
{
    /// <summary>Redis's MAX_LONG_DOUBLE_CHARS: string2ld copies into a buffer this size, NUL included.</summary>
    const int ParseBufferSize = 5 * 1024;

    /// <summary>The longest input <see cref="TryParse"/> accepts (string2ld refuses slen ≥ MAX_LONG_DOUBLE_CHARS).</summary>
    public const int MaxParseLength = ParseBufferSize - 1;

    // 10^4933 > LDBL_MAX ≈ 1.19e4932, and 10^-4951 < half the smallest subnormal (2^-16446 ≈ 1.82e-4951):
    // decimal inputs outside [10^-4951, 10^4933) overflow or round to zero without any big arithmetic.
    const long MaxDecimalMagnitude = 4933;
    const long MinDecimalMagnitude = -4951;
    const long ExponentSaturation = 1_000_000_000;

    /// <summary>
    /// Redis util.c <c>string2ld</c> on x86-64 glibc: the input must be 1..5119 bytes, must not start with
    /// C whitespace, and <c>strtold</c> must consume all of it (so trailing whitespace, NULs and junk are
    /// refused). Accepts an optional sign followed by a decimal number with optional exponent
    /// (<c>12</c>, <c>.5</c>, <c>5.</c>, <c>1e-3</c>), a hexadecimal float (<c>0x1.8p3</c>, <c>0X10</c>), or
    /// <c>inf</c>/<c>infinity</c> in any case. Values are rounded to nearest, ties to even, exactly as
    /// glibc does; NaN, overflow (ERANGE with ±HUGE_VALL) and underflow to zero (ERANGE with 0) are
    /// refused, while inputs that round to a nonzero subnormal are accepted.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> ascii, out LongDouble value)
    {
        value = default;
        if (ascii.Length == 0 || ascii.Length >= ParseBufferSize) return false;
        if (IsCSpace(ascii[0])) return false;

        bool negative = false;
        var body = ascii;
        if (body[0] is (byte)'+' or (byte)'-')
        {
            negative = body[0] == '-';
            body = body[1..];
        }
        if (Ascii.EqualsIgnoreCase(body, "inf"u8) || Ascii.EqualsIgnoreCase(body, "infinity"u8))
        {
            value = negative ? NegativeInfinity : PositiveInfinity;
            return true;
        }
        // "nan" and "nan(chars)" are NaN, which string2ld refuses; everything else must be numeric.
        // "0x" not followed by a hex mantissa parses as "0" and leaves "x..." unconsumed: refused either way.
        bool parsed = body.Length >= 2 && body[0] == '0' && (body[1] | 0x20) == 'x'
            ? TryParseHex(body[2..], negative, out value, out bool zeroInput)
            : TryParseDecimal(body, negative, out value, out zeroInput);
        // strtold's ERANGE: a nonzero input that rounded to zero, or one that overflowed
        if (parsed && value.IsFinite && (zeroInput || !value.IsZero)) return true;
        value = default;
        return false;
    }

    static bool IsCSpace(byte b) => b == ' ' || (b >= '\t' && b <= '\r');

    static bool IsDigit(byte b) => (uint)(b - '0') <= 9;

    static bool IsHexDigit(byte b) => IsDigit(b) || (uint)((b | 0x20) - 'a') <= 5;

    /// <summary>Parses "[+-]digits" at <paramref name="p"/>; false (nothing consumed) without a digit.</summary>
    static bool TryParseExponent(ReadOnlySpan<byte> s, ref int p, out long exponent)
    {
        exponent = 0;
        int i = p;
        bool negative = false;
        if (i < s.Length && s[i] is (byte)'+' or (byte)'-')
        {
            negative = s[i] == '-';
            i++;
        }
        if (i >= s.Length || !IsDigit(s[i])) return false;
        for (; i < s.Length && IsDigit(s[i]); i++)
            exponent = Math.Min(exponent * 10 + (s[i] - '0'), ExponentSaturation);
        if (negative) exponent = -exponent;
        p = i;
        return true;
    }

    static bool TryParseDecimal(ReadOnlySpan<byte> s, bool negative, out LongDouble value, out bool zeroInput)
    {
        value = default;
        zeroInput = false;
        int p = 0;
        while (p < s.Length && IsDigit(s[p])) p++;
        int intDigits = p;
        int fracDigits = 0;
        if (p < s.Length && s[p] == '.')
        {
            p++;
            while (p < s.Length && IsDigit(s[p])) { p++; fracDigits++; }
        }
        if (intDigits + fracDigits == 0) return false;
        int mantissaEnd = p;
        long exponent = 0;
        if (p < s.Length && (s[p] | 0x20) == 'e')
        {
            p++; // without digits after it the exponent marker is left unconsumed, which string2ld refuses
            if (!TryParseExponent(s, ref p, out exponent)) return false;
        }
        if (p != s.Length) return false;

        // significant digits without the point, leading zeros or trailing zeros
        Span<char> digits = mantissaEnd <= 512 ? stackalloc char[mantissaEnd] : new char[mantissaEnd];
        int n = 0;
        long scale = exponent - fracDigits;
        for (int i = 0; i < mantissaEnd; i++)
        {
            byte c = s[i];
            if (c == '.' || (n == 0 && c == '0')) continue;
            digits[n++] = (char)c;
        }
        while (n > 0 && digits[n - 1] == '0') { n--; scale++; }
        if (n == 0)
        {
            value = negative ? NegativeZero : PositiveZero;
            zeroInput = true;
            return true;
        }

        // value = D × 10^scale with D of n digits, so 10^(n-1+scale) ≤ value < 10^(n+scale)
        if (n - 1 + scale >= MaxDecimalMagnitude)
        {
            value = negative ? NegativeInfinity : PositiveInfinity;
            return true;
        }
        if (n + scale <= MinDecimalMagnitude)
        {
            value = negative ? NegativeZero : PositiveZero;
            return true;
        }
        var d = BigInteger.Parse(digits[..n], NumberStyles.None, CultureInfo.InvariantCulture);
        // 10^k = 5^k × 2^k: keep the power of two out of the big numbers
        value = scale >= 0
            ? Round(negative, d * BigInteger.Pow(5, (int)scale), BigInteger.One, scale)
            : Round(negative, d, BigInteger.Pow(5, (int)-scale), scale);
        return true;
    }

    /// <summary>The part after "0x": hexdigits[.hexdigits][p[+-]decimal digits], at least one hex digit.</summary>
    static bool TryParseHex(ReadOnlySpan<byte> s, bool negative, out LongDouble value, out bool zeroInput)
    {
        value = default;
        zeroInput = false;
        int p = 0;
        while (p < s.Length && IsHexDigit(s[p])) p++;
        int intDigits = p;
        int fracDigits = 0;
        if (p < s.Length && s[p] == '.')
        {
            p++;
            while (p < s.Length && IsHexDigit(s[p])) { p++; fracDigits++; }
        }
        if (intDigits + fracDigits == 0) return false;
        int mantissaEnd = p;
        long exponent = 0;
        if (p < s.Length && (s[p] | 0x20) == 'p')
        {
            p++; // without digits after it the exponent marker is left unconsumed, which string2ld refuses
            if (!TryParseExponent(s, ref p, out exponent)) return false;
        }
        if (p != s.Length) return false;

        // leading "0" keeps BigInteger's hex parsing from reading a sign bit
        Span<char> digits = mantissaEnd + 1 <= 512 ? stackalloc char[mantissaEnd + 1] : new char[mantissaEnd + 1];
        int n = 0;
        long exp2 = exponent - 4L * fracDigits;
        digits[n++] = '0';
        for (int i = 0; i < mantissaEnd; i++)
        {
            byte c = s[i];
            if (c == '.' || (n == 1 && c == '0')) continue;
            digits[n++] = (char)c;
        }
        while (n > 1 && digits[n - 1] == '0') { n--; exp2 += 4; }
        if (n == 1)
        {
            value = negative ? NegativeZero : PositiveZero;
            zeroInput = true;
            return true;
        }
        var h = BigInteger.Parse(digits[..n], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
        long bits = (long)h.GetBitLength();     // 2^(bits-1+exp2) ≤ value < 2^(bits+exp2)
        if (bits - 1 + exp2 >= MaxUnitExponent + SignificandBits)
        {
            value = negative ? NegativeInfinity : PositiveInfinity;
            return true;
        }
        if (bits + exp2 <= MinUnitExponent - 1)  // below half the smallest subnormal
        {
            value = negative ? NegativeZero : PositiveZero;
            return true;
        }
        value = Round(negative, h, BigInteger.One, exp2);
        return true;
    }

    /// <summary>
    /// glibc <c>printf("%.{fractionDigits}Lf")</c>: the exact decimal expansion rounded half-to-even at
    /// <paramref name="fractionDigits"/> places, a '-' for any negative value (including −0 and values
    /// that round to zero), "inf"/"-inf"/"nan"/"-nan" for the specials.
    /// </summary>
    public string ToFixedString(int fractionDigits)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(fractionDigits);
        string sign = IsNegative ? "-" : "";
        if (IsNaN) return sign + "nan";
        if (IsInfinity) return sign + "inf";

        Decompose(out ulong m, out long unit);
        BigInteger scaled; // round(|value| × 10^fractionDigits)
        if (unit >= 0)
            scaled = ((BigInteger)m << (int)unit) * BigInteger.Pow(10, fractionDigits);
        else
        {
            int k = (int)-unit;
            var exact = m * BigInteger.Pow(10, fractionDigits);  // |value| × 10^digits = exact / 2^k
            if (exact.GetBitLength() < k)
                scaled = BigInteger.Zero;                        // below one half
            else
            {
                scaled = exact >> k;
                var rest = exact - (scaled << k);
                int half = rest.CompareTo(BigInteger.One << (k - 1));
                if (half > 0 || (half == 0 && !scaled.IsEven)) scaled += BigInteger.One;
            }
        }

        string text = scaled.ToString(CultureInfo.InvariantCulture);
        if (fractionDigits == 0) return sign + text;
        if (text.Length <= fractionDigits) text = text.PadLeft(fractionDigits + 1, '0');
        return string.Concat(sign, text.AsSpan(0, text.Length - fractionDigits), ".", text.AsSpan(text.Length - fractionDigits));
    }

    /// <summary>
    /// Redis util.c <c>ld2string(..., LD_STR_HUMAN)</c>: "%.17Lf", then trailing zeros after the point are
    /// removed, then a bare trailing point, and "-0" becomes "0". Infinities print as "inf"/"-inf".
    /// </summary>
    public byte[] FormatHuman()
    {
        string s = ToFixedString(17);
        int len = s.Length;
        if (s.Contains('.'))
        {
            while (s[len - 1] == '0') len--;
            if (s[len - 1] == '.') len--;
        }
        if (len == 2 && s[0] == '-' && s[1] == '0') return "0"u8.ToArray();
        return Encoding.ASCII.GetBytes(s, 0, len);
    }
}
