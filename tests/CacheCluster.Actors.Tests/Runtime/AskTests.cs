using System.Diagnostics;

namespace CacheCluster.Actors.Tests.Runtime;

public sealed class AskTests
{
    private abstract record Msg;
    private sealed record Double(int Value, TaskCompletionSource<int> Reply) : Msg;
    private sealed record Ignore(TaskCompletionSource<int> Reply) : Msg;
    private sealed record Block(SemaphoreSlim Gate, TaskCompletionSource Busy) : Msg;

    private sealed class Calculator : Actor<Msg>
    {
        protected override void Receive(Msg message)
        {
            switch (message)
            {
                case Double d: d.Reply.TrySetResult(d.Value * 2); break;
                case Ignore: break; // never replies: the asker must time out, not hang
                case Block b: b.Busy.TrySetResult(); b.Gate.Block(); break;
            }
        }
    }

    [Fact]
    public async Task Ask_ReturnsTheReply()
    {
        await using var system = new ActorSystem("test");
        var actor = system.Spawn<Msg>("calc", () => new Calculator());

        var results = await Task.WhenAll(Enumerable.Range(0, 100)
            .Select(i => actor.AskAsync<int>(r => new Double(i, r), TestTimeouts.Long)));

        Assert.Equal(Enumerable.Range(0, 100).Select(i => i * 2), results);
    }

    [Fact]
    public async Task Ask_WithoutReply_ThrowsAskTimeoutException()
    {
        await using var system = new ActorSystem("test");
        var actor = system.Spawn<Msg>("calc", () => new Calculator());
        var timeout = TimeSpan.FromMilliseconds(200);
        var clock = Stopwatch.StartNew();

        var ex = await Assert.ThrowsAsync<AskTimeoutException>(() => actor.AskAsync<int>(r => new Ignore(r), timeout).Within());

        Assert.InRange(clock.Elapsed, TimeSpan.FromMilliseconds(100), TestTimeouts.Long); // generous: never early
        Assert.Equal("calc", ex.ActorName);
        Assert.Equal(timeout, ex.Timeout);
        Assert.IsAssignableFrom<TimeoutException>(ex);
        Assert.Equal(42, await actor.AskAsync<int>(r => new Double(21, r), TestTimeouts.Long)); // actor unaffected
    }

    [Fact]
    public async Task Ask_ToStoppedActor_ThrowsActorStoppedException()
    {
        await using var system = new ActorSystem("test");
        var actor = system.Spawn<Msg>("calc", () => new Calculator());
        await system.StopAsync(actor).Within();

        await Assert.ThrowsAsync<ActorStoppedException>(() => actor.AskAsync<int>(r => new Double(1, r), TestTimeouts.Long));
    }

    [Fact]
    public async Task Ask_CallerCancellation_IsReportedAsCancellationNotTimeout()
    {
        await using var system = new ActorSystem("test");
        var actor = system.Spawn<Msg>("calc", () => new Calculator());
        using var cts = new CancellationTokenSource();

        var ask = actor.AskAsync<int>(r => new Ignore(r), TestTimeouts.Long, cts.Token);
        cts.Cancel();

        var ex = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => ask.Within());
        Assert.Equal(cts.Token, ex.CancellationToken);
    }

    [Fact]
    public async Task Ask_TimeoutAlsoCoversWaitingForMailboxSpace()
    {
        await using var system = new ActorSystem("test");
        var actor = system.Spawn<Msg>("calc", () => new Calculator(), new MailboxOptions { Capacity = 1 });
        using var gate = new SemaphoreSlim(0);
        var busy = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Assert.True(actor.TryTell(new Block(gate, busy)));
        await busy.Task.Within();
        Assert.True(actor.TryTell(new Ignore(new TaskCompletionSource<int>()))); // mailbox now full

        await Assert.ThrowsAsync<AskTimeoutException>(
            () => actor.AskAsync<int>(r => new Double(1, r), TimeSpan.FromMilliseconds(100)).Within());
        gate.Release();
    }
}
