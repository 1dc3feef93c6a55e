using System.Buffers;
using CacheCluster.Protocols.Resp;
using static CacheCluster.Protocols.Tests.Resp.Resp;

namespace CacheCluster.Protocols.Tests.Resp;

public class RespMultibulkParserTests
{
    private static RespParseStatus ParseOne(byte[] data, out string[] args, out string? error, out long consumed)
    {
        var arena = new RequestArena();
        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(data));
        RespParseStatus status = RespRequestParser.TryParse(ref reader, arena, out ArgumentList list, out error);
        args = new string[list.Count];
        for (int i = 0; i < list.Count; i++) args[i] = S(list[i]);
        consumed = reader.Consumed;
        return status;
    }

    private static string ParseError(string input)
    {
        RespParseStatus status = ParseOne(B(input), out _, out string? error, out _);
        Assert.Equal(RespParseStatus.Error, status);
        return error!;
    }

    private static void AssertIncomplete(string input)
    {
        var arena = new RequestArena();
        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(B(input)));
        Assert.Equal(RespParseStatus.Incomplete, RespRequestParser.TryParse(ref reader, arena, out _, out string? error));
        Assert.Null(error);
        Assert.Equal(0, reader.Consumed);
        Assert.Equal(0, arena.ArgCount);
    }

    [Fact]
    public void ParsesSimpleCommand()
    {
        Assert.Equal(RespParseStatus.Complete, ParseOne(Command("SET", "key", "value"), out string[] args, out string? error, out long consumed));
        Assert.Equal(["SET", "key", "value"], args);
        Assert.Null(error);
        Assert.Equal(Command("SET", "key", "value").Length, consumed);
    }

    [Fact]
    public void StopsAfterOneRequest()
    {
        byte[] two = Concat(Command("GET", "a"), Command("GET", "b"));
        Assert.Equal(RespParseStatus.Complete, ParseOne(two, out string[] args, out _, out long consumed));
        Assert.Equal(["GET", "a"], args);
        Assert.Equal(Command("GET", "a").Length, consumed);
    }

    [Fact]
    public void ParsesPipelineAndKeepsEarlierArgs()
    {
        var commands = Enumerable.Range(0, 2000).Select(i => Command("SET", "key:" + i, new string((char)('a' + i % 26), i % 300))).ToArray();
        ParseOutcome outcome = Whole(Concat(commands));
        Assert.Equal(RespParseStatus.Incomplete, outcome.Final);
        Assert.Equal(2000, outcome.Requests.Count);
        for (int i = 0; i < 2000; i++)
            Assert.Equal(["SET", "key:" + i, new string((char)('a' + i % 26), i % 300)], outcome.Requests[i]!);
    }

    [Fact]
    public void EmptyBulkIsAnEmptyArgument()
    {
        Assert.Equal(RespParseStatus.Complete, ParseOne(B("*2\r\n$3\r\nGET\r\n$0\r\n\r\n"), out string[] args, out _, out _));
        Assert.Equal(["GET", ""], args);
    }

    [Fact]
    public void ArgumentsAreBinarySafe()
    {
        string all = new(Enumerable.Range(0, 256).Select(i => (char)i).ToArray());
        string crlf = "\r\n$3\r\n*1\r\n\r\n";
        Assert.Equal(RespParseStatus.Complete, ParseOne(Command("SET", all, crlf, "\0"), out string[] args, out _, out _));
        Assert.Equal(["SET", all, crlf, "\0"], args);
    }

    [Fact]
    public void LargeArgumentRoundTrips()
    {
        string big = new('x', 3_000_000);
        Assert.Equal(RespParseStatus.Complete, ParseOne(Command("SET", "k", big), out string[] args, out _, out _));
        Assert.Equal(big, args[2]);
    }

    [Theory]
    [InlineData("*0\r\n")]
    [InlineData("*-1\r\n")]
    [InlineData("*-10\r\n")]
    [InlineData("*-9223372036854775808\r\n")]
    public void NonPositiveCountIsEmpty(string input)
    {
        Assert.Equal(RespParseStatus.Empty, ParseOne(B(input + "*1\r\n$4\r\nPING\r\n"), out string[] args, out _, out long consumed));
        Assert.Empty(args);
        Assert.Equal(input.Length, consumed);
    }

    [Theory]
    [InlineData("*abc\r\n")]
    [InlineData("*\r\n")]
    [InlineData("* 1\r\n")]
    [InlineData("*+1\r\n")]
    [InlineData("*01\r\n")]
    [InlineData("*-0\r\n")]
    [InlineData("*1 \r\n")]
    [InlineData("*1048577\r\n")]
    [InlineData("*99999999999\r\n")]
    [InlineData("*9223372036854775808\r\n")]
    [InlineData("*99999999999999999999999\r\n")]
    [InlineData("*1\n$3\r\nfoo\r\n")] // the line runs to the first '\r': "1\n$3"
    [InlineData("*1\rX$3\r\nfoo\r\n")] // CR must be followed by LF
    public void InvalidMultibulkLength(string input) =>
        Assert.Equal("ERR Protocol error: invalid multibulk length", ParseError(input));

    [Theory]
    [InlineData("*1\r\n$-5\r\n")]
    [InlineData("*1\r\n$-1\r\n")]
    [InlineData("*1\r\n$-0\r\n")]
    [InlineData("*1\r\n$9999999999\r\n")]
    [InlineData("*1\r\n$536870913\r\n")]
    [InlineData("*1\r\n$\r\n")]
    [InlineData("*1\r\n$abc\r\n")]
    [InlineData("*1\r\n$03\r\nfoo\r\n")]
    [InlineData("*1\r\n$+3\r\nfoo\r\n")]
    [InlineData("*1\r\n$99999999999999999999999\r\n")]
    [InlineData("*1\r\n$3\rXfoo\r\n")]
    [InlineData("*1\r\n$3\r\nfooXY")] // payload not followed by CRLF
    [InlineData("*1\r\n$3\r\nfoo\rX")]
    [InlineData("*1\r\n$3\r\nfoo\n\r")]
    [InlineData("*2\r\n$1\r\na\r\n$-5\r\n")]
    public void InvalidBulkLength(string input) =>
        Assert.Equal("ERR Protocol error: invalid bulk length", ParseError(input));

    [Theory]
    [InlineData("*3\r\n$3\r\nSET\r\n$1\r\nx\r\nfooz\r\n", 'f')]
    [InlineData("*1\r\n:1\r\n", ':')]
    [InlineData("*1\r\n*1\r\n", '*')]
    [InlineData("*1\r\n\r\n", '\r')]
    [InlineData("*1\r\n\u00ff3\r\n", '\u00ff')]
    public void ExpectedDollar(string input, char got) =>
        Assert.Equal($"ERR Protocol error: expected '$', got '{got}'", ParseError(input));

    [Fact]
    public void TooBigMultibulkCountString()
    {
        Assert.Equal("ERR Protocol error: too big mbulk count string", ParseError("*" + new string('1', 70_000)));
        // Exactly 64 KB buffered is still allowed to wait for more (Redis checks "> 64 KB").
        AssertIncomplete("*" + new string('1', 65_535));
        Assert.Equal("ERR Protocol error: too big mbulk count string", ParseError("*" + new string('1', 65_536)));
    }

    [Fact]
    public void TooBigBulkCountString()
    {
        Assert.Equal("ERR Protocol error: too big bulk count string", ParseError("*1\r\n$" + new string('1', 70_000)));
        AssertIncomplete("*1\r\n$" + new string('1', 65_535));
    }

    [Fact]
    public void LongLineWithCarriageReturnIsInvalidNotTooBig() =>
        Assert.Equal("ERR Protocol error: invalid bulk length", ParseError("*1\r\n$" + new string('1', 70_000) + "\r\n"));

    [Theory]
    [InlineData("*")]
    [InlineData("*1")]
    [InlineData("*1\r")]
    [InlineData("*1\r\n")]
    [InlineData("*1\r\n$")]
    [InlineData("*1\r\n$3")]
    [InlineData("*1\r\n$3\r")]
    [InlineData("*1\r\n$3\r\n")]
    [InlineData("*1\r\n$3\r\nfo")]
    [InlineData("*1\r\n$3\r\nfoo")]
    [InlineData("*1\r\n$3\r\nfoo\r")]
    [InlineData("*1\r\nX")] // '$' is only checked once the whole line is there, as in Redis
    [InlineData("*1\r\nfoo\r")]
    [InlineData("*2\r\n$3\r\nGET\r\n")]
    [InlineData("*1048576\r\n")]
    [InlineData("*1\r\n$536870912\r\n")]
    [InlineData("*-1")]
    public void IncompleteLeavesReaderAndArenaUntouched(string input) => AssertIncomplete(input);

    [Fact]
    public void EveryPrefixOfValidRequestIsIncomplete()
    {
        byte[] full = Command("MSET", "a", "", "b\r\n", "cccc");
        for (int len = 0; len < full.Length; len++)
            AssertIncomplete(S(full.AsSpan(0, len)));
    }

    [Fact]
    public void IncompleteRemovesArgsAppendedDuringTheAttemptButKeepsEarlierOnes()
    {
        var arena = new RequestArena();
        byte[] data = Concat(Command("GET", "first"), Command("SET", "k", "v").AsSpan(0, 20).ToArray());
        var reader = new SequenceReader<byte>(Chopped(data, 7));
        Assert.Equal(RespParseStatus.Complete, RespRequestParser.TryParse(ref reader, arena, out ArgumentList first, out _));
        long afterFirst = reader.Consumed;
        Assert.Equal(RespParseStatus.Incomplete, RespRequestParser.TryParse(ref reader, arena, out _, out _));
        Assert.Equal(afterFirst, reader.Consumed);
        Assert.Equal(2, arena.ArgCount);
        Assert.Equal("first", S(first[1]));
    }

    [Fact]
    public void BigBulkStillArrivingIsCheap()
    {
        byte[] head = B("*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$100000000\r\n");
        byte[] data = new byte[head.Length + 1_000_000];
        head.CopyTo(data, 0);
        var arena = new RequestArena();
        var sequence = Chopped(data, 4096);

        // Warm up (JIT, arena chunk), then measure: no payload may be copied or allocated.
        var warm = new SequenceReader<byte>(sequence);
        RespRequestParser.TryParse(ref warm, arena, out _, out _);
        long before = GC.GetAllocatedBytesForCurrentThread();
        bool allIncomplete = true;
        long consumed = 0;
        for (int i = 0; i < 100; i++)
        {
            var reader = new SequenceReader<byte>(sequence);
            allIncomplete &= RespRequestParser.TryParse(ref reader, arena, out _, out _) == RespParseStatus.Incomplete;
            consumed += reader.Consumed;
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allIncomplete);
        Assert.Equal(0, consumed);
        Assert.Equal(0, allocated);
        Assert.Equal(0, arena.ArgCount);
    }

    [Fact]
    public void SteadyStateParsingDoesNotAllocate()
    {
        byte[] data = Concat(Enumerable.Range(0, 500).Select(i => Command("SET", "key:" + i, "value")).ToArray());
        var arena = new RequestArena();
        foreach (var seq in new[] { new ReadOnlySequence<byte>(data), Chopped(data, 4096) })
        {
            ParseAllNoAsserts(seq, arena); // warm up
            arena.Reset();
            long before = GC.GetAllocatedBytesForCurrentThread();
            int n = ParseAllNoAsserts(seq, arena);
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            arena.Reset();
            Assert.Equal(500, n);
            Assert.Equal(0, allocated);
        }
    }

    private static int ParseAllNoAsserts(ReadOnlySequence<byte> seq, RequestArena arena)
    {
        var reader = new SequenceReader<byte>(seq);
        int n = 0;
        while (RespRequestParser.TryParse(ref reader, arena, out _, out _) == RespParseStatus.Complete) n++;
        return n;
    }

    [Fact]
    public void MaxMultibulkCountIsAccepted()
    {
        const int count = 1024 * 1024;
        var ms = new MemoryStream();
        ms.Write(B($"*{count}\r\n"));
        byte[] arg = B("$1\r\nx\r\n");
        for (int i = 0; i < count; i++) ms.Write(arg);
        Assert.Equal(RespParseStatus.Complete, ParseOne(ms.ToArray(), out string[] args, out _, out long consumed));
        Assert.Equal(count, args.Length);
        Assert.Equal(ms.Length, consumed);
    }

    [Fact]
    public void ReaderPositionedMidSequenceIsRespected()
    {
        byte[] data = Concat(B("garbage"), Command("PING"));
        var reader = new SequenceReader<byte>(Chopped(data, 3));
        reader.Advance(7);
        var arena = new RequestArena();
        Assert.Equal(RespParseStatus.Complete, RespRequestParser.TryParse(ref reader, arena, out ArgumentList args, out _));
        Assert.Equal("PING", S(args[0]));
        Assert.True(reader.End);
    }

    [Fact]
    public void EmptyInputIsIncomplete() => AssertIncomplete("");
}
