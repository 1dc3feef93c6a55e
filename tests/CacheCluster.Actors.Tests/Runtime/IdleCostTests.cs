using System.Diagnostics;

namespace CacheCluster.Actors.Tests.Runtime;

/// <summary>Runs alone: thread-pool numbers are process-wide, so parallel tests would blur them.</summary>
[CollectionDefinition(nameof(IdleCostTests), DisableParallelization = true)]
public sealed class IdleCostCollection;

[Collection(nameof(IdleCostTests))]
public sealed class IdleCostTests
{
    [Fact]
    public async Task IdleActors_HoldNoThreads_AndDoNoWork()
    {
        const int shards = 256;
        await using var system = new ActorSystem("test");
        var threadsBefore = OsThreadCount();
        var actors = Enumerable.Range(0, shards)
            .Select(i => system.Spawn<TaskCompletionSource<int>>($"shard-{i}", () => new LambdaActor<TaskCompletionSource<int>>(r => r.TrySetResult(i))))
            .ToArray();

        // Every loop has started and handled a message, so each is now parked on an empty mailbox.
        var replies = await Task.WhenAll(actors.Select(a => a.AskAsync<int>(r => r, TestTimeouts.Long)));
        Assert.Equal(Enumerable.Range(0, shards), replies);

        var workBefore = ThreadPool.CompletedWorkItemCount;
        await Task.Delay(200);
        var idleWork = ThreadPool.CompletedWorkItemCount - workBefore;

        // A thread (or a polling loop) per actor would show up as hundreds here.
        Assert.InRange(OsThreadCount() - threadsBefore, int.MinValue, 32);
        Assert.InRange(idleWork, 0, 64);
    }

    // All OS threads, not just ThreadPool.ThreadCount: a dedicated (LongRunning) thread per actor must show up too.
    private static int OsThreadCount()
    {
        using var process = Process.GetCurrentProcess();
        return process.Threads.Count;
    }
}
