using CacheCluster.Core;
using CacheCluster.Storage.Tests.Executor;

namespace CacheCluster.Storage.Tests.Float80;

/// <summary>
/// INCRBYFLOAT sequences that a differential run against redis-server 7.0.15 showed the old
/// decimal/double implementation getting wrong; the expected replies are Redis's.
/// </summary>
public class IncrByFloatRedisParityTests
{
    private readonly ShardHarness _s = new();

    // "%.17Lf" of the long double nearest to 1e308 (which 1e308 + 3 rounds to), and of twice it
    const string OneE308Plus3 =
        "99999999999999999996685879655845645660560099847415567207797047994921734868838061872100126921888539320446747225054013223152134749593960583597420814430196418767959100019603190778663109604507106667939153395788938914560543563061268364901618630217086589253444881623791300855757318142424510452728255046343928578048";
    const string TwoE308 =
        "199999999999999999993371759311691291321120199694831134415594095989843469737676123744200253843777078640893494450108026446304269499187921167194841628860392837535918200039206381557326219209014213335878306791577877829121087126122536729803237260434173178506889763247582601711514636284849020905456510092687857156096";

    [Fact]
    public void Decimal_fraction_chain_keeps_long_double_error()
    {
        _s.Set("f", "10.50");
        R.Bulk("10.6", _s.RunValue(Op.IncrByFloat, "f", "0.1"));
        R.Bulk("-4989.39999999999999991", _s.RunValue(Op.IncrByFloat, "f", "-5.0e3"));
        R.Bulk("-4989.39999999999999991", _s.Get("f"));
    }

    [Fact]
    public void Int64_max_plus_one_and_a_half_rounds_to_two_to_the_63()
    {
        _s.Set("i", "9223372036854775807");
        R.Bulk("9223372036854775808", _s.RunValue(Op.IncrByFloat, "i", "1.5"));
    }

    [Fact]
    public void A_tiny_increment_to_a_large_value_is_absorbed()
    {
        R.Bulk("123456789012345678", _s.RunValue(Op.IncrByFloat, "h", "123456789012345678"));
        R.Bulk("123456789012345678", _s.RunValue(Op.IncrByFloat, "h", "0.000001"));
    }

    [Fact]
    public void Huge_values_print_every_integer_digit()
    {
        R.Bulk(OneE308Plus3, _s.RunValue(Op.IncrByFloat, "g", "1e308"));   // 1e308 as a long double; + 3 is absorbed
        R.Bulk(TwoE308, _s.RunValue(Op.IncrByFloat, "g", "1e308"));
        Assert.Equal(309, TwoE308.Length);

        _s.Set("g", "3");
        R.Bulk(OneE308Plus3, _s.RunValue(Op.IncrByFloat, "g", "1e308"));
    }

    [Fact]
    public void Hex_increments_are_numbers()
    {
        R.Bulk("16", _s.RunValue(Op.IncrByFloat, "g", "0x10"));
        R.Bulk("28", _s.RunValue(Op.IncrByFloat, "g", "0X1.8p3"));
    }

    [Fact]
    public void Stored_values_beyond_double_range_are_valid_floats()
    {
        _s.Set("g", "1e400");
        var r = _s.RunValue(Op.IncrByFloat, "g", "1");
        Assert.Equal(ReplyKind.Bulk, r.Kind);
        string text = ShardHarness.S(r.Bulk.Span);
        Assert.Equal(401, text.Length);
        Assert.StartsWith("10000000000000000000281880683947586514586453433629052038", text);
        R.Bulk("0", _s.RunValue(Op.IncrByFloat, "g", "-1e400"));
    }

    [Theory]
    [InlineData("1e5000")]
    [InlineData("1e-5000")]
    [InlineData("0x1p-16446")]
    public void Stored_values_out_of_long_double_range_are_not_floats(string stored)
    {
        _s.Set("g", stored);
        R.Error(ErrorCode.NotFloat, _s.RunValue(Op.IncrByFloat, "g", "1"));
    }

    [Fact]
    public void Overflowing_sum_is_nan_or_infinity()
    {
        _s.Set("g", "1e4932");
        R.Error(ErrorCode.NanOrInfinity, _s.RunValue(Op.IncrByFloat, "g", "1e4932"));
        R.Bulk("1e4932", _s.Get("g"));
    }

    [Fact]
    public void Subnormal_results_print_as_zero()
    {
        R.Bulk("0", _s.RunValue(Op.IncrByFloat, "g", "1e-4940"));
        R.Bulk("0", _s.Get("g"));
    }
}
