namespace CacheCluster.Actors;

/// <summary>Thread-safe handle for sending messages to an actor. Stays valid across restarts.</summary>
public sealed class ActorRef<TMessage>
{
    private readonly ActorCell<TMessage> _cell;

    internal ActorRef(ActorCell<TMessage> cell) => _cell = cell;

    public string Name => _cell.Name;

    /// <summary>How many times the actor has been restarted after a failure (for metrics).</summary>
    public int Restarts => _cell.Restarts;

    internal ActorCell<TMessage> Cell => _cell;

    /// <summary>Enqueues without waiting. False when the mailbox is full or the actor is stopped.</summary>
    public bool TryTell(TMessage message) => _cell.Post(message);

    /// <summary>
    /// Runs the message now, on the calling thread, if the actor is idle and has nothing queued
    /// (one actor at a time still holds: the caller takes the actor's turn). False = not run: tell it.
    /// For the hot path (a connection executing its batch on an idle shard); the message must
    /// not make the caller wait for anything.
    /// </summary>
    public bool TryRunInline(TMessage message) => _cell.TryRunInline(message);

    /// <summary>Enqueues, waiting for mailbox space (backpressure). Throws <see cref="ActorStoppedException"/> if stopped.</summary>
    public ValueTask TellAsync(TMessage message, CancellationToken cancellationToken = default) =>
        _cell.Post(message) ? ValueTask.CompletedTask
        : _cell.IsStopped ? ValueTask.FromException(new ActorStoppedException(Name))
        : _cell.PostAsync(message, cancellationToken);

    /// <summary>
    /// Request/reply: <paramref name="createMessage"/> embeds the reply promise in a message; the actor completes it
    /// (preferably with TrySet*). The timeout also covers waiting for mailbox space.
    /// Throws <see cref="AskTimeoutException"/> on timeout and <see cref="ActorStoppedException"/> if the actor is stopped.
    /// </summary>
    public async Task<TReply> AskAsync<TReply>(
        Func<TaskCompletionSource<TReply>, TMessage> createMessage,
        TimeSpan timeout,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(createMessage);
        // Asynchronous continuations: the actor completing the promise must not run the asker's code inline.
        var reply = new TaskCompletionSource<TReply>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            await TellAsync(createMessage(reply), deadline.Token).ConfigureAwait(false);
            return await reply.Task.WaitAsync(deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException ex) when (deadline.IsCancellationRequested)
        {
            // Report the caller's own token (not our linked one), so `when (e.CancellationToken == ct)` filters work.
            if (cancellationToken.IsCancellationRequested) throw new OperationCanceledException(ex.Message, ex, cancellationToken);
            throw new AskTimeoutException(Name, timeout);
        }
    }

    public override string ToString() => $"ActorRef({Name})";
}
