using System.Text;
using CacheCluster.Integration.Tests.Memcached.Harness;

namespace CacheCluster.Integration.Tests.Memcached;

/// <summary>
/// Requests that need the whole node (stats) in the middle of a pipeline: everything before them
/// must be executed and answered first, in order, and everything after them after.
/// </summary>
public sealed class McPipelineTests : IClassFixture<McNodeFixture>
{
    private readonly McNodeFixture _fx;

    public McPipelineTests(McNodeFixture fx) => _fx = fx;

    private static string P(string test) => McSubjectFixture.Prefix("pl-" + test);

    [Fact]
    public async Task Stats_in_a_pipeline_sees_the_requests_before_it()
    {
        var k = P("stats");
        await using var mc = await McConnection.ConnectAsync(_fx.Node.Port);
        await mc.SendAsync($"set {k} 0 0 1\r\nx\r\nget {k}\r\nstats\r\nget {k}\r\nmn\r\n");
        var (data, closed) = await mc.ReadUntilQuietAsync(TimeSpan.FromMilliseconds(500));
        Assert.False(closed);
        var lines = Encoding.ASCII.GetString(data).Split("\r\n");
        Assert.Equal("STORED", lines[0]);
        Assert.Equal($"VALUE {k} 0 1", lines[1]);
        Assert.Equal("x", lines[2]);
        Assert.Equal("END", lines[3]);
        Assert.StartsWith("STAT pid ", lines[4]);
        int end = Array.IndexOf(lines, "END", 4);
        Assert.True(end > 4, "stats must end with END");
        long cmdGet = long.Parse(lines.First(l => l.StartsWith("STAT cmd_get ")).Split(' ')[2]);
        Assert.True(cmdGet >= 1);
        Assert.Equal($"VALUE {k} 0 1", lines[end + 1]);
        Assert.Equal("x", lines[end + 2]);
        Assert.Equal("END", lines[end + 3]);
        Assert.Equal("MN", lines[end + 4]);
    }

    [Fact]
    public async Task Binary_stat_in_a_pipeline_keeps_order()
    {
        var k = P("binstat");
        await using var mc = await McConnection.ConnectAsync(_fx.Node.Port);
        var request = McBin.Concat(
            McBin.Frame(Op.Set, McBin.Key(k), McBin.StoreExtras(3, 0), Encoding.ASCII.GetBytes("v"), opaque: 1),
            McBin.Frame(Op.Get, McBin.Key(k), opaque: 2),
            McBin.Frame(Op.Stat, opaque: 3),
            McBin.Frame(Op.Get, McBin.Key(k), opaque: 4));
        var (frames, closed) = await McBin.ExchangeAsync(mc, request);
        Assert.False(closed);
        Assert.Equal(1u, frames[0].Opaque);
        Assert.Equal(St.Ok, frames[0].Status);
        Assert.Equal(2u, frames[1].Opaque);
        Assert.Equal("v", Encoding.ASCII.GetString(frames[1].Value));
        var stats = frames.Skip(2).TakeWhile(f => f.Opaque == 3).ToList();
        Assert.True(stats.Count > 10);
        Assert.Empty(stats[^1].Key); // the empty terminator
        var last = frames[2 + stats.Count];
        Assert.Equal(4u, last.Opaque);
        Assert.Equal("v", Encoding.ASCII.GetString(last.Value));
    }
}
