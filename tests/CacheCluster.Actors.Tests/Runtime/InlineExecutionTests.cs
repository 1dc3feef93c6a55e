namespace CacheCluster.Actors.Tests.Runtime;

/// <summary>
/// Senders and actors must never run each other's code inline: a connection's TryTell must not execute
/// shard work on the connection's thread, and a shard's reply must not run the caller's continuation on the shard.
/// </summary>
public sealed class InlineExecutionTests
{
    [ThreadStatic] private static bool t_insideTell;
    [ThreadStatic] private static bool t_insideReceive;

    [Fact]
    public async Task Tell_NeverRunsTheActorOnTheSendersThread()
    {
        await using var system = new ActorSystem("test");
        using var handled = new SemaphoreSlim(0);
        var inline = 0;
        var actor = system.Spawn<int>("a", () => new LambdaActor<int>(_ =>
        {
            if (t_insideTell) inline++;
            handled.Release();
        }));

        // After each round trip the loop is usually parked on an empty mailbox: the tempting moment to run inline.
        for (var i = 0; i < 100; i++)
        {
            t_insideTell = true;
            try { Assert.True(actor.TryTell(i)); }
            finally { t_insideTell = false; }
            Assert.True(await handled.WaitAsync(TestTimeouts.Long));
        }

        Assert.Equal(0, inline);
    }

    [Fact]
    public async Task Reply_NeverRunsTheAskersContinuationOnTheActor()
    {
        await using var system = new ActorSystem("test");
        var actor = system.Spawn<TaskCompletionSource<int>>("a", () => new LambdaActor<TaskCompletionSource<int>>(reply =>
        {
            t_insideReceive = true;
            try { reply.SetResult(1); }
            finally { t_insideReceive = false; }
        }));

        for (var i = 0; i < 100; i++)
        {
            await actor.AskAsync<int>(r => r, TestTimeouts.Long);
            Assert.False(t_insideReceive);
        }
    }
}
