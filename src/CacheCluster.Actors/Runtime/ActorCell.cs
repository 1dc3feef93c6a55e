using System.Threading.Channels;
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
/// Runtime side of one actor: its bounded mailbox, the processing loop, and supervision
/// (Akka's default "restart" directive: drop the failing message, replace the instance, go on).
/// </summary>
internal sealed class ActorCell<TMessage> : IActorCell
{
    // Messages handled before yielding the thread, so one busy actor cannot monopolise a pool thread.
    private const int Throughput = 64;

    [ThreadStatic] internal static ActorCell<TMessage>? Constructing;

    private readonly Channel<TMessage> _mailbox;
    private readonly Func<Actor<TMessage>> _factory;
    private readonly Action<IActorCell> _onTerminated;
    private Actor<TMessage>? _actor; // null once initialisation failed: the actor is then stopped
    private int _restarts;
    private volatile bool _stopped;

    public ActorCell(string name, Func<Actor<TMessage>> factory, MailboxOptions options, ILogger log, Action<IActorCell> onTerminated)
    {
        Name = name;
        Log = log;
        _factory = factory;
        _onTerminated = onTerminated;
        _mailbox = Channel.CreateBounded<TMessage>(new BoundedChannelOptions(options.Capacity)
        {
            SingleReader = true,
            SingleWriter = false,
            FullMode = BoundedChannelFullMode.Wait, // backpressure, never unbounded growth
            AllowSynchronousContinuations = false,  // a sender must never end up running the actor loop inline
        });
        Self = new ActorRef<TMessage>(this, _mailbox.Writer);
        _actor = CreateInstance(); // a throwing factory fails Spawn itself
    }

    public string Name { get; }
    public ILogger Log { get; }
    public ActorRef<TMessage> Self { get; }
    public int Restarts => Volatile.Read(ref _restarts);
    public Task Completion { get; private set; } = Task.CompletedTask;
    public bool IsStopped => _stopped;

    public void Start()
    {
        // Don't let the spawner's AsyncLocals (log scopes, activities) live on in the actor loop forever.
        using (ExecutionContext.SuppressFlow())
            Completion = Task.Run(RunAsync);
    }

    /// <summary>Completes the mailbox: queued messages are still processed, new ones are refused.</summary>
    public void Stop()
    {
        _stopped = true;
        _mailbox.Writer.TryComplete();
    }

    private async Task RunAsync()
    {
        try
        {
            if (TryInitialize(static (actor, _) => actor.InvokePreStart(), null))
                await ProcessMailboxAsync().ConfigureAwait(false);
        }
        finally
        {
            if (_actor is { } actor)
            {
                try { actor.InvokePostStop(); }
                catch (Exception ex) { Log.LogError(ex, "Actor {Actor} failed in PostStop", Name); }
            }
            _onTerminated(this);
        }
    }

    private async Task ProcessMailboxAsync()
    {
        var reader = _mailbox.Reader;
        // WaitToReadAsync returns false only when the mailbox is completed AND drained: that is how Stop drains.
        // While idle the loop is just a pending continuation on the channel: no thread is held.
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            var handled = 0;
            while (handled < Throughput && reader.TryRead(out var message))
            {
                handled++;
                try
                {
                    _actor!.InvokeReceive(message);
                }
                catch (Exception ex)
                {
                    if (!Restart(ex, message)) return;
                }
            }
            try
            {
                _actor?.InvokeAfterBurst();
            }
            catch (Exception ex)
            {
                if (!Restart(ex, default!)) return;
            }
            if (handled == Throughput) await Task.Yield();
        }
    }

    private bool Restart(Exception reason, TMessage message)
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
        return TryInitialize(static (actor, reason) => actor.InvokePostRestart(reason!), reason);
    }

    /// <summary>
    /// Creates (on restart) and initialises the instance. A failure here would only repeat on every retry,
    /// so, like Akka's ActorInitializationException, it stops the actor instead of looping.
    /// </summary>
    private bool TryInitialize(Action<Actor<TMessage>, Exception?> init, Exception? reason)
    {
        try
        {
            var actor = _actor ?? CreateInstance();
            init(actor, reason);
            _actor = actor;
            return true;
        }
        catch (Exception ex)
        {
            _actor = null; // not initialised, so no PostStop
            Stop();
            var dropped = 0;
            while (_mailbox.Reader.TryRead(out _)) dropped++;
            Log.LogError(ex, "Actor {Actor} failed to initialise and is stopped; {Dropped} queued messages dropped", Name, dropped);
            return false;
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
