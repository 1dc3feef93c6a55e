namespace CacheCluster.Actors.Tests.Runtime;

public sealed class SchedulerTests
{
    private abstract record Msg;
    private sealed record Tick : Msg;
    private sealed record Block(SemaphoreSlim Gate, TaskCompletionSource Busy) : Msg;
    private sealed record Count(TaskCompletionSource<int> Reply) : Msg;

    /// <summary>Counts ticks; answers Count with the number seen so far.</summary>
    private sealed class TickCounter(int signalAt, TaskCompletionSource reached) : Actor<Msg>
    {
        private int _ticks;

        protected override void Receive(Msg message)
        {
            switch (message)
            {
                case Tick: if (++_ticks == signalAt) reached.TrySetResult(); break;
                case Block b: b.Busy.TrySetResult(); b.Gate.Block(); break;
                case Count c: c.Reply.TrySetResult(_ticks); break;
            }
        }
    }

    private static Task<int> CountAsync(ActorRef<Msg> actor) => actor.AskAsync<int>(r => new Count(r), TestTimeouts.Long);

    [Fact]
    public async Task DeliversTicksRepeatedly_AndNoneAfterDispose()
    {
        await using var system = new ActorSystem("test");
        var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var actor = system.Spawn<Msg>("expiry", () => new TickCounter(5, reached));

        var schedule = system.ScheduleTellRepeatedly(actor, TimeSpan.Zero, TimeSpan.FromMilliseconds(5), () => new Tick());
        await reached.Task.Within();
        schedule.Dispose(); // a barrier: no tick is enqueued after it returns
        var atDispose = await CountAsync(actor);
        await Task.Delay(100); // 20 intervals in which a leaking timer would tick

        Assert.Equal(atDispose, await CountAsync(actor));
        schedule.Dispose(); // idempotent
    }

    [Fact]
    public async Task FullMailbox_DropsTicks_AndNeverBlocksTheTimer()
    {
        const int capacity = 2;
        await using var system = new ActorSystem("test");
        var actor = system.Spawn<Msg>("expiry", () => new TickCounter(int.MaxValue, new()), new MailboxOptions { Capacity = capacity });
        using var gate = new SemaphoreSlim(0);
        var busy = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Assert.True(actor.TryTell(new Block(gate, busy)));
        await busy.Task.Within();

        var produced = 0;
        var manyDropped = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var schedule = system.ScheduleTellRepeatedly(actor, TimeSpan.Zero, TimeSpan.FromMilliseconds(1), () =>
        {
            // Far more ticks than fit: only possible if a full mailbox never stalls the timer.
            if (Interlocked.Increment(ref produced) == capacity + 20) manyDropped.TrySetResult();
            return new Tick();
        });
        await manyDropped.Task.Within();
        schedule.Dispose();
        gate.Release();

        Assert.Equal(capacity, await CountAsync(actor)); // only what fitted was delivered; the rest was dropped
    }

    [Fact]
    public async Task SystemDispose_CancelsTimers()
    {
        var system = new ActorSystem("test");
        var actor = system.Spawn<Msg>("expiry", () => new TickCounter(int.MaxValue, new()));
        var produced = 0;
        system.ScheduleTellRepeatedly(actor, TimeSpan.Zero, TimeSpan.FromMilliseconds(1), () =>
        {
            Interlocked.Increment(ref produced);
            return new Tick();
        });

        await system.DisposeAsync().AsTask().Within();
        var atDispose = Volatile.Read(ref produced);
        await Task.Delay(100);

        Assert.Equal(atDispose, Volatile.Read(ref produced));
    }

    [Fact]
    public async Task RejectsNonPositiveInterval()
    {
        await using var system = new ActorSystem("test");
        var actor = system.Spawn<Msg>("expiry", () => new TickCounter(1, new()));

        Assert.Throws<ArgumentOutOfRangeException>(() => system.ScheduleTellRepeatedly(actor, TimeSpan.Zero, TimeSpan.Zero, () => new Tick()));
    }
}
