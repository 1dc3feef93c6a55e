using CacheCluster.Protocols.Resp;
using static CacheCluster.Protocols.Tests.Resp.Resp;

namespace CacheCluster.Protocols.Tests.Resp;

/// <summary>
/// Whatever way the bytes arrive (split at any point, in any segment sizes), the parser must produce
/// exactly what it produces for the whole stream at once.
/// </summary>
public class RespParserSplitTests
{
    public static TheoryData<string, byte[]> Streams()
    {
        string binary = new(Enumerable.Range(0, 256).Select(i => (char)i).ToArray());
        return new TheoryData<string, byte[]>
        {
            { "one command", Command("SET", "key", "value") },
            { "pipeline", Concat(Command("GET", "a"), Command("SET", "b", ""), Command("PING"), Command("DEL", "x", "y", "z")) },
            { "binary", Concat(Command("SET", binary, "\r\n\r\n"), Command("ECHO", "$1\r\n*1\r\n")) },
            { "empties", Concat(B("*0\r\n*-1\r\n"), Command("PING"), B("*-5\r\n\r\n\n  \r\n")) },
            { "inline", B("PING\r\nSET k \"a b\\x41\\n\"\nGET 'it\\'s' x\r\n") },
            { "mixed", Concat(B("PING\r\n"), Command("GET", "k"), B("  ECHO \"hi\"  \n"), Command("SET", "a", "b")) },
            { "large arg", Concat(Command("SET", "k", new string('v', 20_000)), Command("GET", "k")) },
            { "many args", Command(Enumerable.Range(0, 300).Select(i => i.ToString()).Prepend("MSET").ToArray()) },
            { "error expected $", Concat(Command("GET", "a"), B("*2\r\n$3\r\nGET\r\nfoo\r\n"), Command("PING")) },
            { "error bulk length", Concat(Command("GET", "a"), B("*1\r\n$-5\r\n"), Command("PING")) },
            { "error multibulk length", Concat(Command("GET", "a"), B("*x\r\n")) },
            { "error unterminated payload", Concat(Command("GET", "a"), B("*1\r\n$2\r\nabcd\r\n")) },
            { "error quotes", Concat(Command("GET", "a"), B("SET \"a\"b c\r\n"), Command("PING")) },
            { "error too big inline", Concat(Command("GET", "a"), B(new string('a', 70_000))) },
            { "error too big mbulk", Concat(Command("GET", "a"), B("*" + new string('1', 70_000))) },
            { "error too big bulk", Concat(Command("GET", "a"), B("*1\r\n$" + new string('1', 70_000))) },
            { "trailing partial", Concat(Command("GET", "a"), B("*2\r\n$3\r\nGET\r\n$5\r\nab")) },
        };
    }

    [Theory]
    [MemberData(nameof(Streams))]
    public void EverySplitPointGivesTheSameResult(string name, byte[] stream)
    {
        string expected = Whole(stream).Describe();
        // Every split point; for the ~70 KB "too big" streams, every point near both ends and
        // every 97th in between (all 70 000 would re-parse 70 KB each, for nothing new).
        int step = stream.Length > 25_000 ? 97 : 1;
        for (int cut = 0; cut <= stream.Length; cut += cut < 200 || stream.Length - cut < 200 ? 1 : step)
        {
            string actual = Feed(stream, [cut]).Describe();
            Assert.True(expected == actual, $"{name}: split at {cut}\nexpected {expected}\nactual   {actual}");
        }
    }

    [Theory]
    [MemberData(nameof(Streams))]
    public void AnySegmentSizeGivesTheSameResult(string name, byte[] stream)
    {
        string expected = Whole(stream).Describe();
        foreach (int size in new[] { 1, 2, 3, 4, 5, 7, 8, 13, 64, 4096 })
        {
            if (size == 1 && stream.Length > 30_000) continue; // ~1 segment per byte of a 70 KB line is just slow
            string actual = ParseAll(Chopped(stream, size), new RequestArena()).Describe();
            Assert.True(expected == actual, $"{name}: segment size {size}\nexpected {expected}\nactual   {actual}");
        }
    }

    [Theory]
    [MemberData(nameof(Streams))]
    public void ByteByByteArrivalGivesTheSameResult(string name, byte[] stream)
    {
        if (stream.Length > 5000) return; // quadratic re-parsing of huge inputs adds nothing here
        string expected = Whole(stream).Describe();
        string actual = Feed(stream, Enumerable.Range(1, Math.Max(0, stream.Length - 1)), segmentSize: 5).Describe();
        Assert.True(expected == actual, $"{name}\nexpected {expected}\nactual   {actual}");
    }

    [Fact]
    public void EverySplitIntoThreeSegmentsOfARequest()
    {
        byte[] stream = Concat(Command("SET", "k\r\n", "v"), B("ECHO \"x\"\r\n"));
        string expected = Whole(stream).Describe();
        for (int a = 0; a <= stream.Length; a++)
            for (int b = a; b <= stream.Length; b++)
            {
                var seq = Segments(stream[..a], stream[a..b], stream[b..]);
                string actual = ParseAll(seq, new RequestArena()).Describe();
                Assert.True(expected == actual, $"segments at {a},{b}\nexpected {expected}\nactual   {actual}");
            }
    }

    [Fact]
    public void EmptySegmentsAreHarmless()
    {
        byte[] stream = Command("GET", "key");
        var parts = new List<byte[]> { Array.Empty<byte>() };
        foreach (byte b in stream)
        {
            parts.Add([b]);
            parts.Add([]);
        }
        Assert.Equal(Whole(stream).Describe(), ParseAll(Segments(parts.ToArray()), new RequestArena()).Describe());
    }

    [Fact]
    public void ExpectedOutcomesOfTheCorpusAreRight()
    {
        // Guard against the "same result" tests passing because everything is equally wrong.
        ParseOutcome mixed = Whole(Concat(B("PING\r\n"), Command("GET", "k"), B("  ECHO \"hi\"  \n"), Command("SET", "a", "b")));
        Assert.Equal("PING | GET,k | ECHO,hi | SET,a,b => Incomplete  @" + mixed.Consumed, mixed.Describe());

        ParseOutcome err = Whole(Concat(Command("GET", "a"), B("*1\r\n$-5\r\n"), Command("PING")));
        Assert.Equal(RespParseStatus.Error, err.Final);
        Assert.Equal("ERR Protocol error: invalid bulk length", err.Error);
        Assert.Single(err.Requests);
    }
}
