namespace CacheCluster.Persistence.Journal;

/// <summary>Waits for the commit of the events it was submitted with (durability always).</summary>
public interface ICommitWaiter
{
    /// <summary>The events are committed and fsynced.</summary>
    void Committed();

    /// <summary>The events were not stored; <paramref name="reason"/> is SQLite's message.</summary>
    void Failed(string reason);
}
