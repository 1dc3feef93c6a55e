using CacheCluster.Core;
using static CacheCluster.Protocols.Tests.Memcached.Text.McTextHarness;

namespace CacheCluster.Protocols.Tests.Memcached.Text;

/// <summary>Exact response bytes of the text protocol for every outcome.</summary>
public class McTextWriteTests
{
    readonly McTextHarness h = new();

    [Fact]
    public void GetHitsAndMisses()
    {
        var req = h.One("get a b c\r\n");
        Assert.Equal("VALUE a 5 2\r\nhi\r\nVALUE c 0 0\r\n\r\nEND\r\n", h.Write(req, Hit("hi", flags: 5, cas: 9), Miss, Hit("")));
    }

    [Fact]
    public void GetAllMissesIsJustEnd() =>
        Assert.Equal("END\r\n", h.Write(h.One("get a b\r\n"), Miss, Miss));

    [Fact]
    public void GetsAndGatsAddCas()
    {
        Assert.Equal("VALUE k 4294967295 3 18446744073709551615\r\nabc\r\nEND\r\n",
            h.Write(h.One("gets k\r\n"), Hit("abc", flags: uint.MaxValue, cas: ulong.MaxValue)));
        Assert.Equal("VALUE k 1 3 77\r\nabc\r\nEND\r\n", h.Write(h.One("gats 10 k\r\n"), Hit("abc", flags: 1, cas: 77)));
        Assert.Equal("VALUE k 1 3\r\nabc\r\nEND\r\n", h.Write(h.One("gat 10 k\r\n"), Hit("abc", flags: 1, cas: 77)));
    }

    [Fact]
    public void GetLargeValueIsWrittenWhole()
    {
        var big = string.Concat(Enumerable.Range(0, 30_000).Select(i => (char)('a' + i % 26)));
        Assert.Equal($"VALUE big 0 {big.Length}\r\n{big}\r\nEND\r\n", h.Write(h.One("get big\r\n"), Hit(big)));
    }

    [Fact]
    public void GetWithAFailedShardAnswersOnlyTheError() =>
        Assert.Equal("SERVER_ERROR internal error\r\n", h.Write(h.One("get a b\r\n"), Hit("x"), Err(ErrorCode.Internal)));

    [Theory]
    [InlineData(McStatus.Stored, "STORED\r\n")]
    [InlineData(McStatus.NotStored, "NOT_STORED\r\n")]
    [InlineData(McStatus.Exists, "EXISTS\r\n")]
    [InlineData(McStatus.NotFound, "NOT_FOUND\r\n")]
    public void StorageStatuses(McStatus status, string expected)
    {
        Assert.Equal(expected, h.Write(h.One("cas k 0 0 1 5\r\nx\r\n"), St(status, 3)));
        Assert.Equal("", h.Write(h.One("cas k 0 0 1 5 noreply\r\nx\r\n"), St(status, 3)));
    }

    [Theory]
    [InlineData(ErrorCode.OutOfMemory, "SERVER_ERROR out of memory storing object\r\n")]
    [InlineData(ErrorCode.StringTooLong, "NOT_STORED\r\n")]
    [InlineData(ErrorCode.Internal, "SERVER_ERROR internal error\r\n")]
    public void StorageErrors(ErrorCode code, string expected)
    {
        Assert.Equal(expected, h.Write(h.One("append k 0 0 1\r\nx\r\n"), Err(code)));
        Assert.Equal("", h.Write(h.One("append k 0 0 1 noreply\r\nx\r\n"), Err(code)));
    }

    [Fact]
    public void DeleteAnswers()
    {
        Assert.Equal("DELETED\r\n", h.Write(h.One("delete k\r\n"), St(McStatus.Deleted)));
        Assert.Equal("NOT_FOUND\r\n", h.Write(h.One("delete k\r\n"), St(McStatus.NotFound)));
        Assert.Equal("DELETED\r\n", h.Write(h.One("delete k 0\r\n"), St(McStatus.Deleted)));
        Assert.Equal("", h.Write(h.One("delete k noreply\r\n"), St(McStatus.Deleted)));
        Assert.Equal("", h.Write(h.One("delete k 0 noreply\r\n"), St(McStatus.NotFound)));
    }

    [Fact]
    public void TouchAnswers()
    {
        Assert.Equal("TOUCHED\r\n", h.Write(h.One("touch k 1\r\n"), St(McStatus.Touched)));
        Assert.Equal("NOT_FOUND\r\n", h.Write(h.One("touch k 1\r\n"), St(McStatus.NotFound)));
        Assert.Equal("", h.Write(h.One("touch k 1 noreply\r\n"), St(McStatus.Touched)));
    }

    [Fact]
    public void IncrDecrAnswers()
    {
        Assert.Equal("18446744073709551615\r\n", h.Write(h.One("incr k 1\r\n"), Num(ulong.MaxValue, 5)));
        Assert.Equal("0\r\n", h.Write(h.One("decr k 1\r\n"), Num(0)));
        Assert.Equal("NOT_FOUND\r\n", h.Write(h.One("incr k 1\r\n"), St(McStatus.NotFound)));
        Assert.Equal("CLIENT_ERROR cannot increment or decrement non-numeric value\r\n", h.Write(h.One("incr k 1\r\n"), Err(ErrorCode.NonNumeric)));
        Assert.Equal("SERVER_ERROR out of memory\r\n", h.Write(h.One("decr k 1\r\n"), Err(ErrorCode.OutOfMemory)));
        Assert.Equal("SERVER_ERROR internal error\r\n", h.Write(h.One("decr k 1\r\n"), Err(ErrorCode.Internal)));
        Assert.Equal("", h.Write(h.One("incr k 1 noreply\r\n"), Num(7)));
        Assert.Equal("", h.Write(h.One("incr k 1 noreply\r\n"), Err(ErrorCode.NonNumeric)));
    }

    [Fact]
    public void FlushAllAnswers()
    {
        var ok = Enumerable.Repeat(Reply.Ok, ShardCount).ToArray();
        Assert.Equal("OK\r\n", h.Write(h.One("flush_all\r\n"), ok));
        Assert.Equal("", h.Write(h.One("flush_all noreply\r\n"), ok));
        Assert.Equal("OK\r\n", h.Write(h.One("flush_all 10\r\n")));
        Assert.Equal("", h.Write(h.One("flush_all 10 noreply\r\n")));
    }

    [Fact]
    public void LocalAnswers()
    {
        Assert.Equal("VERSION 1.6.21\r\n", h.Write(h.One("version\r\n")));
        Assert.Equal("OK\r\n", h.Write(h.One("verbosity 1\r\n")));
        Assert.Equal("", h.Write(h.One("verbosity 1 noreply\r\n")));
        Assert.Equal("MN\r\n", h.Write(h.One("mn\r\n")));
        Assert.Equal("", h.Write(h.One("quit\r\n")));
    }

    [Fact]
    public void StatsLines()
    {
        Assert.Equal("STAT pid 1\r\nSTAT version 1.6.21\r\nSTAT empty\r\nEND\r\n", h.Write(h.One("stats\r\n")));
        Assert.Equal("RESET\r\n", h.Write(h.One("stats reset\r\n")));
    }

    [Fact]
    public void ExchangeOfAPipeline()
    {
        string output = h.Exchange("set a 0 0 1\r\n1\r\nset b 0 0 1 noreply\r\n2\r\nget a b\r\nincr a 9\r\ndelete b\r\nversion\r\n",
            St(McStatus.Stored, 1), St(McStatus.Stored, 2), Hit("1", cas: 1), Hit("2", cas: 2), Num(10), St(McStatus.Deleted));
        Assert.Equal("STORED\r\nVALUE a 0 1\r\n1\r\nVALUE b 0 1\r\n2\r\nEND\r\n10\r\nDELETED\r\nVERSION 1.6.21\r\n", output);
    }
}
