using System.Text;
using CacheCluster.Actors;
using CacheCluster.Actors.Shards;
using CacheCluster.Core;

namespace CacheCluster.Actors.Tests.Shards;

public class ShardRegionTests : IAsyncLifetime
{
    readonly ActorSystem _system = new("test");
    ShardRegion _region = null!;

    public Task InitializeAsync()
    {
        _region = new ShardRegion(_system, new ShardRegionOptions { ShardCount = 16, ExpireInterval = TimeSpan.FromMilliseconds(20) });
        _region.Start();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _region.DisposeAsync();
        await _system.DisposeAsync();
    }

    static ReadOnlyMemory<byte> B(string s) => Encoding.UTF8.GetBytes(s);

    void Add(CommandBatch batch, Op op, string key, string? value = null)
    {
        var k = B(key);
        ref var c = ref batch.Add(_region.Map.ShardOf(k.Span));
        c.Op = op;
        c.Key = k;
        if (value != null) c.Value = Encoding.UTF8.GetBytes(value);
    }

    async Task Run(CommandBatch batch) => await _region.ExecuteAsync(batch, 0, batch.Count).AsTask().WaitAsync(TimeSpan.FromSeconds(10));

    [Theory]
    [InlineData(5)]
    [InlineData(32)]
    [InlineData(33)]     // past the linear grouping threshold
    [InlineData(1000)]
    public async Task Replies_come_back_in_command_order_across_shards(int n)
    {
        var batch = new CommandBatch();
        for (int i = 0; i < n; i++) Add(batch, Op.Set, "key" + i, "v" + i);
        for (int i = 0; i < n; i++) Add(batch, Op.Get, "key" + i);
        await Run(batch);
        for (int i = 0; i < n; i++)
        {
            Assert.Equal(ReplyKind.Ok, batch.Replies[i].Kind);
            Assert.Equal("v" + i, Encoding.UTF8.GetString(batch.Replies[n + i].Bulk.Span));
        }
    }

    [Fact]
    public async Task Commands_on_one_key_in_one_batch_apply_in_order()
    {
        var batch = new CommandBatch();
        for (int i = 0; i < 100; i++)
        {
            ref var c = ref batch.Add(_region.Map.ShardOf("counter"u8));
            c.Op = Op.IncrBy;
            c.Key = B("counter");
            c.Int1 = 1;
        }
        await Run(batch);
        for (int i = 0; i < 100; i++) Assert.Equal(i + 1, batch.Replies[i].Integer);
    }

    [Fact]
    public async Task A_batch_is_reusable_after_it_completes()
    {
        var batch = new CommandBatch();
        for (int round = 0; round < 50; round++)
        {
            batch.Clear();
            Add(batch, Op.Set, "r", round.ToString());
            Add(batch, Op.Get, "r");
            await Run(batch);
            Assert.Equal(round.ToString(), Encoding.UTF8.GetString(batch.Replies[1].Bulk.Span));
        }
    }

    [Fact]
    public async Task A_failing_command_restarts_its_shard_answers_internal_error_and_keeps_the_data()
    {
        var seed = new CommandBatch();
        Add(seed, Op.Set, "survivor", "still here");
        await Run(seed);

        // A Restore without its entry makes the executor throw: the shard actor fails mid-message.
        var batch = new CommandBatch();
        int shard = _region.Map.ShardOf("survivor"u8);
        ref var bad = ref batch.Add(shard);
        bad.Op = Op.Restore;
        bad.Key = B("survivor");
        Add(batch, Op.Get, "other-key-elsewhere");
        await Run(batch);
        Assert.Equal(ReplyKind.Error, batch.Replies[0].Kind);
        Assert.Equal(ErrorCode.Internal, batch.Replies[0].Error);

        var after = new CommandBatch();
        Add(after, Op.Get, "survivor");
        await Run(after);
        Assert.Equal("still here", Encoding.UTF8.GetString(after.Replies[0].Bulk.Span));
    }

    [Fact]
    public async Task Active_expiry_removes_keys_nobody_reads()
    {
        var batch = new CommandBatch();
        long soon = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + 50;
        for (int i = 0; i < 200; i++)
        {
            var k = B("ttl" + i);
            ref var c = ref batch.Add(_region.Map.ShardOf(k.Span));
            c.Op = Op.Set;
            c.Key = k;
            c.Value = [1];
            c.Int1 = soon;
            c.Options = CommandOptions.HasExpiry;
        }
        await Run(batch);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        long remaining;
        do
        {
            await Task.Delay(50);
            var size = new CommandBatch();
            for (int s = 0; s < _region.ShardCount; s++) size.Add(s).Op = Op.DbSize;
            await Run(size);
            remaining = 0;
            for (int s = 0; s < size.Count; s++) remaining += size.Replies[s].Integer;
        } while (remaining > 0 && DateTime.UtcNow < deadline);
        Assert.Equal(0, remaining);
    }
}
