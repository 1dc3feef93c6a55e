using Microsoft.Extensions.Logging;

namespace CacheCluster.Actors;

/// <summary>Non-generic view of a cell, so the system can stop actors of any message type.</summary>
internal interface IActorCell
{
    string Name { get; }
    Task Completion { get; }
    void Stop();
}

/// <summary>
/// Runtime side of one actor: its mailbox (ActorCell.Mailbox.cs), lifecycle and supervision
/// (Akka's default "restart" directive: drop the failing message, replace the instance, go on).
/// </summary>
internal sealed partial class ActorCell<TMessage> : IActorCell
{
    // Messages handled before yielding the thread, so one busy actor cannot monopolise a pool thread.
    private const int Throughput = 64;

    [ThreadStatic] internal static ActorCell<TMessage>? Constructing;

    private readonly Func<Actor<TMessage>> _factory;
    private readonly Action<IActorCell> _onTerminated;
    private readonly TaskCompletionSource _terminated = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Actor<TMessage>? _actor; // null once initialisation failed: the actor is then stopped
    private bool _initialized;       // PreStart has been attempted (by the first run)
    private int _restarts;
    private int _dropped;
    private volatile bool _stopped;

    public ActorCell(string name, Func<Actor<TMessage>> factory, MailboxOptions options, ILogger log, Action<IActorCell> onTerminated)
    {
        Name = name;
        Log = log;
        _factory = factory;
        _onTerminated = onTerminated;
        _capacity = options.Capacity;
        Self = new ActorRef<TMessage>(this);
        _actor = CreateInstance(); // a throwing factory fails Spawn itself
    }

    public string Name { get; }
    public ILogger Log { get; }
    public ActorRef<TMessage> Self { get; }
    public int Restarts => Volatile.Read(ref _restarts);
    public Task Completion => _terminated.Task;
    public bool IsStopped => _stopped;

    /// <summary>The first run does PreStart; the status stays Busy until then, so nothing runs before it.</summary>
    public void Start() => ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);

    /// <summary>Closes the mailbox: queued messages are still processed, new ones are refused.</summary>
    public void Stop()
    {
        _stopped = true;
        SignalSpace();      // waiting senders learn at once that the actor is stopping
        Schedule();         // an idle actor terminates now
    }

    private void Invoke(TMessage message)
    {
        try
        {
            _actor!.InvokeReceive(message);
        }
        catch (Exception ex)
        {
            Restart(ex, message);
        }
    }

    private void AfterBurst()
    {
        try
        {
            _actor?.InvokeAfterBurst();
        }
        catch (Exception ex)
        {
            Restart(ex, default!);
        }
    }

    private void Terminate()
    {
        if (_dropped > 0) Log.LogError("Actor {Actor} is stopped; {Dropped} queued messages dropped", Name, _dropped);
        if (_actor is { } actor)
        {
            try { actor.InvokePostStop(); }
            catch (Exception ex) { Log.LogError(ex, "Actor {Actor} failed in PostStop", Name); }
        }
        SignalSpace();
        _onTerminated(this);
        _terminated.TrySetResult();
    }

    private void Restart(Exception reason, TMessage message)
    {
        var restarts = Interlocked.Increment(ref _restarts);
        Log.LogError(reason, "Actor {Actor} failed processing {MessageType}; restarting (restart #{Restarts}), the message is dropped",
            Name, message?.GetType().Name, restarts);
        try
        {
            _actor!.InvokePreRestart(reason, message);
        }
        catch (Exception ex)
        {
            Log.LogError(ex, "Actor {Actor} failed in PreRestart; ignored", Name);
        }
        _actor = null;
        TryInitialize(static (actor, reason) => actor.InvokePostRestart(reason!), reason);
    }

    /// <summary>
    /// Creates (on restart) and initialises the instance. A failure here would only repeat on every retry,
    /// so, like Akka's ActorInitializationException, it stops the actor (what is queued is dropped) instead of looping.
    /// </summary>
    private void TryInitialize(Action<Actor<TMessage>, Exception?> init, Exception? reason)
    {
        try
        {
            var actor = _actor ?? CreateInstance();
            init(actor, reason);
            _actor = actor;
        }
        catch (Exception ex)
        {
            _actor = null; // not initialised, so no PostStop
            _stopped = true;
            SignalSpace();
            Log.LogError(ex, "Actor {Actor} failed to initialise and is stopped", Name);
        }
    }

    private Actor<TMessage> CreateInstance()
    {
        var outer = Constructing; // restore afterwards: a constructor may itself spawn actors
        Constructing = this;
        try
        {
            var actor = _factory() ?? throw new InvalidOperationException($"Factory of actor '{Name}' returned null.");
            actor.Attach(Self, Log);
            return actor;
        }
        finally
        {
            Constructing = outer;
        }
    }
}
