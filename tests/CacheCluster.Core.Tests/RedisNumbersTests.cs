using System.Text;
using CacheCluster.Core;

namespace CacheCluster.Core.Tests;

public class RedisNumbersTests
{
    [Theory]
    [InlineData("0", 0)]
    [InlineData("1", 1)]
    [InlineData("-1", -1)]
    [InlineData("9223372036854775807", long.MaxValue)]
    [InlineData("-9223372036854775808", long.MinValue)]
    [InlineData("1234567890", 1234567890)]
    public void Accepts_what_string2ll_accepts(string text, long expected)
    {
        Assert.True(RedisNumbers.TryParseInt64(Encoding.ASCII.GetBytes(text), out long v));
        Assert.Equal(expected, v);
    }

    [Theory]
    [InlineData("")]
    [InlineData("-")]
    [InlineData("-0")]
    [InlineData("01")]
    [InlineData("+1")]
    [InlineData(" 1")]
    [InlineData("1 ")]
    [InlineData("1.0")]
    [InlineData("1e3")]
    [InlineData("9223372036854775808")]
    [InlineData("-9223372036854775809")]
    [InlineData("123456789012345678901")]
    [InlineData("abc")]
    public void Rejects_what_string2ll_rejects(string text) =>
        Assert.False(RedisNumbers.TryParseInt64(Encoding.ASCII.GetBytes(text), out _));

    [Theory]
    [InlineData(0L)]
    [InlineData(-5L)]
    [InlineData(long.MaxValue)]
    [InlineData(long.MinValue)]
    public void Formats_round_trip(long v)
    {
        var bytes = RedisNumbers.FormatInt64(v);
        Assert.True(RedisNumbers.TryParseInt64(bytes, out long back));
        Assert.Equal(v, back);
        Assert.Equal(v.ToString(), Encoding.ASCII.GetString(bytes));
    }
}
