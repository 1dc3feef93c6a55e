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
    // room for a 40-byte value under key "k" without client flags: 48 + 1 + 1 + (40 + 2) + 8 = 100
    readonly McTextHarness h = new(maxItemSize: 100);
    static readonly string V41 = new('v', 41);

    static readonly string LongKey = new('k', 251);
    static readonly string MaxKey = new('k', 250);

    // Every expectation below is what a real memcached 1.6.18 answers.
    [Theory]
    [InlineData("foo\r\n", "ERROR")]
    [InlineData("foo noreply\r\n", "ERROR")]      // unknown commands ignore noreply
    [InlineData("GET a\r\n", "ERROR")]            // commands are case-sensitive
    [InlineData("ab\r\n", "ERROR")]
    [InlineData("x\r\n", "ERROR")]                // no command is shorter than 2 bytes
    [InlineData("mz k\r\n", "ERROR")]
    [InlineData("gett a\r\n", "ERROR")]
    [InlineData("flush\r\n", "ERROR")]
    [InlineData("verb 1\r\n", "ERROR")]
    [InlineData("\r\n", "ERROR")]
    [InlineData("\n", "ERROR")]
    [InlineData("   \r\n", "ERROR")]
    [InlineData("\0\r\n", "ERROR")]              // memcached reads the line as a C string
    [InlineData("mn\r\r\n", "ERROR")]            // only one CR is dropped: the command is "mn\r"
    [InlineData("get\r\n", "ERROR")]              // too few tokens is ERROR, before anything else
    [InlineData("get   \r\n", "ERROR")]
    [InlineData("gets\r\n", "ERROR")]
    [InlineData("gat\r\n", "ERROR")]
    [InlineData("gat x k\r\n", "CLIENT_ERROR invalid exptime argument")]
    [InlineData("gat x k noreply\r\n", "CLIENT_ERROR invalid exptime argument")] // retrieval has no noreply
    [InlineData("gat 99999999999 k\r\n", "CLIENT_ERROR invalid exptime argument")]
    [InlineData("incr k\r\n", "ERROR")]
    [InlineData("incr k 1 2 3\r\n", "ERROR")]
    [InlineData("incr k x\r\n", "CLIENT_ERROR invalid numeric delta argument")]
    [InlineData("incr k -1\r\n", "CLIENT_ERROR invalid numeric delta argument")]
    [InlineData("decr k 18446744073709551616\r\n", "CLIENT_ERROR invalid numeric delta argument")]
    [InlineData("touch k\r\n", "ERROR")]
    [InlineData("touch k soon\r\n", "CLIENT_ERROR invalid exptime argument")]
    [InlineData("delete\r\n", "ERROR")]
    [InlineData("delete k 5\r\n", "CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]")]
    [InlineData("delete k x y\r\n", "CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]")]
    [InlineData("delete k noreply x\r\n", "CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]")]
    [InlineData("delete k 0 noreply x\r\n", "ERROR")]
    [InlineData("flush_all later\r\n", "CLIENT_ERROR invalid exptime argument")]
    [InlineData("flush_all noreply 5\r\n", "CLIENT_ERROR invalid exptime argument")] // noreply must come last
    [InlineData("flush_all 1 2 3\r\n", "ERROR")]
    [InlineData("verbosity\r\n", "ERROR")]
    [InlineData("verbosity loud\r\n", BadFormat)]
    [InlineData("stats detail\r\n", "CLIENT_ERROR usage: stats detail on|off|dump")]
    [InlineData("stats detail bogus\r\n", "CLIENT_ERROR usage: stats detail on|off|dump")]
    [InlineData("stats cachedump 1\r\n", "CLIENT_ERROR bad command line")]
    [InlineData("stats cachedump x 1\r\n", BadFormat)]
    [InlineData("stats cachedump 99 1\r\n", "CLIENT_ERROR Illegal slab id")]
    [InlineData("stats bogus\r\n", "ERROR")]
    [InlineData("stats itemsx\r\n", "ERROR")]
    [InlineData("stats set\r\n", "ERROR")]
    [InlineData("stats noreply\r\n", "ERROR")]
    [InlineData("shutdown\r\n", "ERROR: shutdown not enabled")]
    [InlineData("set\r\n", "ERROR")]
    [InlineData("set k 0 0\r\n", "ERROR")]
    [InlineData("set k 0 0 1 noreply extra\r\n", "ERROR")]
    [InlineData("cas k 0 0 1\r\n", "ERROR")]
    [InlineData("replace k 0\r\n", "ERROR")]
    [InlineData("set k 0 0 x\r\n", BadFormat)]
    [InlineData("set k 0 0 -1\r\n", BadFormat)]
    [InlineData("set k 0 0 2147483646\r\n", BadFormat)] // above INT_MAX - 2
    [InlineData("ms\r\n", "ERROR")]
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
    [InlineData("stats detail on\r\n", "OK\r\n")]
    [InlineData("stats detail off extra\r\n", "OK\r\n")]
    [InlineData("stats detail dump\r\n", "END\r\n")]
    [InlineData("stats cachedump 5 1\r\n", "END\r\n")]
    [InlineData("stats extstore\r\n", "END\r\n")]
    [InlineData("stats sizes\r\n", "STAT sizes_status disabled\r\nEND\r\n")]
    [InlineData("stats sizes_enable\r\n", "STAT sizes_status enabled\r\n")]
    [InlineData("stats sizes_disable\r\n", "STAT sizes_status disabled\r\n")]
    public void StatsAnsweredByTheCodec(string line, string expected)
    {
        var req = h.One(line);
        Assert.Equal(McRequestKind.Error, req.Kind); // answered at once, no node figures needed
        Assert.Equal(expected, h.Write(req));
    }

    [Theory]
    [InlineData("slabs automove 1\r\n")]
    [InlineData("lru_crawler enable\r\n")]
    [InlineData("cache_memlimit 100\r\n")]
    [InlineData("lru mode flat\r\n")]
    public void AdminCommandsWeDoNotHaveAreUnknown(string line) => AssertError(h.One(line), "ERROR");

    [Fact]
    public void WatchIsRefusedAsWhenDisabled() => AssertError(h.One("watch\r\n"), "CLIENT_ERROR watch commands not allowed");

    [Theory]
    [InlineData("incr k x noreply\r\n", "CLIENT_ERROR invalid numeric delta argument")]
    [InlineData("incr k noreply\r\n", "CLIENT_ERROR invalid numeric delta argument")]
    [InlineData("touch k x noreply\r\n", "CLIENT_ERROR invalid exptime argument")]
    [InlineData("flush_all later noreply\r\n", "CLIENT_ERROR invalid exptime argument")]
    [InlineData("verbosity noreply\r\n", BadFormat)]
    [InlineData("set k 0 0 noreply\r\n", BadFormat)]
    [InlineData("cas k 0 0 5 noreply\r\n", BadFormat)]
    [InlineData("delete k 5 noreply\r\n", "CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]")]
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
        var m = new McTextHarness();
        m.Single(m.One($"get {MaxKey}\r\n"), Op.McGet, MaxKey);
        m.Single(m.One($"set {MaxKey} 0 0 1\r\nx\r\n"), Op.McStore, MaxKey);
        m.Single(m.One($"delete {MaxKey}\r\n"), Op.McDelete, MaxKey);
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
    [InlineData("set {0} 0 0 5\r\nhello\r\nmn\r\n", "CLIENT_ERROR bad command line format\r\nERROR\r\nMN\r\n")]
    [InlineData("set {0} 0 0 5 noreply\r\nhello\r\nmn\r\n", "ERROR\r\nMN\r\n")]
    [InlineData("set k x 0 5\r\nhello\r\nmn\r\n", "CLIENT_ERROR bad command line format\r\nERROR\r\nMN\r\n")]
    [InlineData("set k -1 0 5\r\nhello\r\nmn\r\n", "CLIENT_ERROR bad command line format\r\nERROR\r\nMN\r\n")]
    [InlineData("add k 0 99999999999 5\r\nhello\r\nmn\r\n", "CLIENT_ERROR bad command line format\r\nERROR\r\nMN\r\n")]
    [InlineData("cas k 0 0 5\r\nhello\r\nmn\r\n", "ERROR\r\nERROR\r\nMN\r\n")]
    [InlineData("cas k 0 0 5 -3\r\nhello\r\nmn\r\n", "CLIENT_ERROR bad command line format\r\nERROR\r\nMN\r\n")]
    [InlineData("ms {0} 2\r\nhi\r\nmn\r\n", "CLIENT_ERROR bad command line format\r\nERROR\r\nMN\r\n")]
    public void MalformedStorageLineIsRefusedAloneAndItsDataIsReadAsACommand(string format, string expected)
    {
        // memcached 1.6.18 does not discard the data block of a storage line it cannot parse
        Assert.Equal(expected, h.Exchange(string.Format(format, LongKey)));
        Assert.Equal(0, h.Sink.Count);
    }

    [Fact]
    public void TooLargeSetUnlinksTheOldItem()
    {
        var reqs = h.DecodeAll($"set k 0 0 41\r\n{V41}\r\nget k\r\n");
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
        var reqs = h.DecodeAll($"{cmd} k 0 0 41\r\n{V41}\r\nmn\r\n");
        AssertError(reqs[0], "SERVER_ERROR object too large for cache");
        Assert.Equal(McLocal.Noop, reqs[1].Local);
        Assert.Equal(0, h.Sink.Count);
    }

    [Fact]
    public void TooLargeWithNoreplyIsSilentButStillUnlinks()
    {
        var req = h.DecodeAll($"set k 0 0 41 noreply\r\n{V41}\r\n")[0];
        h.Single(req, Op.McDelete, "k");
        Assert.True(req.Quiet);
        Assert.Equal("", h.Write(req, St(McStatus.Deleted)));
    }

    [Fact]
    public void TheLimitIsOnTheWholeItemLikeMemcached()
    {
        // memcached's item_size_ok: header 48 + key + 1 + client flags (4 when non-zero) + data + CRLF + CAS 8 <= -I
        h.Single(h.One($"set k 0 0 40\r\n{V41[..40]}\r\n"), Op.McStore, "k");
        h.Single(h.One($"set k 0 0 41\r\n{V41}\r\n"), Op.McDelete, "k");
        h.Single(h.One($"set k 1 0 36\r\n{V41[..36]}\r\n"), Op.McStore, "k");
        h.Single(h.One($"set k 1 0 37\r\n{V41[..37]}\r\n"), Op.McDelete, "k");
        h.Single(h.One($"set kk 0 0 39\r\n{V41[..39]}\r\n"), Op.McStore, "kk");
        h.Single(h.One($"set kk 0 0 40\r\n{V41[..40]}\r\n"), Op.McDelete, "kk");
        // meta: the decoded key and F count
        h.Single(h.One($"ms Zm9v 38 b\r\n{V41[..38]}\r\n"), Op.McStore, "foo");
        h.Single(h.One($"ms Zm9v 39 b\r\n{V41[..39]}\r\n"), Op.McDelete, "foo");
        h.Single(h.One($"ms k 37 F1\r\n{V41[..37]}\r\n"), Op.McDelete, "k");
    }

    [Fact]
    public void OneMegabyteLimitAsMemcachedDashI1m()
    {
        var m = new McTextHarness(maxItemSize: 1024 * 1024);
        m.Single(m.One($"set k 0 0 1048516\r\n{new string('x', 1048516)}\r\n"), Op.McStore, "k");
        m.Single(m.One($"set k 0 0 1048517\r\n{new string('x', 1048517)}\r\n"), Op.McDelete, "k");
        // 48 + 250 + 1 + 1048302 + 8 = 1048609 > 1048576
        AssertError(m.One($"add {new string('L', 250)} 0 0 1048300\r\n{new string('x', 1048300)}\r\n"), "SERVER_ERROR object too large for cache");
    }

    [Fact]
    public void BadDataChunk()
    {
        // memcached reads exactly <bytes>+2 bytes; "abcd\r" is not followed by CRLF, and the lone "\n" left is a short line
        string output = h.Exchange("set k 0 0 3\r\nabcd\r\nget k\r\n", Miss);
        Assert.Equal("CLIENT_ERROR bad data chunk\r\nERROR\r\nEND\r\n", output);
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

    [Theory]
    [InlineData("GET / HTTP/1.1\r\n")]
    [InlineData("xyz HTTP/1.0\r\n")]
    public void HttpRequestClosesSilently(string line)
    {
        var req = h.One(line);
        AssertError(req, null, close: true);
        Assert.Equal("", h.Write(req));
    }

    [Theory]
    [InlineData("gx HTTP/1.1\r\n")] // commands starting with a letter memcached dispatches on are not checked
    [InlineData("ab HTTP/1.1\r\n")]
    public void HttpCheckOnlyForOtherCommands(string line) => AssertError(h.One(line), "ERROR");

    [Fact]
    public void LineLongerThanTheReadBufferCloses()
    {
        // memcached reads 16 KB at most before it must see the newline (multigets excepted)
        var req = h.DecodeAll("set " + new string('a', 20_000) + " 0 0 1\r\nx\r\n").Single();
        AssertError(req, null, close: true);
        // a long line that fits is parsed: key too long, and the data is a command of its own
        Assert.Equal("CLIENT_ERROR bad command line format\r\nERROR\r\n", new McTextHarness().Exchange("set " + new string('a', 10_000) + " 0 0 1\r\nx\r\n"));
        var get = new McTextHarness();
        Assert.Equal(8000, get.DecodeAll("get " + string.Join(' ', Enumerable.Repeat("zz", 8000)) + "\r\n").Single().Count);
    }

    [Fact]
    public void LongLineWithoutNewlineCloses()
    {
        // past memcached's 16 KB read buffer without a newline (and not a multiget): close
        var junk = new string('x', 16385);
        var reqs = h.DecodeAll(new ReadOnlySequence<byte>(B(junk)), out long consumed, out bool incomplete);
        Assert.Single(reqs);
        AssertError(reqs[0], null, close: true);
        Assert.False(incomplete);
        Assert.Equal(junk.Length, consumed);

        // below that we wait for the newline, whatever way TCP split the bytes (memcached, when the
        // line arrives in one read, does the same; when split past 2048 bytes it closes)
        var wait = new McTextHarness();
        Assert.Empty(wait.DecodeAll(new ReadOnlySequence<byte>(B(new string('x', 5000))), out _, out bool waiting));
        Assert.True(waiting);
        var answered = new McTextHarness();
        var line = answered.DecodeAll(new string('x', 5000) + "\r\n");
        Assert.Single(line);
        AssertError(line[0], "ERROR", close: false);
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

        // more than 100 leading spaces: not a multiget any more, so past 16 KB without a newline it closes
        var spaces = new McTextHarness();
        var longLine = "get " + string.Join(' ', Enumerable.Range(0, 3000).Select(i => "key" + i));
        Assert.True(longLine.Length > 16384);
        var closed = spaces.DecodeAll(new ReadOnlySequence<byte>(B(new string(' ', 101) + longLine)), out _, out _);
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
