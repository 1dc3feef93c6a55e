using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace CacheCluster.Actors;

/// <summary>
/// Base class for actors. The runtime calls <see cref="Receive"/> and the lifecycle hooks
/// one at a time, so an actor's state needs no locking. Hooks follow Akka's defaults:
/// <see cref="PreRestart"/> calls <see cref="PostStop"/> and <see cref="PostRestart"/> calls
/// <see cref="PreStart"/>, so resources acquired in PreStart are released and re-acquired across a restart.
/// </summary>
public abstract class Actor<TMessage>
{
    private ActorRef<TMessage>? _self;
    private ILogger _log = NullLogger.Instance;

    protected Actor()
    {
        // Set while ActorSystem runs the factory, so Self and Log work inside constructors too.
        if (ActorCell<TMessage>.Constructing is { } cell) Attach(cell.Self, cell.Log);
    }

    /// <summary>This actor's own reference (stable across restarts).</summary>
    protected ActorRef<TMessage> Self =>
        _self ?? throw new InvalidOperationException("Self is only available to actors created by ActorSystem.Spawn.");

    /// <summary>Logger for this actor; a no-op logger when the system has no logger factory.</summary>
    protected ILogger Log => _log;

    /// <summary>Handles one message. Must not block: it runs on a shared thread-pool thread.</summary>
    protected abstract void Receive(TMessage message);

    /// <summary>Runs before the first message (and, by default, from PostRestart).</summary>
    protected virtual void PreStart() { }

    /// <summary>Runs after the last message when the actor stops (and, by default, from PreRestart).</summary>
    protected virtual void PostStop() { }

    /// <summary>
    /// Runs on the FAILED instance before it is replaced; <paramref name="message"/> is the message whose
    /// Receive threw (it is dropped afterwards), e.g. to fail a pending reply. Exceptions here are logged and ignored.
    /// </summary>
    protected virtual void PreRestart(Exception reason, TMessage message) => PostStop();

    /// <summary>Runs on the NEW instance before it handles the next message.</summary>
    protected virtual void PostRestart(Exception reason) => PreStart();

    /// <summary>
    /// Called after a run of messages, when the mailbox is empty or the actor is about to yield
    /// its thread: the place to do once what every message of the run needs (a shard hands its
    /// recorded events to the journal here).
    /// </summary>
    protected virtual void AfterBurst() { }

    // Runtime entry points: the hooks stay protected for subclasses, the cell calls through these.
    internal void Attach(ActorRef<TMessage> self, ILogger log) => (_self, _log) = (self, log);
    internal void InvokeReceive(TMessage message) => Receive(message);
    internal void InvokePreStart() => PreStart();
    internal void InvokePostStop() => PostStop();
    internal void InvokePreRestart(Exception reason, TMessage message) => PreRestart(reason, message);
    internal void InvokePostRestart(Exception reason) => PostRestart(reason);
    internal void InvokeAfterBurst() => AfterBurst();
}
