using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace CacheCluster.Actors.Tests.Runtime;

/// <summary>Actor whose behaviour is a lambda: keeps each test self-contained.</summary>
internal sealed class LambdaActor<T>(Action<T> receive) : Actor<T>
{
    protected override void Receive(T message) => receive(message);
}

internal static class TestTimeouts
{
    // Upper bound for "eventually" waits: only reached when a test is already failing; keeps a bug from hanging the run.
    public static readonly TimeSpan Long = TimeSpan.FromSeconds(30);

    public static Task<T> Within<T>(this Task<T> task) => task.WaitAsync(Long);
    public static Task Within(this Task task) => task.WaitAsync(Long);

    /// <summary>Blocks the calling actor (i.e. its pool thread) until released; used to hold messages in the mailbox.</summary>
    public static void Block(this SemaphoreSlim gate)
    {
        if (!gate.Wait(Long)) throw new TimeoutException("test gate was never released");
    }
}

/// <summary>Captures log entries so tests can assert what supervision reports.</summary>
internal sealed class ListLoggerFactory : ILoggerFactory
{
    public ConcurrentQueue<(LogLevel Level, string Message, Exception? Exception)> Entries { get; } = new();

    public ILogger CreateLogger(string categoryName) => new ListLogger(this);
    public void AddProvider(ILoggerProvider provider) { }
    public void Dispose() { }

    private sealed class ListLogger(ListLoggerFactory owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner.Entries.Enqueue((logLevel, formatter(state, exception), exception));
    }
}
