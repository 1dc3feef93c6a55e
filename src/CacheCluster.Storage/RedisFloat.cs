namespace CacheCluster.Storage;

/// <summary>
/// INCRBYFLOAT arithmetic, bit-exact with Redis on x86-64: values are parsed by util.c string2ld
/// (glibc strtold into an 80-bit long double), added in long double, and printed by ld2string's
/// LD_STR_HUMAN mode ("%.17Lf" with trailing zeros trimmed). <see cref="LongDouble"/> emulates the
/// 80-bit format in software.
/// </summary>
public static class RedisFloat
{
    /// <summary>The longest string string2ld accepts (its buffer is MAX_LONG_DOUBLE_CHARS = 5*1024 bytes, NUL included).</summary>
    public const int MaxLength = LongDouble.MaxParseLength;

    public readonly struct Number
    {
        public readonly LongDouble Value;

        public Number(LongDouble value) => Value = value;

        /// <summary>The long double nearest to <paramref name="d"/> (exact for up to 19 significant digits).</summary>
        public Number(decimal d) => Value = LongDouble.FromDecimal(d);

        /// <summary>Exact: every double is a long double.</summary>
        public Number(double d) => Value = LongDouble.FromDouble(d);

        public bool IsFinite => Value.IsFinite;

        /// <summary>Same as <see cref="IsFinite"/>; kept from when finite values were held as decimals.</summary>
        public bool IsDecimal => Value.IsFinite;

        /// <summary>The value rounded to the nearest double (for diagnostics; arithmetic uses <see cref="Value"/>).</summary>
        public double Dbl => Value.ToDouble();

        public override string ToString() => Value.ToString();
    }

    /// <summary>Redis's string2ld; see <see cref="LongDouble.TryParse"/>. "inf" is accepted, NaN is not.</summary>
    public static bool TryParse(ReadOnlySpan<byte> s, out Number n)
    {
        bool ok = LongDouble.TryParse(s, out var value);
        n = new Number(value);
        return ok;
    }

    /// <summary>a + b in long double, or false when the result is NaN or infinite (INCRBYFLOAT's error).</summary>
    public static bool TryAdd(Number a, Number b, out Number sum)
    {
        var r = a.Value + b.Value;
        sum = new Number(r);
        return r.IsFinite;
    }

    /// <summary>ld2string LD_STR_HUMAN: "%.17Lf" with trailing zeros (and a bare '.') removed, "-0" printed as "0".</summary>
    public static byte[] Format(Number n) => n.Value.FormatHuman();
}
