using System.Threading.Channels;

namespace CacheCluster.Actors;

/// <summary>Thread-safe handle for sending messages to an actor. Stays valid across restarts.</summary>
public sealed class ActorRef<TMessage>
{
    private readonly ActorCell<TMessage> _cell;
    private readonly ChannelWriter<TMessage> _mailbox;

    internal ActorRef(ActorCell<TMessage> cell, ChannelWriter<TMessage> mailbox)
    {
        _cell = cell;
        _mailbox = mailbox;
    }

    public string Name => _cell.Name;

    /// <summary>How many times the actor has been restarted after a failure (for metrics).</summary>
    public int Restarts => _cell.Restarts;

    internal ActorCell<TMessage> Cell => _cell;

    /// <summary>Enqueues without waiting. False when the mailbox is full or the actor is stopped.</summary>
    public bool TryTell(TMessage message) => _mailbox.TryWrite(message);

    /// <summary>Enqueues, waiting for mailbox space (backpressure). Throws <see cref="ActorStoppedException"/> if stopped.</summary>
    public ValueTask TellAsync(TMessage message, CancellationToken cancellationToken = default) =>
        _mailbox.TryWrite(message) ? ValueTask.CompletedTask : TellSlowAsync(message, cancellationToken);

    private async ValueTask TellSlowAsync(TMessage message, CancellationToken cancellationToken)
    {
        try
        {
            await _mailbox.WriteAsync(message, cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            throw new ActorStoppedException(Name);
        }
    }

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
