using System.Text;

namespace CacheCluster.Storage.Tests.Float80;

/// <summary>
/// <see cref="LongDouble"/> and <see cref="RedisFloat"/> against values produced by glibc on x86-64
/// (strtold, 80-bit addition, "%.17Lf") through Redis's own string2ld / ld2string code; see
/// golden.c and generate_golden.py next to this file. Bits are compared as well as text, so a parse
/// or a sum that is off by one unit in the last place fails even when it prints the same.
/// </summary>
public class LongDoubleGoldenTests
{
    static byte[] B(string s) => Encoding.Latin1.GetBytes(s);

    static string Bits(LongDouble v) => $"{v.SignExponent:x4}:{v.Significand:x16}";

    static string Text(byte[] b) => Encoding.ASCII.GetString(b);

    /// <summary>Printable form of an input for failure messages (inputs contain control characters).</summary>
    static string Show(string s)
    {
        var sb = new StringBuilder("\"");
        foreach (char c in s.Length > 80 ? s[..80] + "…" : s)
            sb.Append(c is >= ' ' and < (char)127 or '…' ? c.ToString() : $"\\x{(int)c:x2}");
        return sb.Append('"').ToString();
    }

    static TheoryData<int> Rows(int count)
    {
        var data = new TheoryData<int>();
        for (int i = 0; i < count; i++) data.Add(i);
        return data;
    }

    public static TheoryData<int> ParseRows => Rows(LongDoubleGoldenData.Parses.Length);
    public static TheoryData<int> SumRows => Rows(LongDoubleGoldenData.Sums.Length);

    [Theory]
    [MemberData(nameof(ParseRows))]
    public void Parse_matches_string2ld_with_glibc_strtold(int row)
    {
        var (input, valid, bits, human) = LongDoubleGoldenData.Parses[row];
        bool ok = LongDouble.TryParse(B(input), out var value);
        Assert.True(valid == ok, $"{Show(input)}: expected {(valid ? "accepted" : "refused")}");
        if (!valid) return;
        Assert.True(bits == Bits(value), $"{Show(input)}: expected bits {bits}, got {Bits(value)}");
        Assert.Equal(human, Text(value.FormatHuman()));
    }

    [Theory]
    [MemberData(nameof(ParseRows))]
    public void RedisFloat_parse_and_format_match(int row)
    {
        var (input, valid, _, human) = LongDoubleGoldenData.Parses[row];
        Assert.True(valid == RedisFloat.TryParse(B(input), out var n), Show(input));
        if (valid) Assert.Equal(human, Text(RedisFloat.Format(n)));
    }

    [Theory]
    [MemberData(nameof(SumRows))]
    public void Sum_matches_x87_addition_and_percent_17Lf(int row)
    {
        var (a, b, finite, bits, human) = LongDoubleGoldenData.Sums[row];
        Assert.True(LongDouble.TryParse(B(a), out var x), Show(a));
        Assert.True(LongDouble.TryParse(B(b), out var y), Show(b));
        var sum = x + y;
        Assert.True(bits == Bits(sum), $"{Show(a)} + {Show(b)}: expected bits {bits}, got {Bits(sum)}");
        Assert.Equal(!finite, sum.IsNaN || sum.IsInfinity);
        if (finite) Assert.Equal(human, Text(sum.FormatHuman()));
        // addition is commutative, including the sign of zero and NaN/∞ results
        Assert.Equal(bits, Bits(y + x));
    }

    [Theory]
    [MemberData(nameof(SumRows))]
    public void RedisFloat_TryAdd_matches_incrbyfloat(int row)
    {
        var (a, b, finite, _, human) = LongDoubleGoldenData.Sums[row];
        Assert.True(RedisFloat.TryParse(B(a), out var x));
        Assert.True(RedisFloat.TryParse(B(b), out var y));
        Assert.Equal(finite, RedisFloat.TryAdd(x, y, out var sum));
        if (finite) Assert.Equal(human, Text(RedisFloat.Format(sum)));
    }
}
