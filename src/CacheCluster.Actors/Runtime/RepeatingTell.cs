using Microsoft.Extensions.Logging;

namespace CacheCluster.Actors;

/// <summary>
/// A periodic TryTell driven by a <see cref="Timer"/> (no thread held between ticks).
/// A tick that finds the mailbox full is dropped: a periodic tick must never block or pile up.
/// </summary>
internal sealed class RepeatingTell<TMessage> : IDisposable
{
    private readonly object _gate = new();
    private readonly ActorRef<TMessage> _target;
    private readonly Func<TMessage> _message;
    private readonly ILogger _log;
    private readonly Action<IDisposable> _onDisposed;
    private readonly Timer _timer;
    private bool _disposed;

    public RepeatingTell(ActorRef<TMessage> target, TimeSpan initialDelay, TimeSpan interval, Func<TMessage> message,
        ILogger log, Action<IDisposable> onDisposed)
    {
        _target = target;
        _message = message;
        _log = log;
        _onDisposed = onDisposed;
        // The system keeps this object (and so the Timer) reachable: an unreachable Timer is finalised and stops.
        _timer = new Timer(static state => ((RepeatingTell<TMessage>)state!).Tick(), this, Timeout.Infinite, Timeout.Infinite);
        _timer.Change(initialDelay, interval);
    }

    private void Tick()
    {
        var targetStopped = false;
        // The lock makes Dispose a hard barrier (no tick is enqueued after it returns); TryTell never blocks.
        lock (_gate)
        {
            if (_disposed) return;
            try
            {
                if (!_target.TryTell(_message()))
                {
                    targetStopped = _target.Cell.IsStopped;
                    if (!targetStopped) _log.LogDebug("Tick for actor {Actor} dropped: mailbox full", _target.Name);
                }
            }
            catch (Exception ex)
            {
                // An exception escaping a Timer callback would crash the process.
                _log.LogError(ex, "Scheduled message for actor {Actor} failed", _target.Name);
            }
        }
        if (targetStopped) Dispose();
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
        }
        _timer.Dispose();
        _onDisposed(this);
    }
}
