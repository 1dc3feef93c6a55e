using System.Text;
using CacheCluster.Core;

namespace CacheCluster.Storage.Tests.Executor;

/// <summary><see cref="RedisNumbers"/> (util.c string2ll) and <see cref="RedisFloat"/> (string2ld + "%.17Lf").</summary>
public class NumberParsingTests
{
    private static byte[] B(string s) => Encoding.Latin1.GetBytes(s);

    // ---------------------------------------------------------------- RedisNumbers.TryParseInt64

    [Theory]
    [InlineData("0", 0L)]
    [InlineData("1", 1L)]
    [InlineData("-1", -1L)]
    [InlineData("10", 10L)]
    [InlineData("1234567890", 1234567890L)]
    [InlineData("9223372036854775807", long.MaxValue)]
    [InlineData("-9223372036854775808", long.MinValue)]
    [InlineData("-9223372036854775807", -long.MaxValue)]
    public void TryParseInt64_accepts_canonical_integers(string text, long expected)
    {
        Assert.True(RedisNumbers.TryParseInt64(B(text), out long v));
        Assert.Equal(expected, v);
    }

    [Theory]
    [InlineData("")]
    [InlineData("-")]
    [InlineData("-0")]
    [InlineData("00")]
    [InlineData("01")]
    [InlineData("-01")]
    [InlineData("+1")]
    [InlineData(" 1")]
    [InlineData("1 ")]
    [InlineData("1.0")]
    [InlineData("1e3")]
    [InlineData("0x1")]
    [InlineData("1a")]
    [InlineData("--1")]
    [InlineData("9223372036854775808")]
    [InlineData("-9223372036854775809")]
    [InlineData("18446744073709551615")]
    [InlineData("18446744073709551616")]
    [InlineData("99999999999999999999")]
    [InlineData("123456789012345678901")]
    [InlineData("-12345678901234567890")]   // 21 characters
    [InlineData("1\0")]
    [InlineData("\u0661")]                 // not ASCII
    public void TryParseInt64_rejects_everything_redis_rejects(string text)
    {
        Assert.False(RedisNumbers.TryParseInt64(B(text), out _));
    }

    [Theory]
    [InlineData(0L, "0")]
    [InlineData(-1L, "-1")]
    [InlineData(42L, "42")]
    [InlineData(long.MaxValue, "9223372036854775807")]
    [InlineData(long.MinValue, "-9223372036854775808")]
    public void FormatInt64_is_plain_decimal_and_round_trips(long value, string expected)
    {
        byte[] bytes = RedisNumbers.FormatInt64(value);
        Assert.Equal(expected, Encoding.ASCII.GetString(bytes));
        Assert.True(RedisNumbers.TryParseInt64(bytes, out long back));
        Assert.Equal(value, back);
    }

    // ---------------------------------------------------------------- RedisFloat.TryParse

    [Theory]
    [InlineData("1", 1.0)]
    [InlineData("-1.5", -1.5)]
    [InlineData("+2", 2.0)]
    [InlineData(".5", 0.5)]
    [InlineData("5.", 5.0)]
    [InlineData("1e3", 1000.0)]
    [InlineData("1E3", 1000.0)]
    [InlineData("2.5e-1", 0.25)]
    [InlineData("10.50", 10.5)]
    [InlineData("007", 7.0)]
    [InlineData("1e300", 1e300)]
    public void RedisFloat_parses_finite_numbers(string text, double expected)
    {
        Assert.True(RedisFloat.TryParse(B(text), out var n));
        Assert.Equal(expected, n.Dbl, 12);
    }

    [Theory]
    [InlineData("inf", false)]
    [InlineData("+inf", false)]
    [InlineData("-inf", true)]
    [InlineData("INF", false)]
    [InlineData("Infinity", false)]
    [InlineData("-infinity", true)]
    public void RedisFloat_parses_infinities(string text, bool negative)
    {
        Assert.True(RedisFloat.TryParse(B(text), out var n));
        Assert.False(n.IsDecimal);
        Assert.Equal(negative ? double.NegativeInfinity : double.PositiveInfinity, n.Dbl);
    }

    [Theory]
    [InlineData("")]
    [InlineData(" 1")]
    [InlineData("1 ")]
    [InlineData("\n1")]
    [InlineData("1\r")]
    [InlineData("abc")]
    [InlineData("1.2.3")]
    [InlineData("nan")]
    [InlineData("NaN")]
    [InlineData("-nan")]
    [InlineData("1e")]
    [InlineData("e1")]
    [InlineData(".")]
    [InlineData("-")]
    [InlineData("--1")]
    [InlineData("1,5")]
    [InlineData("1_000")]
    [InlineData("infx")]
    [InlineData("\u00bd")]
    public void RedisFloat_rejects_what_string2ld_rejects(string text)
    {
        Assert.False(RedisFloat.TryParse(B(text), out _));
    }

    [Theory]
    [InlineData("1e5000")]
    [InlineData("-1e5000")]
    [InlineData("1e-5000")]
    public void RedisFloat_rejects_numbers_outside_long_double_range(string text)
    {
        // strtold sets ERANGE with ±HUGE_VAL or a zero result; string2ld treats both as "not a valid float".
        Assert.False(RedisFloat.TryParse(B(text), out _));
    }

    [Fact]
    public void RedisFloat_rejects_overlong_input()
    {
        string longNumber = "1." + new string('0', 5 * 1024);
        Assert.False(RedisFloat.TryParse(B(longNumber), out _));
    }

    // ---------------------------------------------------------------- RedisFloat.TryAdd / Format

    private static string Sum(string a, string b)
    {
        Assert.True(RedisFloat.TryParse(B(a), out var x));
        Assert.True(RedisFloat.TryParse(B(b), out var y));
        Assert.True(RedisFloat.TryAdd(x, y, out var s));
        return Encoding.ASCII.GetString(RedisFloat.Format(s));
    }

    [Theory]
    [InlineData("10.5", "0.1", "10.6")]
    [InlineData("5.0e3", "200", "5200")]
    [InlineData("3", "-3", "0")]
    [InlineData("-0", "-0", "0")]
    [InlineData("0.1", "0.7", "0.8")]
    [InlineData("1.1", "2.2", "3.3")]
    [InlineData("-5", "2.25", "-2.75")]
    [InlineData("79228162514264337593543950335", "79228162514264337593543950335", "158456325028528675187087900672")]
    public void RedisFloat_sums_print_like_redis(string a, string b, string expected)
    {
        Assert.Equal(expected, Sum(a, b));
    }

    [Theory]
    [InlineData("inf", "1")]
    [InlineData("inf", "-inf")]
    [InlineData("-inf", "-1")]
    public void RedisFloat_add_refuses_nan_and_infinity(string a, string b)
    {
        Assert.True(RedisFloat.TryParse(B(a), out var x));
        Assert.True(RedisFloat.TryParse(B(b), out var y));
        Assert.False(RedisFloat.TryAdd(x, y, out _));
    }

    [Theory]
    [InlineData(0.0, "0")]
    [InlineData(-1.5, "-1.5")]
    [InlineData(1e20, "100000000000000000000")]
    [InlineData(0.5, "0.5")]
    public void RedisFloat_formats_doubles_with_17_decimals_trimmed(double value, string expected)
    {
        Assert.Equal(expected, Encoding.ASCII.GetString(RedisFloat.Format(new RedisFloat.Number(value))));
    }

    [Theory]
    [InlineData("0", "0")]
    [InlineData("-0.000", "0")]
    [InlineData("123", "123")]
    [InlineData("123.4500", "123.45")]
    [InlineData("0.000000000000000001", "0")]                      // rounds away at 17 decimals
    [InlineData("0.00000000000000001", "0.00000000000000001")]
    [InlineData("0.000000000000000009", "0.00000000000000001")]
    [InlineData("-0.000000000000000001", "0")]                     // "-0" after rounding prints as "0"
    [InlineData("0.12345678901234567890", "0.12345678901234568")]
    public void RedisFloat_formats_decimals_with_17_decimals_trimmed(string text, string expected)
    {
        Assert.True(RedisFloat.TryParse(B(text), out var n));
        Assert.True(n.IsDecimal);
        Assert.Equal(expected, Encoding.ASCII.GetString(RedisFloat.Format(n)));
    }
}
