using System.Collections.Concurrent;

namespace CacheCluster.Actors.Tests.Runtime;

public sealed class BackpressureTests
{
    /// <summary>Spawns an actor that blocks on <paramref name="gate"/> while handling message 0, and waits until it does.</summary>
    private static async Task<ActorRef<int>> SpawnBlockedAsync(ActorSystem system, SemaphoreSlim gate, int capacity, ConcurrentQueue<int> log)
    {
        var busy = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var actor = system.Spawn<int>("blocked", () => new LambdaActor<int>(m =>
        {
            if (m == 0) { busy.TrySetResult(); gate.Block(); }
            log.Enqueue(m);
        }), new MailboxOptions { Capacity = capacity });
        Assert.True(actor.TryTell(0));
        await busy.Task.Within(); // message 0 has left the mailbox; the actor is now stuck
        return actor;
    }

    [Fact]
    public async Task FullMailbox_TryTellFails_TellAsyncWaitsUntilTheActorDrains()
    {
        await using var system = new ActorSystem("test");
        using var gate = new SemaphoreSlim(0);
        var log = new ConcurrentQueue<int>();
        var actor = await SpawnBlockedAsync(system, gate, capacity: 4, log);

        for (var i = 1; i <= 4; i++) Assert.True(actor.TryTell(i));
        Assert.False(actor.TryTell(5));
        var pending = actor.TellAsync(6).AsTask();
        Assert.False(pending.IsCompleted); // pushed back, not queued beyond capacity

        gate.Release();
        await pending.Within();
        await system.StopAsync(actor).Within();

        Assert.Equal([0, 1, 2, 3, 4, 6], log);
    }

    [Fact]
    public async Task PendingTellAsync_ThrowsActorStopped_WhenTheActorStops()
    {
        await using var system = new ActorSystem("test");
        using var gate = new SemaphoreSlim(0);
        var log = new ConcurrentQueue<int>();
        var actor = await SpawnBlockedAsync(system, gate, capacity: 1, log);
        Assert.True(actor.TryTell(1));
        var pending = actor.TellAsync(2).AsTask();

        var stopping = system.StopAsync(actor);

        var ex = await Assert.ThrowsAsync<ActorStoppedException>(() => pending.Within());
        Assert.Equal("blocked", ex.ActorName);
        gate.Release();
        await stopping.Within();
        Assert.Equal([0, 1], log);
    }

    [Fact]
    public async Task PendingTellAsync_HonoursCancellation()
    {
        await using var system = new ActorSystem("test");
        using var gate = new SemaphoreSlim(0);
        var actor = await SpawnBlockedAsync(system, gate, capacity: 1, new ConcurrentQueue<int>());
        Assert.True(actor.TryTell(1));
        using var cts = new CancellationTokenSource();

        var pending = actor.TellAsync(2, cts.Token).AsTask();
        cts.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pending.Within());
        gate.Release();
    }
}
