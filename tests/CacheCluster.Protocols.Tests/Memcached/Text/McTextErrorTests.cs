using System.Buffers;
using CacheCluster.Core;
using CacheCluster.Protocols.Memcached;
using CacheCluster.Protocols.Memcached.Text;
using static CacheCluster.Protocols.Tests.Memcached.Text.McTextHarness;

namespace CacheCluster.Protocols.Tests.Memcached.Text;

/// <summary>Malformed text requests get memcached 1.6's exact error lines, and the stream stays in sync.</summary>
public class McTextErrorTests
{
    const string BadFormat = "CLIENT_ERROR bad command line format";
    readonly McTextHarness h = new(maxItemSize: 10);

    static readonly string LongKey = new('k', 251);
    static readonly string MaxKey = new('k', 250);

    [Theory]
    [InlineData("foo\r\n", "ERROR")]
    [InlineData("GET a\r\n", "ERROR")]          // commands are case-sensitive
    [InlineData(" get a\r\n", "ERROR")]         // memcached 1.6 takes the command from the first byte
    [InlineData("ab\r\n", "ERROR")]
    [InlineData("mz k\r\n", "ERROR")]
    [InlineData("gett a\r\n", "ERROR")]
    [InlineData("\r\n", BadFormat)]             // shorter than the shortest command
    [InlineData("\n", BadFormat)]
    [InlineData("mn\n", BadFormat)]             // 3 bytes with a bare newline: too short for memcached 1.6
    [InlineData("get\r\n", BadFormat)]
    [InlineData("get   \r\n", BadFormat)]
    [InlineData("gets\r\n", BadFormat)]
    [InlineData("gat 10\r\n", BadFormat)]
    [InlineData("gat x k\r\n", "CLIENT_ERROR invalid exptime argument")]
    [InlineData("gat 99999999999 k\r\n", "CLIENT_ERROR invalid exptime argument")]
    [InlineData("incr k\r\n", BadFormat)]
    [InlineData("incr k x\r\n", "CLIENT_ERROR invalid numeric delta argument")]
    [InlineData("incr k -1\r\n", "CLIENT_ERROR invalid numeric delta argument")]
    [InlineData("decr k 18446744073709551616\r\n", "CLIENT_ERROR invalid numeric delta argument")]
    [InlineData("touch k\r\n", BadFormat)]
    [InlineData("touch k soon\r\n", "CLIENT_ERROR invalid exptime argument")]
    [InlineData("delete\r\n", BadFormat)]
    [InlineData("flush_all later\r\n", "CLIENT_ERROR invalid exptime argument")]
    [InlineData("verbosity\r\n", BadFormat)]
    [InlineData("verbosity loud\r\n", BadFormat)]
    [InlineData("stats detail on\r\n", "CLIENT_ERROR stats detail not allowed")]
    [InlineData("stats cachedump 1 1\r\n", "CLIENT_ERROR stats cachedump not allowed")]
    [InlineData("stats bogus\r\n", "ERROR")]
    [InlineData("stats itemsx\r\n", "ERROR")]
    [InlineData("shutdown\r\n", "SERVER_ERROR: shutdown not enabled")]
    [InlineData("watch\r\n", "CLIENT_ERROR watch commands not allowed")]
    [InlineData("set k 0 0\r\n", BadFormat)]
    [InlineData("set k 0 0 x\r\n", BadFormat)]
    [InlineData("set k 0 0 -1\r\n", BadFormat)]
    [InlineData("set k 0 0 2147483646\r\n", BadFormat)] // above INT_MAX - 2
    [InlineData("set k 0 0 noreply\r\n", BadFormat)]    // no length: noreply is not even looked at
    [InlineData("ms k\r\n", BadFormat)]
    [InlineData("ms k x\r\n", BadFormat)]
    public void LineErrors(string line, string expected)
    {
        var req = h.One(line);
        AssertError(req, expected);
        Assert.Equal(0, h.Sink.Count);
        Assert.Equal(expected + "\r\n", h.Write(req));
    }

    [Theory]
    [InlineData("foo noreply\r\n", "ERROR")]
    [InlineData("gat x k noreply\r\n", "CLIENT_ERROR invalid exptime argument")]
    [InlineData("incr k x noreply\r\n", "CLIENT_ERROR invalid numeric delta argument")]
    [InlineData("incr k noreply\r\n", "CLIENT_ERROR invalid numeric delta argument")]
    [InlineData("touch k x noreply\r\n", "CLIENT_ERROR invalid exptime argument")]
    [InlineData("flush_all later noreply\r\n", "CLIENT_ERROR invalid exptime argument")]
    [InlineData("verbosity noreply\r\n", BadFormat)]
    public void NoreplySilencesErrorsToo(string line, string expected)
    {
        var req = h.One(line);
        AssertError(req, expected, quiet: true);
        Assert.Equal("", h.Write(req));
    }

    [Theory]
    [InlineData("get {0}\r\n")]
    [InlineData("gets a {0}\r\n")]
    [InlineData("gat 1 {0}\r\n")]
    public void LongKeyInRetrieval(string format)
    {
        var req = h.One(string.Format(format, LongKey));
        Assert.Equal(McRequestKind.Data, req.Kind);
        Assert.Equal(BadFormat + "\r\n", h.Write(req, Hit("a")));
    }

    [Fact]
    public void KeysBeforeATooLongOneAreStillFetched()
    {
        // memcached fetches (and for gat touches) the keys before the bad one, then answers only the error
        var req = h.One($"gat 5 a b {LongKey} c\r\n");
        Assert.Equal(2, req.Count);
        Assert.Equal(new[] { "a", "b" }, new[] { S(h.Cmd(req, 0).Key), S(h.Cmd(req, 1).Key) });
        Assert.Equal(BadFormat + "\r\n", h.Write(req, Hit("x"), Hit("y")));
    }

    [Fact]
    public void MaxLengthKeyIsFine()
    {
        h.Single(h.One($"get {MaxKey}\r\n"), Op.McGet, MaxKey);
        h.Single(h.One($"set {MaxKey} 0 0 1\r\nx\r\n"), Op.McStore, MaxKey);
        h.Single(h.One($"delete {MaxKey}\r\n"), Op.McDelete, MaxKey);
    }

    [Theory]
    [InlineData("incr {0} 1\r\n")]
    [InlineData("decr {0} 1\r\n")]
    [InlineData("touch {0} 1\r\n")]
    [InlineData("delete {0}\r\n")]
    public void LongKeyInKeyedCommands(string format)
    {
        var req = h.One(string.Format(format, LongKey));
        AssertError(req, BadFormat);
        var quiet = h.One(string.Format(format.Replace("\r\n", " noreply\r\n"), LongKey));
        AssertError(quiet, BadFormat, quiet: true);
    }

    [Theory]
    [InlineData("set {0} 0 0 5\r\nhello\r\n")]
    [InlineData("set k x 0 5\r\nhello\r\n")]
    [InlineData("set k -1 0 5\r\nhello\r\n")]
    [InlineData("set k 0 x 5\r\nhello\r\n")]
    [InlineData("cas k 0 0 5\r\nhello\r\n")]
    [InlineData("cas k 0 0 5 -3\r\nhello\r\n")]
    [InlineData("add k 0 99999999999 5\r\nhello\r\n")]
    public void RefusedStorageSwallowsItsDataBlock(string format)
    {
        var reqs = h.DecodeAll(string.Format(format, LongKey) + "get after\r\n");
        Assert.Equal(2, reqs.Count);
        AssertError(reqs[0], BadFormat);
        h.Single(reqs[1], Op.McGet, "after");
        Assert.Equal(BadFormat + "\r\n", h.Write(reqs[0]));

        var quiet = h.DecodeAll(string.Format(format.Replace(" 5\r\n", " 5 noreply\r\n").Replace(" -3\r\n", " -3 noreply\r\n"), LongKey) + "get after\r\n");
        AssertError(quiet[0], BadFormat, quiet: true);
        Assert.Equal(2, quiet.Count);
    }

    [Fact]
    public void TooLargeSetUnlinksTheOldItem()
    {
        var reqs = h.DecodeAll("set k 7 0 11\r\nhello world\r\nget k\r\n");
        Assert.Equal(2, reqs.Count);
        var unlink = h.Single(reqs[0], Op.McDelete, "k");
        Assert.Equal(0ul, unlink.Cas);
        Assert.Equal("SERVER_ERROR object too large for cache\r\n", h.Write(reqs[0], St(McStatus.Deleted)));
        Assert.Equal("SERVER_ERROR object too large for cache\r\n", h.Write(reqs[0], St(McStatus.NotFound)));
        h.Single(reqs[1], Op.McGet, "k");
    }

    [Theory]
    [InlineData("add")]
    [InlineData("replace")]
    [InlineData("append")]
    [InlineData("prepend")]
    public void TooLargeOtherStoresOnlyRefuse(string cmd)
    {
        var reqs = h.DecodeAll($"{cmd} k 0 0 11\r\nhello world\r\nmn\r\n");
        AssertError(reqs[0], "SERVER_ERROR object too large for cache");
        Assert.Equal(McLocal.Noop, reqs[1].Local);
        Assert.Equal(0, h.Sink.Count);
    }

    [Fact]
    public void TooLargeWithNoreplyIsSilentButStillUnlinks()
    {
        var req = h.DecodeAll("set k 0 0 11 noreply\r\nhello world\r\n")[0];
        h.Single(req, Op.McDelete, "k");
        Assert.True(req.Quiet);
        Assert.Equal("", h.Write(req, St(McStatus.Deleted)));
    }

    [Fact]
    public void ValueAtTheLimitIsStored() =>
        Assert.Equal("0123456789", S(h.Single(h.One("set k 0 0 10\r\n0123456789\r\n"), Op.McStore, "k").Value));

    [Fact]
    public void BadDataChunk()
    {
        // memcached reads exactly <bytes>+2 bytes; "abcd\r" is not followed by CRLF, and the lone "\n" left is a short line
        string output = h.Exchange("set k 0 0 3\r\nabcd\r\nget k\r\n", Miss);
        Assert.Equal("CLIENT_ERROR bad data chunk\r\n" + BadFormat + "\r\nEND\r\n", output);
        Assert.Equal(1, h.Sink.Count); // only the get
    }

    [Fact]
    public void BadDataChunkWithNoreply()
    {
        var reqs = h.DecodeAll("set k 0 0 1 noreply\r\nxyz");
        AssertError(reqs[0], "CLIENT_ERROR bad data chunk", quiet: true);
        Assert.Equal("", h.Write(reqs[0]));
    }

    [Fact]
    public void DataBlockWithBareNewlineIsABadChunk()
    {
        var reqs = h.DecodeAll("set k 0 0 2\r\nab\nx\r\n");
        AssertError(reqs[0], "CLIENT_ERROR bad data chunk");
    }

    [Fact]
    public void HttpRequestClosesSilently()
    {
        var req = h.One("GET / HTTP/1.1\r\n");
        AssertError(req, null, close: true);
        Assert.Equal("", h.Write(req));
    }

    [Fact]
    public void LongLineWithoutNewlineCloses()
    {
        var junk = new string('x', 2049);
        var reqs = h.DecodeAll(new ReadOnlySequence<byte>(B(junk)), out long consumed, out bool incomplete);
        Assert.Single(reqs);
        AssertError(reqs[0], null, close: true);
        Assert.False(incomplete);
        Assert.Equal(junk.Length, consumed);

        // up to 2048 bytes memcached keeps waiting
        var wait = new McTextHarness();
        Assert.Empty(wait.DecodeAll(new ReadOnlySequence<byte>(B(new string('x', 2048))), out _, out bool waiting));
        Assert.True(waiting);
    }

    [Fact]
    public void LongMultigetLineKeepsWaiting()
    {
        var line = "get " + string.Join(' ', Enumerable.Range(0, 500).Select(i => "key" + i));
        Assert.True(line.Length > 2048);
        Assert.Empty(h.DecodeAll(new ReadOnlySequence<byte>(B(line)), out _, out bool incomplete));
        Assert.True(incomplete);
        var req = h.DecodeAll(line + "\r\n").Single();
        Assert.Equal(500, req.Count);

        var gets = new McTextHarness();
        Assert.Empty(gets.DecodeAll(new ReadOnlySequence<byte>(B("   gets " + line[4..])), out _, out bool incomplete2));
        Assert.True(incomplete2);

        // more than 100 leading spaces: not a multiget any more
        var spaces = new McTextHarness();
        var closed = spaces.DecodeAll(new ReadOnlySequence<byte>(B(new string(' ', 101) + line)), out _, out _);
        AssertError(closed.Single(), null, close: true);
    }

    [Fact]
    public void MultigetLineHasALimit()
    {
        var huge = "get " + new string('k', McTextCodec.MaxMultiGetLine);
        var req = h.DecodeAll(new ReadOnlySequence<byte>(B(huge)), out _, out _).Single();
        AssertError(req, "SERVER_ERROR out of memory reading request", close: true);
    }

    [Fact]
    public void SwallowStreamsAHugeRefusedBlock()
    {
        // a refused block is discarded as it arrives, never buffered whole
        var codec = new McTextHarness(maxItemSize: 1024);
        var head = B("set k 0 0 10000000\r\n" + new string('x', 1000));
        var reqs = codec.DecodeAll(new ReadOnlySequence<byte>(head), out long consumed, out _);
        Assert.Equal(head.Length, consumed);
        Assert.Equal(McRequestKind.Data, reqs.Single().Kind); // the unlink of the old value

        var middle = B(new string('y', 5000));
        var silent = codec.DecodeAll(new ReadOnlySequence<byte>(middle), out consumed, out _);
        Assert.Equal(middle.Length, consumed);
        AssertError(silent.Single(), null, quiet: true);
        Assert.Equal("", codec.Write(silent[0]));

        var rest = B(new string('z', 10_000_000 - 1000 - 5000) + "\r\nmn\r\nget");
        var tail = codec.DecodeAll(new ReadOnlySequence<byte>(rest), out consumed, out bool incomplete);
        Assert.Equal(McLocal.Noop, tail.Single().Local);
        Assert.True(incomplete);
        Assert.Equal(rest.Length - 3, consumed);
    }

    [Fact]
    public void SwallowEndingBeforeAnIncompleteRequestConsumesNothing()
    {
        var codec = new McTextHarness(maxItemSize: 4);
        var first = codec.DecodeAll(new ReadOnlySequence<byte>(B("set k 0 0 6\r\nabc")), out long consumed, out _);
        Assert.Equal(16, consumed);
        Assert.Single(first);
        // the rest of the block plus a partial line: Incomplete, nothing consumed, so the session keeps the bytes
        var input = new ReadOnlySequence<byte>(B("def\r\nget a"));
        Assert.Empty(codec.DecodeAll(input, out consumed, out bool incomplete));
        Assert.True(incomplete);
        Assert.Equal(0, consumed);
        var done = codec.DecodeAll(new ReadOnlySequence<byte>(B("def\r\nget a\r\n")), out consumed, out _);
        codec.Single(done.Single(), Op.McGet, "a");
    }
}
