namespace CacheCluster.Actors.Tests.Runtime;

/// <summary>
/// TryRunInline: a sender takes the actor's turn on its own thread when the actor is idle and has
/// nothing queued. It must keep the actor model's guarantees: one Receive at a time, a sender's
/// earlier (queued) messages first, supervision, and nothing after Stop.
/// </summary>
public sealed class InlineRunTests
{
    [Fact]
    public async Task IdleActor_RunsTheMessageOnTheCallersThread_ThenAfterBurst()
    {
        await using var system = new ActorSystem("test");
        var log = new List<string>();
        var actor = system.Spawn<int>("a", () => new BurstActor(log));
        await actor.AskIdleAsync();
        int caller = Environment.CurrentManagedThreadId;

        Assert.True(actor.TryRunInline(7));

        Assert.Equal([$"receive 7 on {caller}", $"burst on {caller}"], log.Skip(log.Count - 2));
    }

    [Fact]
    public async Task BusyActor_IsNotRunInline()
    {
        await using var system = new ActorSystem("test");
        using var gate = new SemaphoreSlim(0);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var seen = new List<int>();
        var actor = system.Spawn<int>("a", () => new LambdaActor<int>(m =>
        {
            if (m == 0) { started.TrySetResult(); gate.Block(); }
            seen.Add(m);
        }));
        Assert.True(actor.TryTell(0));
        await started.Task.Within();

        Assert.False(actor.TryRunInline(1));   // the pool run holds the actor

        gate.Release();
        await system.StopAsync(actor).Within();
        Assert.Equal([0], seen);
    }

    [Fact]
    public async Task QueuedMessages_GoFirst_SoInlineNeverOvertakesThem()
    {
        await using var system = new ActorSystem("test");
        using var gate = new SemaphoreSlim(0);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var seen = new List<int>();
        var actor = system.Spawn<int>("a", () => new LambdaActor<int>(m =>
        {
            if (m == 0) { started.TrySetResult(); gate.Block(); }
            lock (seen) seen.Add(m);
        }));
        Assert.True(actor.TryTell(0));
        await started.Task.Within();
        Assert.True(actor.TryTell(1));   // queued behind the blocked message
        gate.Release();

        // until 1 has been taken out of the mailbox, an inline run must refuse
        int next = 2;
        while (next < 50)
            if (actor.TryRunInline(next) || actor.TryTell(next)) next++;
        await system.StopAsync(actor).Within();

        Assert.Equal(Enumerable.Range(0, 50), seen);
    }

    [Fact]
    public async Task InlineAndPoolRuns_NeverOverlap_AndEveryMessageRunsOnce()
    {
        const int senders = 8, perSender = 20_000;
        await using var system = new ActorSystem("test");
        var inside = 0;
        var maxInside = 0;
        long plainSum = 0;   // not atomic: correct only if every Receive is serialised with happens-before
        int inlineRuns = 0;
        var actor = system.Spawn<int>("serial", () => new LambdaActor<int>(m =>
        {
            var now = Interlocked.Increment(ref inside);
            if (now > maxInside) maxInside = now;
            plainSum += m;
            Interlocked.Decrement(ref inside);
        }));

        var tasks = Enumerable.Range(0, senders).Select(_ => Task.Run(async () =>
        {
            for (var i = 1; i <= perSender; i++)
            {
                if (actor.TryRunInline(i)) { Interlocked.Increment(ref inlineRuns); continue; }
                if (!actor.TryTell(i)) await actor.TellAsync(i);
            }
        })).ToArray();
        await Task.WhenAll(tasks).Within();
        await system.StopAsync(actor).Within();

        Assert.Equal(1, maxInside);
        Assert.Equal((long)senders * perSender * (perSender + 1) / 2, plainSum);
        Assert.True(inlineRuns > 0, "no message ever ran inline");
    }

    [Fact]
    public async Task FailureInline_IsSupervised_TheActorRestartsAndGoesOn()
    {
        await using var system = new ActorSystem("test");
        var instances = 0;
        var seen = new List<int>();
        var actor = system.Spawn<int>("a", () =>
        {
            Interlocked.Increment(ref instances);
            return new LambdaActor<int>(m =>
            {
                if (m < 0) throw new InvalidOperationException("boom");
                seen.Add(m);
            });
        });
        await actor.AskIdleAsync();

        Assert.True(actor.TryRunInline(-1));   // it ran (and failed): the caller must not send it again
        Assert.True(actor.TryRunInline(5));

        Assert.Equal(2, instances);
        Assert.Equal(1, actor.Restarts);
        Assert.Equal([5], seen);
    }

    [Fact]
    public async Task StoppedActor_RefusesInlineRuns()
    {
        await using var system = new ActorSystem("test");
        var seen = new List<int>();
        var actor = system.Spawn<int>("a", () => new LambdaActor<int>(seen.Add));
        await system.StopAsync(actor).Within();

        Assert.False(actor.TryRunInline(1));
        Assert.False(actor.TryTell(2));
        Assert.Empty(seen);
    }

    sealed class BurstActor(List<string> log) : Actor<int>
    {
        protected override void Receive(int message) => log.Add($"receive {message} on {Environment.CurrentManagedThreadId}");
        protected override void AfterBurst() => log.Add($"burst on {Environment.CurrentManagedThreadId}");
    }
}

internal static class IdleWait
{
    /// <summary>Waits until the actor has handled everything so far and let go of its thread.</summary>
    public static async Task AskIdleAsync<T>(this ActorRef<T> actor)
    {
        for (int i = 0; i < 3000; i++)
        {
            if (actor.Cell.IsIdleForTests) return;
            await Task.Delay(10);
        }
        throw new TimeoutException("actor never became idle");
    }
}
