using CacheCluster.Core;

namespace CacheCluster.Storage.Tests.Executor;

/// <summary>INCRBY (INCR/DECR/DECRBY) and INCRBYFLOAT with Redis 7's parsing, overflow and formatting rules.</summary>
public class CounterCommandTests
{
    private readonly ShardHarness _s = new();

    // ---------------------------------------------------------------- INCRBY

    [Fact]
    public void Incrby_on_a_missing_key_starts_from_zero()
    {
        R.Int(5, _s.Run(Op.IncrBy, "n", 5));
        R.Bulk("5", _s.Get("n"));
        Assert.Equal(-1, _s.Pttl("n"));
    }

    [Theory]
    [InlineData("10", 1, 11)]
    [InlineData("10", -1, 9)]
    [InlineData("0", -5, -5)]
    [InlineData("-3", 3, 0)]
    [InlineData("-9223372036854775808", 0, long.MinValue)]
    [InlineData("9223372036854775807", -1, long.MaxValue - 1)]
    [InlineData("0", long.MinValue, long.MinValue)]
    [InlineData("-1", long.MaxValue, long.MaxValue - 1)]
    [InlineData("1", long.MinValue, long.MinValue + 1)]
    [InlineData("9223372036854775806", 1, long.MaxValue)]
    public void Incrby_adds_and_stores_the_decimal_text(string start, long delta, long expected)
    {
        _s.Set("n", start);
        R.Int(expected, _s.Run(Op.IncrBy, "n", delta));
        R.Bulk(expected.ToString(System.Globalization.CultureInfo.InvariantCulture), _s.Get("n"));
    }

    [Theory]
    [InlineData("9223372036854775807", 1)]
    [InlineData("9223372036854775807", long.MaxValue)]
    [InlineData("1", long.MaxValue)]
    [InlineData("-9223372036854775808", -1)]
    [InlineData("-1", long.MinValue)]
    [InlineData("-9223372036854775808", long.MinValue)]
    public void Incrby_overflow_in_either_direction_fails_and_keeps_the_value(string start, long delta)
    {
        _s.Set("n", start);
        R.Error(ErrorCode.Overflow, _s.Run(Op.IncrBy, "n", delta));
        R.Bulk(start, _s.Get("n"));
    }

    [Theory]
    [InlineData("1.0")]
    [InlineData(" 1")]
    [InlineData("1 ")]
    [InlineData("01")]
    [InlineData("-0")]
    [InlineData("+1")]
    [InlineData("")]
    [InlineData("-")]
    [InlineData("abc")]
    [InlineData("1e3")]
    [InlineData("0x10")]
    [InlineData("12345678901234567890")]    // 20 digits, > long.MaxValue
    [InlineData("99999999999999999999")]
    [InlineData("-9223372036854775809")]
    [InlineData("9223372036854775808")]
    [InlineData("123456789012345678901")]   // 21 characters
    [InlineData("00000000000000000001")]
    [InlineData("1\0")]
    public void Incrby_on_a_value_that_is_not_a_strict_integer_fails(string value)
    {
        _s.Set("n", value);
        R.Error(ErrorCode.NotInteger, _s.Run(Op.IncrBy, "n", 1));
        R.Bulk(value, _s.Get("n"));
    }

    [Fact]
    public void Incrby_keeps_the_ttl_and_flags()
    {
        _s.Set("n", "41", CommandOptions.HasExpiry, _s.Now + 60_000, flags: 3);
        R.Int(42, _s.Run(Op.IncrBy, "n", 1));
        Assert.Equal(60_000, _s.Pttl("n"));
        Assert.Equal(3u, _s.Get("n").Flags);
    }

    [Fact]
    public void Incrby_on_an_expired_key_starts_again_from_zero_without_ttl()
    {
        _s.SetWithTtl("n", "100", 10);
        _s.Clock.Advance(10);
        R.Int(1, _s.Run(Op.IncrBy, "n", 1));
        Assert.Equal(-1, _s.Pttl("n"));
    }

    // ---------------------------------------------------------------- INCRBYFLOAT

    [Theory]
    [InlineData("10.50", "0.1", "10.6")]         // Redis docs
    [InlineData("10.6", "-5", "5.6")]            // Redis docs
    [InlineData("5.0e3", "2.0e2", "5200")]       // Redis docs
    [InlineData("5.0e3", "200", "5200")]
    [InlineData("3", "-3", "0")]
    [InlineData("1.5", "-1.5", "0")]
    [InlineData("0.1", "0.2", "0.3")]
    [InlineData("-0", "0", "0")]
    [InlineData("-0.0", "-0", "0")]
    [InlineData("1", "1e-18", "1")]              // beyond the 17 printed decimals
    [InlineData("0", "0.000000000000000001", "0")]
    [InlineData("0", "0.12345678901234567890", "0.12345678901234568")]
    [InlineData("7", ".5", "7.5")]
    [InlineData("7", "5.", "12")]
    [InlineData("+7", "+1", "8")]
    [InlineData("1E2", "1e0", "101")]
    [InlineData("-2.5", "1", "-1.5")]
    [InlineData("100", "-100.000", "0")]
    [InlineData("79228162514264337593543950335", "1", "79228162514264337593543950336")] // past decimal's range
    public void Incrbyfloat_prints_like_redis(string start, string increment, string expected)
    {
        _s.Set("f", start);
        R.Bulk(expected, _s.RunValue(Op.IncrByFloat, "f", increment));
        R.Bulk(expected, _s.Get("f"));
    }

    [Fact]
    public void Incrbyfloat_on_a_missing_key_starts_from_zero()
    {
        R.Bulk("3", _s.RunValue(Op.IncrByFloat, "f", "3.0"));
        R.Bulk("3", _s.Get("f"));
        R.Bulk("3.25", _s.RunValue(Op.IncrByFloat, "f", "0.25"));
    }

    [Fact]
    public void Incrbyfloat_result_is_usable_by_incrby_when_integral()
    {
        _s.RunValue(Op.IncrByFloat, "f", "2.0");
        R.Int(3, _s.Run(Op.IncrBy, "f", 1));
    }

    [Fact]
    public void Incrbyfloat_keeps_the_ttl()
    {
        _s.Set("f", "1.5", CommandOptions.HasExpiry, _s.Now + 30_000);
        _s.RunValue(Op.IncrByFloat, "f", "1");
        Assert.Equal(30_000, _s.Pttl("f"));
        R.Bulk("2.5", _s.Get("f"));
    }

    [Theory]
    [InlineData("0", "inf")]
    [InlineData("0", "-inf")]
    [InlineData("0", "+inf")]
    [InlineData("0", "Infinity")]
    [InlineData("1", "-INFINITY")]
    [InlineData("inf", "1")]
    [InlineData("inf", "-inf")]
    public void Incrbyfloat_producing_nan_or_infinity_fails_and_keeps_the_value(string start, string increment)
    {
        _s.Set("f", start);
        R.Error(ErrorCode.NanOrInfinity, _s.RunValue(Op.IncrByFloat, "f", increment));
        R.Bulk(start, _s.Get("f"));
    }

    [Fact]
    public void Incrbyfloat_to_infinity_on_a_missing_key_creates_nothing()
    {
        R.Error(ErrorCode.NanOrInfinity, _s.RunValue(Op.IncrByFloat, "f", "inf"));
        Assert.False(_s.Has("f"));
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("")]
    [InlineData(" 1")]
    [InlineData("1 ")]
    [InlineData("\t1")]
    [InlineData("1.2.3")]
    [InlineData("nan")]
    [InlineData("NaN")]
    [InlineData("1e")]
    [InlineData("--1")]
    [InlineData(".")]
    [InlineData("1,5")]
    public void Incrbyfloat_on_a_stored_value_that_is_not_a_float_fails(string value)
    {
        _s.Set("f", value);
        R.Error(ErrorCode.NotFloat, _s.RunValue(Op.IncrByFloat, "f", "1"));
        R.Bulk(value, _s.Get("f"));
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("")]
    [InlineData(" 1")]
    [InlineData("1 ")]
    [InlineData("nan")]
    [InlineData("-nan")]
    [InlineData("1e")]
    [InlineData("e5")]
    public void Incrbyfloat_with_an_increment_that_is_not_a_float_fails(string increment)
    {
        _s.Set("f", "1");
        R.Error(ErrorCode.NotFloat, _s.RunValue(Op.IncrByFloat, "f", increment));
        R.Bulk("1", _s.Get("f"));
        R.Error(ErrorCode.NotFloat, _s.RunValue(Op.IncrByFloat, "missing", increment));
        Assert.False(_s.Has("missing"));
    }

    [Theory]
    [InlineData("1e5000")]    // strtold: ERANGE with HUGE_VAL -> string2ld rejects it
    [InlineData("-1e5000")]
    [InlineData("1e-5000")]   // strtold: ERANGE with a zero result -> rejected too
    public void Incrbyfloat_with_an_out_of_range_increment_is_not_a_valid_float(string increment)
    {
        _s.Set("f", "1");
        R.Error(ErrorCode.NotFloat, _s.RunValue(Op.IncrByFloat, "f", increment));
        R.Bulk("1", _s.Get("f"));
    }
}
