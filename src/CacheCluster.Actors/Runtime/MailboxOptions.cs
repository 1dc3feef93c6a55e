namespace CacheCluster.Actors;

/// <summary>Per-actor mailbox settings.</summary>
public sealed record MailboxOptions
{
    /// <summary>
    /// Maximum number of queued messages. A full mailbox pushes back on senders
    /// (TryTell fails, TellAsync waits) instead of growing without bound.
    /// </summary>
    public int Capacity { get; init; } = 1024;
}
