using System.Globalization;

namespace CacheCluster.Protocols.Resp;

// Double formatting as Redis 7.0 replies it: "inf"/"-inf"/"nan", otherwise printf("%.17g").
public partial struct RespWriter
{
    /// <summary>Longest text <see cref="FormatDoubleG17"/> produces ("-1.2345678901234567e-308" is 24).</summary>
    public const int MaxDoubleLength = 32;

    /// <summary>
    /// Writes <paramref name="value"/> like C's printf("%.17g") (17 significant digits, correctly
    /// rounded; fixed notation when the decimal exponent is in [-4, 17), else "d.ddde±XX"; trailing
    /// zeros removed). Infinities give "inf"/"-inf" and NaN gives "nan" (glibc may print "-nan").
    /// <paramref name="destination"/> needs <see cref="MaxDoubleLength"/> bytes. Returns the length.
    /// </summary>
    public static int FormatDoubleG17(double value, Span<byte> destination)
    {
        if (double.IsNaN(value)) return Copy("nan"u8, destination);
        if (double.IsPositiveInfinity(value)) return Copy("inf"u8, destination);
        if (double.IsNegativeInfinity(value)) return Copy("-inf"u8, destination);

        // .NET's "E16" gives the same 17 correctly rounded digits as %.17e: "-d.ddddddddddddddddE+ddd".
        Span<byte> e = stackalloc byte[40];
        value.TryFormat(e, out int len, "E16", CultureInfo.InvariantCulture);
        int p = e[0] == (byte)'-' ? 1 : 0;
        Span<byte> digits = stackalloc byte[17];
        digits[0] = e[p];
        e.Slice(p + 2, 16).CopyTo(digits[1..]);
        int exponent = ParseExponent(e[(p + 20)..len], e[p + 19]);

        int significant = 17; // %g drops trailing zeros of the fraction
        while (significant > 1 && digits[significant - 1] == (byte)'0') significant--;

        int w = 0;
        if (p == 1) destination[w++] = (byte)'-';
        if (exponent < -4 || exponent >= 17)
        {
            destination[w++] = digits[0];
            if (significant > 1)
            {
                destination[w++] = (byte)'.';
                w += Copy(digits[1..significant], destination[w..]);
            }
            destination[w++] = (byte)'e';
            destination[w++] = exponent < 0 ? (byte)'-' : (byte)'+';
            int abs = Math.Abs(exponent);
            if (abs >= 100) destination[w++] = (byte)('0' + abs / 100);
            destination[w++] = (byte)('0' + abs / 10 % 10);
            destination[w++] = (byte)('0' + abs % 10);
        }
        else if (exponent >= 0)
        {
            w += Copy(digits[..(exponent + 1)], destination[w..]);
            if (significant > exponent + 1)
            {
                destination[w++] = (byte)'.';
                w += Copy(digits[(exponent + 1)..significant], destination[w..]);
            }
        }
        else
        {
            destination[w++] = (byte)'0';
            destination[w++] = (byte)'.';
            for (int z = -exponent - 1; z > 0; z--) destination[w++] = (byte)'0';
            w += Copy(digits[..significant], destination[w..]);
        }
        return w;
    }

    // The exponent part after 'E' (sign already split off): "+015" style digits.
    private static int ParseExponent(ReadOnlySpan<byte> digits, byte sign)
    {
        int v = 0;
        foreach (byte d in digits) v = v * 10 + (d - '0');
        return sign == (byte)'-' ? -v : v;
    }

    private static int Copy(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        source.CopyTo(destination);
        return source.Length;
    }
}
