using CacheCluster.Integration.Tests.Infrastructure;

namespace CacheCluster.Integration.Tests;

/// <summary>--maxmemory with the three supported policies, driven well past the limit (own node per test).</summary>
public sealed class MemoryTests
{
    private const int ValueSize = 10 * 1024;
    private const int MaxWrites = 12_000; // ~120 MB of values against a 20 MB limit
    private static readonly byte[] Value = Enumerable.Range(0, ValueSize).Select(i => (byte)('a' + i % 26)).ToArray();

    private static Task<NodeProcess> StartAsync(string policy) =>
        NodeProcess.StartAsync(new NodeOptions { MaxMemory = "20mb", MaxMemoryPolicy = policy });

    /// <summary>Writes keys in pipelined batches until a write fails or MaxWrites is reached; returns (writes OK, first error).</summary>
    private static async Task<(int Written, RespValue? FirstError)> FillAsync(RespClient c, string prefix, Func<int, object[]>? extra = null, Func<int, Task>? afterBatch = null)
    {
        var written = 0;
        for (var batch = 0; batch < MaxWrites / 100; batch++)
        {
            for (var i = 0; i < 100; i++)
            {
                var n = batch * 100 + i;
                await c.SendAsync(new object[] { "SET", $"{prefix}{n}", Value }.Concat(extra?.Invoke(n) ?? Array.Empty<object>()).ToArray());
            }
            RespValue? error = null;
            for (var i = 0; i < 100; i++)
            {
                var r = await c.ReadAsync();
                if (r.IsError) error ??= r;
                else if (r.Kind == RespKind.SimpleString && r.Text == "OK") written++;
                else throw new InvalidOperationException($"unexpected SET reply {r}");
            }
            if (error != null) return (written, error);
            if (afterBatch != null) await afterBatch(batch);
        }
        return (written, null);
    }

    [Fact]
    public async Task Noeviction_RejectsWritesWithOom_ButServesReadsAndDeletes()
    {
        await using var node = await StartAsync("noeviction");
        await using var c = await node.ConnectAsync();
        var (written, error) = await FillAsync(c, "ne:");
        Assert.True(error != null, $"wrote {written} x 10 KB with maxmemory 20mb and noeviction, and never got an OOM error\n{node.Describe()}");
        Assert.Equal("OOM command not allowed when used memory > 'maxmemory'.", error!.Text);
        Assert.True(written is > 500 and < 4000, $"OOM after {written} x 10 KB writes; expected roughly 20 MB worth (~2000)");

        // Nothing was evicted, reads and non-growing commands still work.
        Assert.Equal(written, (await c.CallAsync("DBSIZE")).Integer);
        Assert.Equal(Value, (await c.CallAsync("GET", "ne:0")).Bytes);
        Assert.Equal(RespValue.Simple("PONG"), await c.CallAsync("PING"));

        // Freeing memory makes writes possible again (bounded wait for the accounting to catch up).
        var del = new object[] { "DEL" }.Concat(Enumerable.Range(0, written / 2).Select(i => (object)$"ne:{i}")).ToArray();
        Assert.Equal(written / 2, (await c.CallAsync(del)).Integer);
        RespValue set = RespValue.Nil('$');
        for (var i = 0; i < 50; i++)
        {
            set = await c.CallAsync("SET", "ne:after", "x");
            if (!set.IsError) break;
            await Task.Delay(100);
        }
        Assert.Equal(RespValue.Simple("OK"), set);
    }

    /// <summary>
    /// Redis's LRU is approximate (1 s clock resolution, sampling), so the assertions are the ones real
    /// redis-server 7 satisfies too: writes never fail, memory stays bounded, the newest key exists, and most of
    /// the oldest keys are gone.
    /// </summary>
    [Fact]
    public async Task AllkeysLru_EvictsInsteadOfFailing()
    {
        await using var node = await StartAsync("allkeys-lru");
        await using var c = await node.ConnectAsync();
        var (written, error) = await FillAsync(c, "lru:");
        Assert.True(error == null, $"allkeys-lru must evict rather than fail; got {error} after {written} writes\n{node.Describe()}");
        Assert.Equal(MaxWrites, written);
        var size = (await c.CallAsync("DBSIZE")).Integer;
        Assert.True(size is > 100 and < 4000, $"DBSIZE {size} after writing {MaxWrites} x 10 KB into 20 MB");
        Assert.Equal(Value, (await c.CallAsync("GET", $"lru:{MaxWrites - 1}")).Bytes);
        var oldestSurviving = (await c.CallAsync(new object[] { "EXISTS" }.Concat(Enumerable.Range(0, 1000).Select(i => (object)$"lru:{i}")).ToArray())).Integer;
        Assert.True(oldestSurviving < 300, $"{oldestSurviving} of the 1000 oldest keys survived {MaxWrites} writes into 20 MB");
    }

    [Fact]
    public async Task VolatileLru_EvictsOnlyKeysWithTtl_ThenRejectsWrites()
    {
        await using var node = await StartAsync("volatile-lru");
        await using var c = await node.ConnectAsync();
        // 10 MB of persistent keys, then volatile keys: writes keep succeeding by evicting volatile ones.
        for (var i = 0; i < 1000; i++) await c.SendAsync("SET", $"persist:{i}", Value);
        for (var i = 0; i < 1000; i++) Assert.Equal("OK", (await c.ReadAsync()).Text);
        var (written, error) = await FillAsync(c, "vol:", n => new object[] { "EX", "3600" });
        Assert.True(error == null, $"volatile keys should be evicted to make room; got {error} after {written}\n{node.Describe()}");
        var persistent = (await c.CallAsync(new object[] { "EXISTS" }.Concat(Enumerable.Range(0, 1000).Select(i => (object)$"persist:{i}")).ToArray())).Integer;
        Assert.Equal(1000, persistent);

        // Only persistent keys can be added now: once volatile keys run out, writes fail with OOM.
        var (_, error2) = await FillAsync(c, "persist2:");
        Assert.True(error2 != null, "volatile-lru with no volatile keys left must reject writes");
        Assert.StartsWith("OOM command not allowed", error2!.Text);
    }
}
