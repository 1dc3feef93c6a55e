using CacheCluster.Integration.Tests.Infrastructure;

namespace CacheCluster.Integration.Tests;

/// <summary>Many commands written in one go (what redis-cli --pipe and client pipelines do) must all be answered, in order.</summary>
[Collection(SharedNodeCollection.Name)]
public sealed class PipeliningTests
{
    private readonly SharedNodeFixture _fx;

    public PipeliningTests(SharedNodeFixture fx) => _fx = fx;

    [Theory]
    [InlineData(1000)]
    [InlineData(1025)]
    [InlineData(5000)]
    public async Task LargePipelineInOneWrite_AllRepliesArrive(int count)
    {
        var p = SharedNodeFixture.Prefix("pipe" + count);
        await using var c = await _fx.Node.ConnectAsync();
        using var ms = new MemoryStream();
        for (var i = 0; i < count; i++)
            ms.Write(i % 2 == 0 ? RespClient.Encode(RespClient.Args("SET", $"{p}{i}", i)) : RespClient.Encode(RespClient.Args("GET", $"{p}{i - 1}")));
        await c.SendRawAsync(ms.ToArray());
        for (var i = 0; i < count; i++)
        {
            RespValue r;
            try
            {
                r = await c.ReadAsync(TimeSpan.FromSeconds(10));
            }
            catch (TimeoutException e)
            {
                Assert.Fail($"only {i} of {count} pipelined replies arrived within 10 s: {e.Message}");
                return;
            }
            var expected = i % 2 == 0 ? RespValue.Simple("OK") : RespValue.Bulk((i - 1).ToString());
            Assert.True(expected.Equals(r), $"reply #{i}: expected {expected}, got {r}");
        }
    }

    [Fact]
    public async Task PipelineOfLargeValues_RoundTrips()
    {
        var p = SharedNodeFixture.Prefix("pipebig");
        await using var c = await _fx.Node.ConnectAsync();
        var value = new byte[200 * 1024];
        new Random(9).NextBytes(value);
        using var ms = new MemoryStream();
        for (var i = 0; i < 20; i++) ms.Write(RespClient.Encode(RespClient.Args("SET", $"{p}{i}", value)));
        for (var i = 0; i < 20; i++) ms.Write(RespClient.Encode(RespClient.Args("GET", $"{p}{i}")));
        await c.SendRawAsync(ms.ToArray());
        for (var i = 0; i < 20; i++) Assert.Equal(RespValue.Simple("OK"), await c.ReadAsync());
        for (var i = 0; i < 20; i++) Assert.Equal(value, (await c.ReadAsync()).Bytes);
    }
}
