namespace CacheCluster.Actors.Tests.Runtime;

public sealed class OrderingTests
{
    [Fact]
    public async Task SingleSender_100kMessages_ArriveInStrictOrder()
    {
        const int count = 100_000;
        await using var system = new ActorSystem("test");
        var done = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var expected = 0;
        var outOfOrder = 0;
        var actor = system.Spawn<int>("seq", () => new LambdaActor<int>(m =>
        {
            if (m != expected) outOfOrder++;
            expected = m + 1;
            if (m == count - 1) done.TrySetResult(outOfOrder);
        }));

        for (var i = 0; i < count; i++) await actor.TellAsync(i);

        Assert.Equal(0, await done.Task.Within());
    }

    [Fact]
    public async Task ManySenders_EachSeeFifoOfTheirOwnMessages()
    {
        const int senders = 8, perSender = 20_000;
        await using var system = new ActorSystem("test");
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var last = Enumerable.Repeat(-1, senders).ToArray();
        var violations = 0;
        var received = 0;
        var actor = system.Spawn<(int Sender, int Seq)>("fifo", () => new LambdaActor<(int Sender, int Seq)>(m =>
        {
            if (m.Seq != last[m.Sender] + 1) violations++;
            last[m.Sender] = m.Seq;
            if (++received == senders * perSender) done.TrySetResult();
        }), new MailboxOptions { Capacity = 64 }); // small mailbox: senders contend and wait on backpressure

        using var start = new ManualResetEventSlim();
        var tasks = Enumerable.Range(0, senders).Select(s => Task.Run(async () =>
        {
            start.Wait();
            for (var i = 0; i < perSender; i++) await actor.TellAsync((s, i));
        })).ToArray();
        start.Set();
        await Task.WhenAll(tasks).Within();
        await done.Task.Within();

        Assert.Equal(0, violations);
        Assert.All(last, l => Assert.Equal(perSender - 1, l));
    }

    [Fact]
    public async Task Receive_IsNeverRunConcurrently_AndStateNeedsNoLocks()
    {
        const int senders = 8, perSender = 5_000;
        await using var system = new ActorSystem("test");
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var inside = 0;
        var maxInside = 0;
        var plainCounter = 0; // deliberately not atomic: correct only if Receive is serialised with happens-before
        var actor = system.Spawn<int>("serial", () => new LambdaActor<int>(_ =>
        {
            var now = Interlocked.Increment(ref inside);
            if (now > maxInside) maxInside = now;
            Thread.SpinWait(20); // widen the window in which an overlapping Receive would be caught
            plainCounter++;
            Interlocked.Decrement(ref inside);
            if (plainCounter == senders * perSender) done.TrySetResult();
        }));

        var tasks = Enumerable.Range(0, senders).Select(_ => Task.Run(async () =>
        {
            for (var i = 0; i < perSender; i++)
                if (!actor.TryTell(i)) await actor.TellAsync(i);
        })).ToArray();
        await Task.WhenAll(tasks).Within();
        await done.Task.Within();

        Assert.Equal(1, maxInside);
        Assert.Equal(senders * perSender, plainCounter);
    }
}
