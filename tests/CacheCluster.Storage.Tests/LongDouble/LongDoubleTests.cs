using System.Text;

namespace CacheCluster.Storage.Tests.Float80;

/// <summary>
/// Hand-written properties of <see cref="LongDouble"/>: classification, signed zeros, parsing limits,
/// conversions and formatting. Expected bit patterns were checked against gcc/glibc on x86-64.
/// </summary>
public class LongDoubleTests
{
    static byte[] B(string s) => Encoding.Latin1.GetBytes(s);

    static LongDouble P(string s)
    {
        Assert.True(LongDouble.TryParse(B(s), out var v), s);
        return v;
    }

    static string Bits(LongDouble v) => $"{v.SignExponent:x4}:{v.Significand:x16}";

    static string Human(LongDouble v) => Encoding.ASCII.GetString(v.FormatHuman());

    // ---------------------------------------------------------------- classification

    [Fact]
    public void Infinity_minus_infinity_is_the_x87_default_nan()
    {
        var r = P("inf") + P("-inf");
        Assert.True(r.IsNaN);
        Assert.False(r.IsInfinity);
        Assert.False(r.IsFinite);
        Assert.Equal("ffff:c000000000000000", Bits(r));
        Assert.Equal("-nan", r.ToFixedString(17));
    }

    [Theory]
    [InlineData("inf", "1", false)]
    [InlineData("inf", "inf", false)]
    [InlineData("-inf", "-1e4932", true)]
    [InlineData("1", "-inf", true)]
    [InlineData("1e4932", "1e4932", false)]                                      // overflow in the addition
    [InlineData("-1.18973149535723176502e4932", "-1.18973149535723176502e4932", true)]
    [InlineData("1.18973149535723176502e4932", "1e4913", false)]                 // half an ulp above LDBL_MAX: ties away to ∞
    public void Infinite_sums(string a, string b, bool negative)
    {
        var r = P(a) + P(b);
        Assert.True(r.IsInfinity);
        Assert.False(r.IsNaN);
        Assert.Equal(negative, r.IsNegative);
        Assert.Equal(negative ? LongDouble.NegativeInfinity : LongDouble.PositiveInfinity, r);
        Assert.Equal(negative ? "-inf" : "inf", Human(r));
    }

    [Fact]
    public void Largest_finite_value_stays_finite_below_half_an_ulp()
    {
        var max = P("1.18973149535723176502e4932");
        Assert.Equal("7ffe:ffffffffffffffff", Bits(max));
        var r = max + P("1e4912");
        Assert.True(r.IsFinite);
        Assert.Equal(max, r);
    }

    [Fact]
    public void Nan_operands_propagate()
    {
        Assert.True((LongDouble.NaN + P("1")).IsNaN);
        Assert.True((P("1") + LongDouble.NaN).IsNaN);
        Assert.True((LongDouble.NaN + LongDouble.PositiveInfinity).IsNaN);
        Assert.True(LongDouble.FromDouble(double.NaN).IsNaN);
        Assert.True(double.IsNaN(LongDouble.NaN.ToDouble()));
    }

    // ---------------------------------------------------------------- signed zeros

    [Fact]
    public void Signed_zero_arithmetic_follows_ieee_round_to_nearest()
    {
        var pz = P("0");
        var nz = P("-0");
        Assert.Equal("0000:0000000000000000", Bits(pz));
        Assert.Equal("8000:0000000000000000", Bits(nz));
        Assert.Equal(LongDouble.NegativeZero, nz + nz);
        Assert.Equal(LongDouble.PositiveZero, nz + pz);
        Assert.Equal(LongDouble.PositiveZero, pz + nz);
        Assert.Equal(LongDouble.PositiveZero, P("3") + P("-3"));
        Assert.Equal(LongDouble.PositiveZero, P("-1e-4940") + P("1e-4940"));
        Assert.Equal(P("-2.5"), nz + P("-2.5"));
        Assert.Equal(P("-2.5"), P("-2.5") + pz);
        Assert.True(nz.IsZero && nz.IsNegative && nz.IsFinite);
    }

    [Fact]
    public void Negative_zero_prints_with_a_sign_in_printf_but_not_in_redis()
    {
        Assert.Equal("-0.00000000000000000", LongDouble.NegativeZero.ToFixedString(17));
        Assert.Equal("0", Human(LongDouble.NegativeZero));
        Assert.Equal("-0.00000000000000000", P("-1e-18").ToFixedString(17));
        Assert.Equal("0", Human(P("-1e-18")));
        Assert.Equal("-0", LongDouble.NegativeZero.ToFixedString(0));
    }

    // ---------------------------------------------------------------- parsing limits

    [Fact]
    public void Inputs_up_to_5119_bytes_are_accepted()
    {
        // string2ld copies into char buf[MAX_LONG_DOUBLE_CHARS = 5*1024] and needs room for the NUL
        Assert.Equal(5119, LongDouble.MaxParseLength);
        Assert.Equal(P("1"), P("1." + new string('0', 5117)));
        Assert.False(LongDouble.TryParse(B("1." + new string('0', 5118)), out _));
        Assert.Equal(P("-1"), P("-0x1." + new string('0', 5114)));
        Assert.False(LongDouble.TryParse(B("-0x1." + new string('0', 5115)), out _));
        Assert.Equal(P("1e-100"), P("0." + new string('0', 99) + "1" + new string('0', 5000)));
    }

    [Theory]
    [InlineData("1e4932", true)]
    [InlineData("1.18973149535723176508e4932", false)]    // rounds up to 2^16384: ERANGE/HUGE_VALL
    [InlineData("2e-4951", true)]                         // rounds up to the smallest subnormal (~3.645e-4951)
    [InlineData("1.8e-4951", false)]                      // below half of it: ERANGE with 0
    [InlineData("1e-4951", false)]
    [InlineData("0x1p-16446", false)]                     // exactly half: ties to even (0)
    [InlineData("0x1.0000000001p-16446", true)]
    [InlineData("0x1p16384", false)]
    [InlineData("1e999999999999999999999999", false)]
    [InlineData("1e-999999999999999999999999", false)]
    [InlineData("0e999999999999999999999999", true)]      // exact zero: no ERANGE
    [InlineData("-0x0p999999999999999999999", true)]
    public void Range_errors_are_refused_but_exact_zero_and_subnormals_are_not(string text, bool accepted)
    {
        Assert.Equal(accepted, LongDouble.TryParse(B(text), out _));
    }

    [Fact]
    public void Smallest_subnormal_and_smallest_normal_have_the_x87_encoding()
    {
        Assert.Equal("0000:0000000000000001", Bits(P("0x1p-16445")));
        Assert.Equal("0000:0000000000000001", Bits(P("3.6e-4951")));
        Assert.Equal("0001:8000000000000000", Bits(P("0x1p-16382")));
        Assert.Equal("0000:4000000000000000", Bits(P("0x0.8p-16382")));
        // subnormal + subnormal carrying into the normal range
        Assert.Equal("0001:8000000000000000", Bits(P("0x0.8p-16382") + P("0x0.8p-16382")));
    }

    [Theory]
    [InlineData("0x10", "16")]
    [InlineData("0X1.8P3", "12")]
    [InlineData("-0x.8", "-0.5")]
    [InlineData("0xA.", "10")]
    [InlineData("0x1p-1", "0.5")]
    [InlineData("0x1.8e3", "1.555419921875")]                       // 'e' is a hex digit, not an exponent
    [InlineData("0xffffffffffffffff", "18446744073709551615")]
    [InlineData("0x1ffffffffffffffff", "36893488147419103232")]     // 65 bits: tie, rounds to even
    [InlineData("0x1fffffffffffffffd", "36893488147419103228")]     // 65 bits: tie, rounds down to even
    public void Hex_floats_are_exact_or_correctly_rounded(string text, string human)
    {
        Assert.Equal(human, Human(P(text)));
    }

    [Theory]
    [InlineData("0x")]
    [InlineData("0x.")]
    [InlineData("0xp1")]
    [InlineData("0x1p")]
    [InlineData("0x1p+")]
    [InlineData("0x1.8g")]
    [InlineData("0x-1")]
    [InlineData("0x1.8p3.5")]
    public void Malformed_hex_floats_are_refused(string text)
    {
        Assert.False(LongDouble.TryParse(B(text), out _));
    }

    // ---------------------------------------------------------------- conversions

    [Theory]
    [InlineData(0.1)]
    [InlineData(-1.5)]
    [InlineData(1e308)]
    [InlineData(double.MaxValue)]
    [InlineData(double.Epsilon)]
    [InlineData(-2.2250738585072014e-308)]
    [InlineData(123456789.123456789)]
    public void Doubles_convert_exactly_and_back(double d)
    {
        var v = LongDouble.FromDouble(d);
        Assert.Equal(d, v.ToDouble());
        Assert.Equal(v, LongDouble.FromDecimal((decimal)0) + v);
        // the exact binary value printed with enough digits parses back to the same long double
        Assert.Equal(v, P(v.ToFixedString(1100)));
    }

    [Fact]
    public void Double_conversion_is_exact_where_decimal_parsing_is_not()
    {
        // 0.1 as a double is not the long double nearest to 0.1
        Assert.NotEqual(P("0.1"), LongDouble.FromDouble(0.1));
        Assert.Equal("3ffb:cccccccccccccccd", Bits(P("0.1")));
        Assert.Equal("3ffb:ccccccccccccd000", Bits(LongDouble.FromDouble(0.1)));
        Assert.Equal("0.10000000000000001", Human(LongDouble.FromDouble(0.1)));
        Assert.Equal("0.1", Human(P("0.1")));
    }

    [Theory]
    [InlineData("0x1.00000000000008p0", 1.0)]                              // tie below: to even
    [InlineData("0x1.00000000000018p0", 1.0000000000000004)]               // tie above: to even
    [InlineData("0x1.0000000000000802p0", 1.0000000000000002)]
    [InlineData("0x1p-1075", 0.0)]                                         // half the smallest subnormal double
    [InlineData("0x1.8p-1075", 4.9406564584124654e-324)]
    [InlineData("0x1p1024", double.PositiveInfinity)]
    [InlineData("-0x1.fffffffffffffcp1023", double.NegativeInfinity)]     // rounds up past DBL_MAX
    [InlineData("0x1.fffffffffffff7p1023", double.MaxValue)]
    [InlineData("1e4000", double.PositiveInfinity)]
    [InlineData("-1e-4000", -0.0)]
    public void ToDouble_rounds_to_nearest_even(string text, double expected)
    {
        double d = P(text).ToDouble();
        Assert.Equal(expected, d);
        Assert.Equal(double.IsNegative(expected), double.IsNegative(d));
    }

    [Theory]
    [InlineData("0.1")]
    [InlineData("-10.50")]
    [InlineData("79228162514264337593543950335")]
    [InlineData("-79228162514264337593543950335")]
    [InlineData("0.0000000000000000000000000001")]
    [InlineData("1234567890.123456789012345678")]
    [InlineData("0")]
    public void Decimals_convert_to_the_nearest_long_double(string text)
    {
        var d = decimal.Parse(text, System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(P(text), LongDouble.FromDecimal(d));
    }

    [Fact]
    public void Negation_and_subtraction()
    {
        Assert.Equal(P("-10.6"), -P("10.6"));
        Assert.Equal(LongDouble.NegativeZero, -LongDouble.PositiveZero);
        Assert.Equal("c00b:9beb333333333333", Bits(P("10.6") - P("5e3")));
        Assert.Equal(LongDouble.PositiveZero, P("10.6") - P("10.6"));
    }

    // ---------------------------------------------------------------- formatting

    [Theory]
    [InlineData("0.000003814697265625", 17, "0.00000381469726562")]   // exact tie at the 18th place: half-even down
    [InlineData("0.000011444091796875", 17, "0.00001144409179688")]   // exact tie: half-even up
    [InlineData("2.5", 0, "2")]
    [InlineData("3.5", 0, "4")]
    [InlineData("-0.5", 0, "-0")]
    [InlineData("0.125", 2, "0.12")]
    [InlineData("0.375", 2, "0.38")]
    [InlineData("0.99999999999999999", 17, "0.99999999999999999")]
    [InlineData("0.999999999999999995", 17, "1.00000000000000000")]
    [InlineData("1e20", 3, "100000000000000000000.000")]
    [InlineData("0x1p-16445", 5, "0.00000")]
    public void Fixed_formatting_is_exact_then_rounded_half_even(string text, int digits, string expected)
    {
        Assert.Equal(expected, P(text).ToFixedString(digits));
    }

    [Fact]
    public void Largest_value_prints_all_4933_integer_digits()
    {
        // LDBL_MAX = (2^64 - 1) * 2^16320, an integer, so "%.17Lf" is its exact decimal expansion
        var exact = (System.Numerics.BigInteger.One << 64) - 1 << 16320;
        string s = Human(P("1.18973149535723176502e4932"));
        Assert.Equal(4933, s.Length);
        Assert.Equal(exact.ToString(System.Globalization.CultureInfo.InvariantCulture), s);
        Assert.Equal(s + ".00000000000000000", P("1.18973149535723176502e4932").ToFixedString(17));
    }

    [Fact]
    public void ToString_is_the_redis_text()
    {
        Assert.Equal("-4989.39999999999999991", (P("10.6") + P("-5.0e3")).ToString());
        Assert.Equal("inf", LongDouble.PositiveInfinity.ToString());
    }
}
