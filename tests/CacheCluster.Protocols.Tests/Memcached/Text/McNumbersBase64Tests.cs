using CacheCluster.Protocols.Memcached.Text;
using static CacheCluster.Protocols.Tests.Memcached.Text.McTextHarness;

namespace CacheCluster.Protocols.Tests.Memcached.Text;

/// <summary>memcached's number parsing (util.c safe_strto*, mcmc token parsers) and base64.c, quirks included.</summary>
public class McNumbersBase64Tests
{
    [Theory]
    [InlineData("0", true, 0UL)]
    [InlineData("18446744073709551615", true, ulong.MaxValue)]
    [InlineData("18446744073709551616", false, 0UL)]   // ERANGE
    [InlineData("+7", true, 7UL)]
    [InlineData("\t7", true, 7UL)]                      // strtoull skips leading whitespace
    [InlineData("7\r", true, 7UL)]                      // and may be followed by whitespace
    [InlineData("-0", true, 0UL)]
    [InlineData("-1", false, 0UL)]                      // wraps above 2^63 with a '-': refused
    [InlineData("-9223372036854775809", true, 9223372036854775807UL)] // wraps below 2^63: libc accepts it
    [InlineData("", false, 0UL)]
    [InlineData("x", false, 0UL)]
    [InlineData("7x", false, 0UL)]
    [InlineData("0x10", false, 0UL)]
    public void SafeStrToU64(string s, bool ok, ulong value)
    {
        Assert.Equal(ok, McNumbers.SafeStrToU64(B(s), out ulong v));
        Assert.Equal(value, v);
    }

    [Theory]
    [InlineData("4294967295", true, uint.MaxValue)]
    [InlineData("4294967296", true, 0U)]                // parsed as unsigned long, then truncated (memcached does this)
    [InlineData("-1", false, 0U)]
    [InlineData("12abc", false, 0U)]
    public void SafeStrToU32(string s, bool ok, uint value)
    {
        Assert.Equal(ok, McNumbers.SafeStrToU32(B(s), out uint v));
        Assert.Equal(value, v);
    }

    [Theory]
    [InlineData("2147483647", true, int.MaxValue)]
    [InlineData("2147483648", false, 0)]                // above INT_MAX: refused
    [InlineData("-2147483648", true, int.MinValue)]
    [InlineData("-4294967296", true, 0)]                // below INT_MIN: truncated, as memcached's safe_strtol
    [InlineData("-1", true, -1)]
    [InlineData("99999999999999999999", false, 0)]
    [InlineData(" 5", true, 5)]
    public void SafeStrToI32(string s, bool ok, int value)
    {
        Assert.Equal(ok, McNumbers.SafeStrToI32(B(s), out int v));
        Assert.Equal(value, v);
    }

    [Theory]
    [InlineData("0", true, 0)]
    [InlineData("-5", true, -5)]
    [InlineData("2147483647", true, int.MaxValue)]
    [InlineData("-2147483648", true, int.MinValue)]
    [InlineData("2147483648", false, 0)]
    [InlineData("+5", false, 0)]
    [InlineData(" 5", false, 0)]
    [InlineData("5 ", false, 0)]
    [InlineData("-", false, 0)]
    [InlineData("", false, 0)]
    public void TokenToI32IsStrict(string s, bool ok, int value)
    {
        Assert.Equal(ok, McNumbers.TokenToI32(B(s), out int v));
        Assert.Equal(value, v);
    }

    [Theory]
    [InlineData("4294967295", true, uint.MaxValue)]
    [InlineData("4294967296", false, 0U)]
    [InlineData("-1", false, 0U)]
    [InlineData("01", true, 1U)]
    public void TokenToU32IsStrict(string s, bool ok, uint value)
    {
        Assert.Equal(ok, McNumbers.TokenToU32(B(s), out uint v));
        Assert.Equal(value, v);
    }

    [Theory]
    [InlineData("", "")]
    [InlineData("f", "Zg==")]
    [InlineData("fo", "Zm8=")]
    [InlineData("foo", "Zm9v")]
    [InlineData("foob", "Zm9vYg==")]
    [InlineData("\0\xff\xfe", "AP/+")]
    public void Base64RoundTrip(string raw, string encoded)
    {
        var dest = new byte[64];
        int n = McBase64.EncodeTo(B(raw), dest);
        Assert.Equal(encoded, S(dest.AsSpan(0, n)));
        Assert.Equal(McBase64.EncodedLength(raw.Length), n);
        if (raw.Length == 0) return;
        n = McBase64.DecodeTo(B(encoded), dest);
        Assert.Equal(raw, S(dest.AsSpan(0, n)));
    }

    [Theory]
    [InlineData("Zm9v\r\n", "foo")]       // bytes outside the alphabet are skipped
    [InlineData("Z m 9 v", "foo")]
    [InlineData("Zg==Zm9v", "f")]         // decoding stops after the first padded block
    [InlineData("Zm9", null)]             // not a multiple of 4
    [InlineData("Z===", null)]            // three pads
    [InlineData("!!!!", null)]
    [InlineData("", null)]
    public void Base64DecodeLikeMemcached(string encoded, string? raw)
    {
        var dest = new byte[64];
        int n = McBase64.DecodeTo(B(encoded), dest);
        if (raw == null) Assert.Equal(0, n);
        else Assert.Equal(raw, S(dest.AsSpan(0, n)));
    }
}
