using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace CacheCluster.Actors;

/// <summary>
/// Owns actors (unique by name) and timers. An actor failure never escapes an actor:
/// it is supervised (restarted) inside that actor's loop, so the system keeps running.
/// </summary>
public sealed class ActorSystem : IAsyncDisposable
{
    private readonly object _gate = new();
    private readonly Dictionary<string, IActorCell> _actors = new(StringComparer.Ordinal);
    private readonly HashSet<IDisposable> _timers = [];
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _log;
    private Task? _disposal;

    public ActorSystem(string name, ILoggerFactory? loggerFactory = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        Name = name;
        _loggerFactory = loggerFactory ?? NullLoggerFactory.Instance;
        _log = _loggerFactory.CreateLogger($"CacheCluster.Actors.{name}");
    }

    public string Name { get; }

    /// <summary>
    /// Creates and starts an actor. <paramref name="factory"/> runs now (its exceptions propagate) and again
    /// on every restart, and must return a new instance each time. PreStart runs on the actor's loop.
    /// </summary>
    public ActorRef<T> Spawn<T>(string name, Func<Actor<T>> factory, MailboxOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(factory);
        // One lock for reservation and start, so DisposeAsync sees every started actor; it is reentrant,
        // so an actor constructor may spawn further actors.
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposal is not null, this);
            if (_actors.ContainsKey(name))
                throw new ArgumentException($"An actor named '{name}' already exists in system '{Name}'.", nameof(name));
            var log = _loggerFactory.CreateLogger($"CacheCluster.Actors.{Name}.{name}");
            var cell = new ActorCell<T>(name, factory, options ?? new MailboxOptions(), log, OnTerminated);
            _actors.Add(name, cell);
            cell.Start();
            return cell.Self;
        }
    }

    /// <summary>Stops an actor gracefully: already-queued messages are processed, then PostStop runs.</summary>
    public Task StopAsync<T>(ActorRef<T> actor)
    {
        ArgumentNullException.ThrowIfNull(actor);
        actor.Cell.Stop();
        return actor.Cell.Completion;
    }

    /// <summary>
    /// Sends <paramref name="message"/>() to <paramref name="target"/> every <paramref name="interval"/> with TryTell:
    /// a tick that finds the mailbox full is dropped, never waited for. Dispose the result to cancel.
    /// </summary>
    public IDisposable ScheduleTellRepeatedly<T>(ActorRef<T> target, TimeSpan initialDelay, TimeSpan interval, Func<T> message)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(message);
        ArgumentOutOfRangeException.ThrowIfLessThan(initialDelay, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(interval, TimeSpan.Zero);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposal is not null, this);
            var timer = new RepeatingTell<T>(target, initialDelay, interval, message, _log, RemoveTimer);
            _timers.Add(timer);
            return timer;
        }
    }

    /// <summary>Cancels all timers, stops all actors (each drains its mailbox) and waits for their loops to end.</summary>
    public ValueTask DisposeAsync()
    {
        lock (_gate)
        {
            // Snapshot under the lock, run outside it (Task.Run): stopping takes other locks.
            if (_disposal is null)
            {
                IDisposable[] timers = [.. _timers];
                IActorCell[] actors = [.. _actors.Values];
                _disposal = Task.Run(() => DisposeCoreAsync(timers, actors));
            }
            return new ValueTask(_disposal);
        }
    }

    private static async Task DisposeCoreAsync(IDisposable[] timers, IActorCell[] actors)
    {
        foreach (var timer in timers) timer.Dispose();
        foreach (var actor in actors) actor.Stop();
        await Task.WhenAll(actors.Select(a => a.Completion)).ConfigureAwait(false);
    }

    // Frees the name once the loop has ended, unless it was already reused.
    private void OnTerminated(IActorCell cell)
    {
        lock (_gate)
        {
            if (_actors.TryGetValue(cell.Name, out var current) && ReferenceEquals(current, cell))
                _actors.Remove(cell.Name);
        }
        _log.LogDebug("Actor {Actor} stopped", cell.Name);
    }

    private void RemoveTimer(IDisposable timer)
    {
        lock (_gate) _timers.Remove(timer);
    }
}
