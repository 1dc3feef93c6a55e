using System.Collections.Concurrent;

namespace CacheCluster.Actors.Tests.Runtime;

public sealed class LifecycleTests
{
    private sealed class Tracked(ConcurrentQueue<string> events, SemaphoreSlim? gate = null, TaskCompletionSource? busy = null) : Actor<string>
    {
        protected override void PreStart() => events.Enqueue("PreStart");
        protected override void PostStop() => events.Enqueue("PostStop");

        protected override void Receive(string message)
        {
            if (message == "block") { busy!.TrySetResult(); gate!.Block(); }
            events.Enqueue(message);
        }
    }

    [Fact]
    public async Task Stop_ProcessesQueuedMessages_ThenPostStop_AndRefusesNewOnes()
    {
        await using var system = new ActorSystem("test");
        var events = new ConcurrentQueue<string>();
        using var gate = new SemaphoreSlim(0);
        var busy = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var actor = system.Spawn<string>("a", () => new Tracked(events, gate, busy));
        Assert.True(actor.TryTell("block"));
        await busy.Task.Within();
        for (var i = 0; i < 10; i++) Assert.True(actor.TryTell($"m{i}"));

        var stopping = system.StopAsync(actor);

        Assert.False(stopping.IsCompleted);
        Assert.False(actor.TryTell("late"));
        await Assert.ThrowsAsync<ActorStoppedException>(() => actor.TellAsync("late").AsTask());
        gate.Release();
        await stopping.Within();
        Assert.Equal(["PreStart", "block", .. Enumerable.Range(0, 10).Select(i => $"m{i}"), "PostStop"], events);
    }

    [Fact]
    public async Task Names_AreUnique_AndFreedOnceTheActorHasStopped()
    {
        await using var system = new ActorSystem("test");
        var first = system.Spawn<string>("shard-0", () => new LambdaActor<string>(_ => { }));

        Assert.Throws<ArgumentException>(() => system.Spawn<int>("shard-0", () => new LambdaActor<int>(_ => { })));

        await system.StopAsync(first).Within();
        var second = system.Spawn<string>("shard-0", () => new LambdaActor<string>(_ => { }));
        Assert.True(second.TryTell("hello"));
        Assert.False(first.TryTell("hello"));
    }

    [Fact]
    public async Task FactoryThrowingOnSpawn_Propagates_AndDoesNotReserveTheName()
    {
        await using var system = new ActorSystem("test");

        Assert.Throws<InvalidOperationException>(() => system.Spawn<string>("x", () => throw new InvalidOperationException()));

        Assert.Equal("x", system.Spawn<string>("x", () => new LambdaActor<string>(_ => { })).Name);
    }

    [Fact]
    public async Task Self_IsAvailableInTheConstructor_AndStableAcrossRestarts()
    {
        await using var system = new ActorSystem("test");
        var seen = new ConcurrentQueue<ActorRef<string>>();
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var actor = system.Spawn<string>("self", () => new SelfTeller(seen, done));

        Assert.True(actor.TryTell("boom"));
        await done.Task.Within();

        Assert.Equal(2, seen.Count); // one constructor per instance
        Assert.All(seen, s => Assert.Same(actor, s));
    }

    private sealed class SelfTeller : Actor<string>
    {
        private readonly TaskCompletionSource _done;

        public SelfTeller(ConcurrentQueue<ActorRef<string>> seen, TaskCompletionSource done)
        {
            seen.Enqueue(Self);
            _done = done;
        }

        protected override void Receive(string message)
        {
            if (message == "boom") { Self.TryTell("to-self"); throw new InvalidOperationException(); }
            _done.TrySetResult(); // "to-self" was queued before the failure, so the new instance handles it
        }
    }

    [Fact]
    public async Task Dispose_StopsEveryActor_DrainingAndRunningPostStop_ThenRefusesSpawns()
    {
        var system = new ActorSystem("test");
        var logs = Enumerable.Range(0, 16).Select(_ => new ConcurrentQueue<string>()).ToArray();
        var actors = logs.Select((log, i) => system.Spawn<string>($"a{i}", () => new Tracked(log))).ToArray();
        foreach (var a in actors) { a.TryTell("x"); a.TryTell("y"); }

        await system.DisposeAsync().AsTask().Within();
        await system.DisposeAsync(); // idempotent

        Assert.All(logs, log => Assert.Equal(["PreStart", "x", "y", "PostStop"], log));
        Assert.All(actors, a => Assert.False(a.TryTell("late")));
        Assert.Throws<ObjectDisposedException>(() => system.Spawn<string>("b", () => new Tracked(new())));
    }
}
