using System.Collections.Concurrent;

namespace CacheCluster.Actors;

/// <summary>
/// The mailbox, after Akka's: a queue, an admitted-message count (the capacity bound) and a status
/// word that says whether someone holds the actor. Whoever moves the status from Idle to Busy is the
/// only one running the actor until it moves it back, so Receive never runs concurrently; the thread
/// pool runs it for queued messages, and a sender may run it on its own thread
/// (<see cref="TryRunInline"/>) when the actor is idle and nothing is queued, saving two thread
/// wake-ups per request on the cache's hot path.
/// </summary>
internal sealed partial class ActorCell<TMessage> : IThreadPoolWorkItem
{
    const int Idle = 0, Busy = 1, Terminated = 2;
    // _count once the mailbox is closed: far below zero, so late increments stay negative (refused)
    const int Closed = int.MinValue / 2;

    readonly ConcurrentQueue<TMessage> _queue = new();
    readonly int _capacity;
    int _count;             // admitted and not yet taken out; Closed + n after the close
    int _status = Busy;     // held by the start run until PreStart is done
    TaskCompletionSource? _space;   // senders waiting for room (slow path only)

    /// <summary>Nobody holds the actor and nothing is queued (tests wait for this before an inline run).</summary>
    internal bool IsIdleForTests => Volatile.Read(ref _status) == Idle && Volatile.Read(ref _count) == 0;

    /// <summary>Admits a message if there is room and the actor is not stopped, and gets it run.</summary>
    public bool Post(TMessage message)
    {
        if (_stopped) return false;
        int n = Interlocked.Increment(ref _count);
        if (n <= 0 || n > _capacity)
        {
            Interlocked.Decrement(ref _count);
            return false;
        }
        _queue.Enqueue(message);
        Schedule();
        return true;
    }

    /// <summary>
    /// Runs <paramref name="message"/> now on the caller's thread if nobody holds the actor and nothing
    /// is queued (so a sender's earlier messages still come first); false = not run, post it instead.
    /// </summary>
    public bool TryRunInline(TMessage message)
    {
        if (Volatile.Read(ref _count) != 0 || _stopped) return false;
        if (Interlocked.CompareExchange(ref _status, Busy, Idle) != Idle) return false;
        bool ran = _actor != null;      // null: failed to initialise, stopping
        if (ran)
        {
            Invoke(message);
            AfterBurst();
        }
        Release();
        return ran;
    }

    /// <summary>Waits for room, then posts; throws <see cref="ActorStoppedException"/> once the actor stops.</summary>
    public async ValueTask PostAsync(TMessage message, CancellationToken cancel)
    {
        while (true)
        {
            var space = SpaceSignal();      // registered before the retry: a drain after it will signal
            if (Post(message)) return;
            if (_stopped) throw new ActorStoppedException(Name);
            await space.WaitAsync(cancel).ConfigureAwait(false);
        }
    }

    Task SpaceSignal()
    {
        var current = Volatile.Read(ref _space);
        if (current != null) return current.Task;
        var created = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        return (Interlocked.CompareExchange(ref _space, created, null) ?? created).Task;
    }

    void SignalSpace()
    {
        if (Volatile.Read(ref _space) != null) Interlocked.Exchange(ref _space, null)?.TrySetResult();
    }

    void Schedule()
    {
        if (Interlocked.CompareExchange(ref _status, Busy, Idle) == Idle)
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
    }

    /// <summary>A thread-pool run: up to <see cref="Throughput"/> messages, then the thread is given back.</summary>
    void IThreadPoolWorkItem.Execute()
    {
        if (!_initialized)
        {
            _initialized = true;
            TryInitialize(static (actor, _) => actor.InvokePreStart(), null);
        }
        int handled = 0;
        while (handled < Throughput && _queue.TryDequeue(out var message))
        {
            Interlocked.Decrement(ref _count);
            handled++;
            if (_actor != null) Invoke(message);
            else _dropped++;                   // failed to initialise: stopped, the rest is dropped
        }
        if (handled > 0)
        {
            if (_actor != null) AfterBurst();
            SignalSpace();
        }
        Release();
    }

    /// <summary>Gives the actor back; terminates it once stopped and drained; reschedules for what arrived meanwhile.</summary>
    void Release()
    {
        if (_stopped && Interlocked.CompareExchange(ref _count, Closed, 0) == 0)
        {
            Volatile.Write(ref _status, Terminated);
            Terminate();
            return;
        }
        Volatile.Write(ref _status, Idle);
        // a message admitted while we held the actor found it Busy and did not schedule: do it for it
        if (!_queue.IsEmpty || _stopped) Schedule();
    }
}
