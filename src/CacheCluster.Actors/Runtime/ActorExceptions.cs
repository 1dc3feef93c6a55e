namespace CacheCluster.Actors;

/// <summary>The target actor has stopped (or is stopping) and accepts no more messages.</summary>
public sealed class ActorStoppedException(string actorName)
    : InvalidOperationException($"Actor '{actorName}' is stopped.")
{
    public string ActorName { get; } = actorName;
}

/// <summary>No reply arrived within the ask timeout (including time spent waiting for mailbox space).</summary>
public sealed class AskTimeoutException(string actorName, TimeSpan timeout)
    : TimeoutException($"Ask to actor '{actorName}' timed out after {timeout.TotalMilliseconds:0} ms.")
{
    public string ActorName { get; } = actorName;
    public TimeSpan Timeout { get; } = timeout;
}
