using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace CacheCluster.Actors.Tests.Runtime;

public sealed class SupervisionTests
{
    /// <summary>Shared between the instances one actor goes through, so a test can see across restarts.</summary>
    private sealed class Probe
    {
        public readonly ConcurrentQueue<string> Events = new();
        public readonly TaskCompletionSource Busy = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public int Instances;
    }

    private sealed record Report(TaskCompletionSource<(int Instance, int Handled)> Reply);

    /// <summary>Messages: a SemaphoreSlim blocks on it, "boom" throws, Report replies, anything else is recorded.</summary>
    private class Recorder(Probe probe, bool overrideRestartHooks = true, bool throwInPreRestart = false) : Actor<object>
    {
        private readonly int _instance = Interlocked.Increment(ref probe.Instances);
        private int _handled; // per-instance state: a restart must start from zero

        protected override void Receive(object message)
        {
            switch (message)
            {
                case SemaphoreSlim gate: probe.Busy.TrySetResult(); gate.Block(); return;
                case "boom": throw new InvalidOperationException("boom");
                case Report r: r.Reply.TrySetResult((_instance, _handled)); return;
            }
            _handled++;
            probe.Events.Enqueue($"{_instance}:{message}");
        }

        protected override void PreStart() => probe.Events.Enqueue($"{_instance}:PreStart");
        protected override void PostStop() => probe.Events.Enqueue($"{_instance}:PostStop");

        protected override void PreRestart(Exception reason, object message)
        {
            if (!overrideRestartHooks) { base.PreRestart(reason, message); return; }
            probe.Events.Enqueue($"{_instance}:PreRestart({reason.Message},{message})");
            if (throwInPreRestart) throw new InvalidOperationException("PreRestart broke");
        }

        protected override void PostRestart(Exception reason)
        {
            if (!overrideRestartHooks) { base.PostRestart(reason); return; }
            probe.Events.Enqueue($"{_instance}:PostRestart({reason.Message})");
        }
    }

    private static Task<(int Instance, int Handled)> ReportAsync(ActorRef<object> actor) =>
        actor.AskAsync<(int, int)>(r => new Report(r), TestTimeouts.Long);

    [Fact]
    public async Task Failure_RestartsFreshInstance_DropsFailingMessage_KeepsQueuedOnes()
    {
        await using var system = new ActorSystem("test");
        var probe = new Probe();
        var actor = system.Spawn<object>("r", () => new Recorder(probe));
        using var gate = new SemaphoreSlim(0);
        Assert.True(actor.TryTell(gate));
        await probe.Busy.Task.Within();
        foreach (var m in new[] { "a", "boom", "b", "c" }) Assert.True(actor.TryTell(m)); // all queued behind the failure

        gate.Release();
        var (instance, handled) = await ReportAsync(actor);

        Assert.Equal(2, instance);
        Assert.Equal(2, handled); // "b" and "c" only: state was reset, "boom" was dropped
        Assert.Equal(1, actor.Restarts);
        Assert.Equal(["1:PreStart", "1:a", "1:PreRestart(boom,boom)", "2:PostRestart(boom)", "2:b", "2:c"], probe.Events);
    }

    [Fact]
    public async Task DefaultHooks_FollowAkka_PreRestartCallsPostStop_PostRestartCallsPreStart()
    {
        await using var system = new ActorSystem("test");
        var probe = new Probe();
        var actor = system.Spawn<object>("r", () => new Recorder(probe, overrideRestartHooks: false));

        await actor.TellAsync("boom");
        await ReportAsync(actor);
        await system.StopAsync(actor).Within();

        Assert.Equal(["1:PreStart", "1:PostStop", "2:PreStart", "2:PostStop"], probe.Events);
    }

    [Fact]
    public async Task PreRestart_CanFailTheInFlightRequest_SoTheCallerDoesNotHang()
    {
        await using var system = new ActorSystem("test");
        var actor = system.Spawn<TaskCompletionSource<string>>("shard", () => new FailingShard());

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(
            () => actor.AskAsync<string>(reply => reply, TestTimeouts.Long));

        Assert.Equal("disk on fire", ex.Message);
        Assert.Equal(1, actor.Restarts);
    }

    private sealed class FailingShard : Actor<TaskCompletionSource<string>>
    {
        protected override void Receive(TaskCompletionSource<string> request) => throw new InvalidOperationException("disk on fire");
        protected override void PreRestart(Exception reason, TaskCompletionSource<string> request) => request.TrySetException(reason);
    }

    [Fact]
    public async Task ExceptionInPreRestart_IsLoggedAndIgnored_TheLoopContinues()
    {
        var logs = new ListLoggerFactory();
        await using var system = new ActorSystem("test", logs);
        var probe = new Probe();
        var actor = system.Spawn<object>("r", () => new Recorder(probe, throwInPreRestart: true));

        await actor.TellAsync("boom");
        await actor.TellAsync("next");
        var (instance, handled) = await ReportAsync(actor);

        Assert.Equal((2, 1), (instance, handled));
        Assert.Contains("2:next", probe.Events);
        Assert.Contains(logs.Entries, e => e.Level == LogLevel.Error && e.Exception?.Message == "PreRestart broke");
    }

    [Fact]
    public async Task Failure_IsLoggedWithTheActorName()
    {
        var logs = new ListLoggerFactory();
        await using var system = new ActorSystem("test", logs);
        var actor = system.Spawn<object>("shard-7", () => new Recorder(new Probe()));

        await actor.TellAsync("boom");
        await ReportAsync(actor);

        var entry = Assert.Single(logs.Entries, e => e.Level == LogLevel.Error);
        Assert.Contains("shard-7", entry.Message);
        Assert.Equal("boom", entry.Exception?.Message);
    }

    [Fact]
    public async Task RepeatedFailures_AreCounted_AndNeverAffectOtherActors()
    {
        await using var system = new ActorSystem("test");
        var probe = new Probe();
        var flaky = system.Spawn<object>("flaky", () => new Recorder(probe));
        var healthy = system.Spawn<object>("healthy", () => new Recorder(new Probe()));

        for (var i = 0; i < 10; i++) await flaky.TellAsync("boom");
        var (instance, _) = await ReportAsync(flaky);

        Assert.Equal(11, instance);
        Assert.Equal(10, flaky.Restarts);
        Assert.Equal(0, healthy.Restarts);
        Assert.Equal((1, 0), await ReportAsync(healthy));
    }

    [Fact]
    public async Task FactoryFailingOnRestart_StopsTheActor_InsteadOfLoopingForever()
    {
        var logs = new ListLoggerFactory();
        await using var system = new ActorSystem("test", logs);
        var probe = new Probe();
        var created = 0;
        var actor = system.Spawn<object>("r", () => ++created == 1 ? new Recorder(probe) : throw new InvalidOperationException("no more"));
        using var gate = new SemaphoreSlim(0);
        Assert.True(actor.TryTell(gate));
        await probe.Busy.Task.Within();
        Assert.True(actor.TryTell("boom"));
        Assert.True(actor.TryTell("after"));

        gate.Release();
        await system.StopAsync(actor).Within();

        Assert.DoesNotContain("2:after", probe.Events);
        Assert.False(actor.TryTell("late"));
        Assert.Contains(logs.Entries, e => e.Level == LogLevel.Error && e.Exception?.Message == "no more");
    }

    [Fact]
    public async Task PreStartFailure_StopsTheActor_WithoutPostStop()
    {
        await using var system = new ActorSystem("test");
        var events = new ConcurrentQueue<string>();
        var actor = system.Spawn<string>("r", () => new BrokenStart(events));
        actor.TryTell("ignored"); // may or may not be accepted: either way it must not be processed

        await system.StopAsync(actor).Within();

        Assert.Empty(events);
        Assert.False(actor.TryTell("late"));
    }

    private sealed class BrokenStart(ConcurrentQueue<string> events) : Actor<string>
    {
        protected override void PreStart() => throw new InvalidOperationException("cannot start");
        protected override void Receive(string message) => events.Enqueue(message);
        protected override void PostStop() => events.Enqueue("PostStop");
    }
}
