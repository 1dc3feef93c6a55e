using System.Buffers;
using CacheCluster.Protocols.Resp;
using static CacheCluster.Protocols.Tests.Resp.Resp;

namespace CacheCluster.Protocols.Tests.Resp;

public class RespInlineParserTests
{
    private static RespParseStatus Parse(string line, out string[] args, out string? error, out long consumed)
    {
        var arena = new RequestArena();
        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(B(line)));
        RespParseStatus status = RespRequestParser.TryParse(ref reader, arena, out ArgumentList list, out error);
        args = new string[list.Count];
        for (int i = 0; i < list.Count; i++) args[i] = S(list[i]);
        consumed = reader.Consumed;
        return status;
    }

    private static string[] Args(string line)
    {
        Assert.Equal(RespParseStatus.Complete, Parse(line, out string[] args, out string? error, out long consumed));
        Assert.Null(error);
        Assert.Equal(line.IndexOf('\n') + 1, consumed);
        return args;
    }

    [Theory]
    [InlineData("PING\r\n", new[] { "PING" })]
    [InlineData("PING\n", new[] { "PING" })]
    [InlineData("  SET  a \t  b   \r\n", new[] { "SET", "a", "b" })]
    [InlineData("GET k\r\r\n", new[] { "GET", "k" })] // one CR dropped, the other is a separator
    [InlineData("SET \"a b\" c\r\n", new[] { "SET", "a b", "c" })]
    [InlineData("ECHO \"\\x41\\x4a\\x7e\"\r\n", new[] { "ECHO", "AJ~" })]
    [InlineData("ECHO \"\\xZZ\\x4\"\r\n", new[] { "ECHO", "xZZx4" })] // bad \x falls back to the plain escape
    [InlineData("ECHO \"\\n\\r\\t\\b\\a\\\\\\\"\\q\"\r\n", new[] { "ECHO", "\n\r\t\b\a\\\"q" })]
    [InlineData("ECHO 'it\\'s'\r\n", new[] { "ECHO", "it's" })]
    [InlineData("ECHO 'a\\nb \"c\"'\r\n", new[] { "ECHO", "a\\nb \"c\"" })] // no escapes in single quotes
    [InlineData("ECHO foo\"bar baz\"\r\n", new[] { "ECHO", "foobar baz" })] // a quote may open mid-token
    [InlineData("ECHO foo'bar baz'\r\n", new[] { "ECHO", "foobar baz" })]
    [InlineData("ECHO \"\"\r\n", new[] { "ECHO", "" })]
    [InlineData("ECHO ''\r\n", new[] { "ECHO", "" })]
    [InlineData("ECHO \"a\"\tb\r\n", new[] { "ECHO", "a", "b" })]
    [InlineData("ECHO \"a\"\vb\r\n", new[] { "ECHO", "a", "b" })] // after a quote any isspace ends the token
    [InlineData("ECHO a\vb\r\n", new[] { "ECHO", "a\vb" })] // \v does not end an unquoted token...
    [InlineData("\v\fECHO\r\n", new[] { "ECHO" })] // ...but is skipped between tokens
    [InlineData("GET a\0b c\r\n", new[] { "GET", "a" })] // C string: the line ends at NUL
    [InlineData("a\u00ffb \u0080\r\n", new[] { "a\u00ffb", "\u0080" })]
    [InlineData("ECHO \"\\x00\"\r\n", new[] { "ECHO", "\0" })]
    public void SplitsLikeRedis(string line, string[] expected) => Assert.Equal(expected, Args(line));

    [Theory]
    [InlineData("SET \"a\"b c\r\n")]
    [InlineData("SET 'a'b c\r\n")]
    [InlineData("SET \"abc\r\n")]
    [InlineData("SET 'abc\r\n")]
    [InlineData("SET \"abc\\\"\r\n")]
    [InlineData("SET \"abc\\\r\n")]
    [InlineData("SET \"a\0b\"\r\n")] // NUL cuts the quoted token short
    [InlineData("\"\r\n")]
    public void UnbalancedQuotes(string line)
    {
        Assert.Equal(RespParseStatus.Error, Parse(line, out _, out string? error, out _));
        Assert.Equal("ERR Protocol error: unbalanced quotes in request", error);
    }

    [Theory]
    [InlineData("\r\n")]
    [InlineData("\n")]
    [InlineData("   \t\r\n")]
    [InlineData("\r\r\n")]
    [InlineData("\0GET\r\n")]
    public void BlankLineIsEmpty(string line)
    {
        Assert.Equal(RespParseStatus.Empty, Parse(line + "PING\r\n", out string[] args, out _, out long consumed));
        Assert.Empty(args);
        Assert.Equal(line.Length, consumed);
    }

    [Theory]
    [InlineData("PING")]
    [InlineData("PING\r")]
    [InlineData("SET \"a")]
    public void NoNewlineYetIsIncomplete(string input)
    {
        var arena = new RequestArena();
        var reader = new SequenceReader<byte>(Chopped(B(input), 2));
        Assert.Equal(RespParseStatus.Incomplete, RespRequestParser.TryParse(ref reader, arena, out _, out _));
        Assert.Equal(0, reader.Consumed);
        Assert.Equal(0, arena.ArgCount);
    }

    [Fact]
    public void TooBigInlineRequest()
    {
        Assert.Equal(RespParseStatus.Incomplete, Parse(new string('a', 65_536), out _, out _, out _));
        Assert.Equal(RespParseStatus.Error, Parse(new string('a', 65_537), out _, out string? error, out _));
        Assert.Equal("ERR Protocol error: too big inline request", error);
    }

    [Fact]
    public void LongLineWithNewlineIsAccepted()
    {
        // Redis only limits what is buffered *without* a newline.
        string big = new('v', 200_000);
        Assert.Equal(["SET", "k", big], Args("SET k " + big + "\r\n"));
        ParseOutcome chopped = ParseAll(Chopped(B("SET k \"" + big + "\"\r\n"), 1000), new RequestArena());
        Assert.Equal(["SET", "k", big], chopped.Requests.Single()!);
    }

    [Fact]
    public void LongQuotedLineAcrossSegments()
    {
        string line = "SET \"" + string.Concat(Enumerable.Repeat("\\x41b\\n", 300)) + "\" 'x'\r\n";
        ParseOutcome outcome = ParseAll(Chopped(B(line), 7), new RequestArena());
        Assert.Equal(["SET", string.Concat(Enumerable.Repeat("Ab\n", 300)), "x"], outcome.Requests.Single()!);
    }
}
