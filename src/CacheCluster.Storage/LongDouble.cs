using System.Numerics;

namespace CacheCluster.Storage;

/// <summary>
/// Exact software model of the x86-64 C <c>long double</c> (x87 80-bit extended precision): a 64-bit
/// significand with an explicit integer bit, a 15-bit exponent biased by 16383, round-to-nearest-even.
/// Redis's INCRBYFLOAT parses with <c>strtold</c>, adds in <c>long double</c> and prints with
/// <c>"%.17Lf"</c>; this type reproduces those three steps bit for bit (see <see cref="TryParse"/>,
/// <see cref="op_Addition"/> and <see cref="FormatHuman"/>).
/// </summary>
/// <remarks>
/// Arithmetic is done exactly with <see cref="BigInteger"/> and rounded once, so results are correctly
/// rounded by construction. It is not fast (microseconds per operation) and is meant for cold paths.
/// The layout mirrors the hardware: <see cref="SignExponent"/> is bytes 8–9 of the in-memory value and
/// <see cref="Significand"/> bytes 0–7. Finite values are <c>Significand × 2^UnitExponent</c> where the
/// unit exponent is <c>biased − 16446</c>, or −16445 for subnormals (biased exponent 0).
/// </remarks>
public readonly partial struct LongDouble : IEquatable<LongDouble>
{
    const int ExponentBias = 16383;
    const int MaxBiasedExponent = 0x7FFF;
    const int SignificandBits = 64;
    const ulong IntegerBit = 1UL << 63;

    /// <summary>Exponent of the significand's last bit for subnormals and the smallest normal binade.</summary>
    const long MinUnitExponent = 1 - ExponentBias - (SignificandBits - 1);                         // -16445
    /// <summary>Exponent of the significand's last bit in the largest finite binade.</summary>
    const long MaxUnitExponent = MaxBiasedExponent - 1 - ExponentBias - (SignificandBits - 1);     // 16320

    readonly ulong significand;
    readonly ushort signExponent;

    LongDouble(ushort signExponent, ulong significand)
    {
        this.signExponent = signExponent;
        this.significand = significand;
    }

    /// <summary>The value with this in-memory representation (sign bit and biased exponent; significand).</summary>
    public static LongDouble FromBits(ushort signExponent, ulong significand) => new(signExponent, significand);

    /// <summary>Sign bit (bit 15) and biased exponent (bits 0–14).</summary>
    public ushort SignExponent => signExponent;

    /// <summary>The 64-bit significand including the explicit integer bit (bit 63).</summary>
    public ulong Significand => significand;

    public static LongDouble PositiveZero => default;
    public static LongDouble NegativeZero => new(0x8000, 0);
    public static LongDouble PositiveInfinity => new(MaxBiasedExponent, IntegerBit);
    public static LongDouble NegativeInfinity => new(0x8000 | MaxBiasedExponent, IntegerBit);
    /// <summary>The x87 "real indefinite" quiet NaN, which invalid operations such as ∞ − ∞ produce.</summary>
    public static LongDouble NaN => new(0x8000 | MaxBiasedExponent, 0xC000_0000_0000_0000);

    int BiasedExponent => signExponent & MaxBiasedExponent;

    public bool IsNegative => (signExponent & 0x8000) != 0;
    public bool IsNaN => BiasedExponent == MaxBiasedExponent && significand != IntegerBit;
    public bool IsInfinity => BiasedExponent == MaxBiasedExponent && significand == IntegerBit;
    public bool IsFinite => BiasedExponent != MaxBiasedExponent;
    public bool IsZero => IsFinite && significand == 0;

    /// <summary>For finite values: |value| = significand × 2^unitExponent.</summary>
    void Decompose(out ulong m, out long unitExponent)
    {
        m = significand;
        int e = BiasedExponent;
        unitExponent = e == 0 ? MinUnitExponent : e - ExponentBias - (SignificandBits - 1);
    }

    public static LongDouble operator -(LongDouble x) => new((ushort)(x.signExponent ^ 0x8000), x.significand);

    public static LongDouble operator -(LongDouble a, LongDouble b) => a + -b;

    /// <summary>IEEE addition in 80-bit extended precision, round-to-nearest-even (what x87 FADD does).</summary>
    public static LongDouble operator +(LongDouble a, LongDouble b)
    {
        if (a.IsNaN) return Quiet(a);
        if (b.IsNaN) return Quiet(b);
        if (a.IsInfinity)
            return b.IsInfinity && a.IsNegative != b.IsNegative ? NaN : a;
        if (b.IsInfinity) return b;

        a.Decompose(out ulong ma, out long ea);
        b.Decompose(out ulong mb, out long eb);
        if (ma == 0 && mb == 0)
            return a.IsNegative && b.IsNegative ? NegativeZero : PositiveZero;
        if (ma == 0) return b;
        if (mb == 0) return a;

        // Exact sum on the finer of the two grids (at most ~32,800 bits apart), rounded once.
        long lo = Math.Min(ea, eb);
        var sa = (BigInteger)ma << (int)(ea - lo);
        var sb = (BigInteger)mb << (int)(eb - lo);
        if (a.IsNegative) sa = -sa;
        if (b.IsNegative) sb = -sb;
        var sum = sa + sb;
        if (sum.IsZero) return PositiveZero; // x + (−x) is +0 when rounding to nearest
        return Round(sum.Sign < 0, BigInteger.Abs(sum), BigInteger.One, lo);
    }

    static LongDouble Quiet(LongDouble nan) => new(nan.signExponent, nan.significand | 0x4000_0000_0000_0000);

    /// <summary>
    /// The long double nearest to ±num/den × 2^exp2 (num, den &gt; 0), ties to even, with gradual
    /// underflow to subnormals and zero, and overflow to infinity.
    /// </summary>
    static LongDouble Round(bool negative, BigInteger num, BigInteger den, long exp2)
    {
        ushort sign = negative ? (ushort)0x8000 : (ushort)0;
        ulong m = RoundToPrecision(num, den, exp2, SignificandBits, MinUnitExponent, out long unit);
        if (m == 0) return new(sign, 0);
        if (unit > MaxUnitExponent) return new((ushort)(sign | MaxBiasedExponent), IntegerBit);
        // a full-width significand is normal; a shorter one only happens at the minimum exponent (subnormal)
        int biased = (m & IntegerBit) != 0 ? (int)(unit - MinUnitExponent + 1) : 0;
        return new((ushort)(sign | biased), m);
    }

    /// <summary>
    /// Rounds num/den × 2^exp2 (num, den &gt; 0) to q × 2^unit with q &lt; 2^precision and unit ≥ minUnit,
    /// nearest with ties to even. q has exactly <paramref name="precision"/> bits unless unit == minUnit.
    /// </summary>
    static ulong RoundToPrecision(BigInteger num, BigInteger den, long exp2, int precision, long minUnit, out long unit)
    {
        // floor(log2(num/den)) is d or d-1
        long d = (long)num.GetBitLength() - (long)den.GetBitLength();
        bool atLeast = d >= 0 ? num >= den << (int)d : num << (int)-d >= den;
        long log2 = (atLeast ? d : d - 1) + exp2;
        long b = Math.Max(log2 - (precision - 1), minUnit);

        long shift = exp2 - b;                  // q = floor(num × 2^shift / den)
        BigInteger n = num, dd = den;
        if (shift >= 0) n <<= checked((int)shift);
        else dd <<= checked((int)-shift);
        var q = BigInteger.DivRem(n, dd, out var r);
        int half = (r << 1).CompareTo(dd);
        if (half > 0 || (half == 0 && !q.IsEven)) q += BigInteger.One;
        if (q.GetBitLength() > precision)       // rounded up to 2^precision
        {
            q >>= 1;
            b++;
        }
        unit = b;
        return (ulong)q;
    }

    /// <summary>Exact conversion (every double is representable).</summary>
    public static LongDouble FromDouble(double value)
    {
        if (double.IsNaN(value)) return Quiet(new LongDouble(double.IsNegative(value) ? (ushort)0xFFFF : (ushort)0x7FFF,
            IntegerBit | ((ulong)BitConverter.DoubleToInt64Bits(value) << 11)));
        if (double.IsInfinity(value)) return value > 0 ? PositiveInfinity : NegativeInfinity;
        bool negative = double.IsNegative(value);
        ulong bits = (ulong)BitConverter.DoubleToInt64Bits(value);
        int e = (int)((bits >> 52) & 0x7FF);
        ulong frac = bits & ((1UL << 52) - 1);
        if (e == 0 && frac == 0) return negative ? NegativeZero : PositiveZero;
        ulong m = e == 0 ? frac : frac | (1UL << 52);
        long unit = (e == 0 ? 1 : e) - 1023 - 52;
        return Round(negative, m, BigInteger.One, unit);
    }

    /// <summary>Nearest long double to the decimal (exact for up to 19 significant digits).</summary>
    public static LongDouble FromDecimal(decimal value)
    {
        Span<int> parts = stackalloc int[4];
        decimal.GetBits(value, parts);
        bool negative = parts[3] < 0;
        int scale = (parts[3] >> 16) & 0xFF;
        var mag = ((BigInteger)(uint)parts[2] << 64) | ((BigInteger)(uint)parts[1] << 32) | (uint)parts[0];
        if (mag.IsZero) return negative ? NegativeZero : PositiveZero;
        return Round(negative, mag, BigInteger.Pow(10, scale), 0);
    }

    /// <summary>Nearest double, ties to even (overflows to infinity, underflows to subnormals/zero).</summary>
    public double ToDouble()
    {
        if (IsNaN) return double.NaN;
        if (IsInfinity) return IsNegative ? double.NegativeInfinity : double.PositiveInfinity;
        Decompose(out ulong m, out long unit);
        double result;
        if (m == 0) result = 0.0;
        else
        {
            ulong q = RoundToPrecision(m, BigInteger.One, unit, 53, -1074, out long b);
            result = q == 0 ? 0.0 : b > 971 ? double.PositiveInfinity : Math.ScaleB(q, (int)b); // exact
        }
        return IsNegative ? -result : result;
    }

    /// <summary>Bitwise identity (so +0 and −0 differ, and a NaN equals itself); not IEEE comparison.</summary>
    public bool Equals(LongDouble other) => signExponent == other.signExponent && significand == other.significand;
    public override bool Equals(object? obj) => obj is LongDouble other && Equals(other);
    public override int GetHashCode() => HashCode.Combine(signExponent, significand);

    /// <summary>The <see cref="FormatHuman"/> text.</summary>
    public override string ToString() => System.Text.Encoding.ASCII.GetString(FormatHuman());
}
