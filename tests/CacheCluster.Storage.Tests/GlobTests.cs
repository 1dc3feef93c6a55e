using static CacheCluster.Storage.Tests.TestKeys;

namespace CacheCluster.Storage.Tests;

public class GlobTests
{
    private static bool M(string pattern, string text, bool nocase = false) => Glob.Match(B(pattern), B(text), nocase);

    [Theory]
    // The KEYS documentation examples.
    [InlineData("h?llo", "hello", true)]
    [InlineData("h?llo", "hallo", true)]
    [InlineData("h?llo", "hxllo", true)]
    [InlineData("h?llo", "hllo", false)]
    [InlineData("h?llo", "heello", false)]
    [InlineData("h*llo", "hllo", true)]
    [InlineData("h*llo", "heeeello", true)]
    [InlineData("h*llo", "hello world", false)]
    [InlineData("h[ae]llo", "hello", true)]
    [InlineData("h[ae]llo", "hallo", true)]
    [InlineData("h[ae]llo", "hillo", false)]
    [InlineData("h[^e]llo", "hallo", true)]
    [InlineData("h[^e]llo", "hbllo", true)]
    [InlineData("h[^e]llo", "hello", false)]
    [InlineData("h[a-b]llo", "hallo", true)]
    [InlineData("h[a-b]llo", "hbllo", true)]
    [InlineData("h[a-b]llo", "hcllo", false)]
    // Reversed ranges are swapped.
    [InlineData("h[b-a]llo", "hallo", true)]
    [InlineData("[z-a]", "m", true)]
    [InlineData("[^a-c]", "b", false)]
    [InlineData("[^a-c]", "d", true)]
    // Escapes.
    [InlineData(@"h\*llo", "h*llo", true)]
    [InlineData(@"h\*llo", "hello", false)]
    [InlineData(@"h\?llo", "h?llo", true)]
    [InlineData(@"h\?llo", "hello", false)]
    [InlineData(@"\[a]", "[a]", true)]
    [InlineData(@"[\]]", "]", true)]
    [InlineData(@"[\-]", "-", true)]
    [InlineData(@"[a\-z]", "b", false)]
    [InlineData(@"\\", @"\", true)]
    [InlineData(@"a\", @"a\", true)]                 // trailing backslash is literal
    // Stars.
    [InlineData("*", "", true)]
    [InlineData("**", "", true)]
    [InlineData("*", "anything", true)]
    [InlineData("a*", "", false)]
    [InlineData("*a", "", false)]
    [InlineData("?", "", false)]
    [InlineData("", "", true)]
    [InlineData("", "a", false)]
    [InlineData("foo*", "foo_a", true)]
    [InlineData("foo*", "key_x", false)]
    [InlineData("*x*", "key_x", true)]
    [InlineData("a*b*c", "a_b_c", true)]
    [InlineData("a*b*c", "a_c_b", false)]
    [InlineData("a**b", "ab", true)]
    [InlineData("ab*", "ab", true)]
    [InlineData("ab**", "ab", true)]
    [InlineData("*?", "", false)]
    [InlineData("*?", "x", true)]
    // Malformed classes behave like Redis: unterminated brackets take the rest of the pattern.
    [InlineData("[abc", "a", true)]
    [InlineData("[abc", "d", false)]
    [InlineData("[", "a", false)]
    [InlineData("[^", "a", true)]
    [InlineData("[]", "a", false)]
    [InlineData("[a-", "-", true)]
    [InlineData("[a-", "a", true)]
    [InlineData("[a-", "b", false)]
    [InlineData("x[]y", "xy", false)]
    public void Matches_like_redis(string pattern, string text, bool expected)
        => Assert.Equal(expected, M(pattern, text));

    [Theory]
    [InlineData("HELLO", "hello", true)]
    [InlineData("h?LLO", "HeLlo", true)]
    [InlineData("[A-C]x", "bX", true)]
    [InlineData("[a-c]x", "BX", true)]
    [InlineData("[^A]", "a", false)]
    [InlineData("h[AE]llo", "HELLO", true)]
    public void Nocase_folds_ascii(string pattern, string text, bool expected)
        => Assert.Equal(expected, M(pattern, text, nocase: true));

    [Fact]
    public void Case_matters_by_default()
    {
        Assert.False(M("HELLO", "hello"));
        Assert.False(M("[A-C]", "b"));
    }

    [Fact]
    public void Binary_bytes_match()
    {
        byte[] text = [0, 255, 10, 0];
        Assert.True(Glob.Match([(byte)'?', 255, (byte)'*'], text));
        Assert.True(Glob.Match([(byte)'[', 0, (byte)'-', 1, (byte)']', (byte)'*', 0], text));
        Assert.False(Glob.Match([(byte)'*', 1], text));
    }

    [Fact]
    public void Pathological_patterns_finish_quickly()
    {
        // Exponential without Redis's skip-longer-matches short cut.
        string text = new string('a', 60);
        string pattern = string.Concat(Enumerable.Repeat("a*", 30)) + "b";
        Assert.False(M(pattern, text));
        // Deep star nesting hits the recursion guard instead of the stack limit.
        string deep = string.Concat(Enumerable.Repeat("*a", 5000));
        Assert.False(M(deep, new string('a', 4999)));
        Assert.True(M("*a*a*a*a*a", new string('a', 2000)));
    }
}
