namespace CacheCluster.Core;

/// <summary>Wall-clock time in Unix milliseconds; injectable so expiry is testable.</summary>
public interface IClock
{
    long NowMs { get; }
}

public sealed class SystemClock : IClock
{
    public static readonly SystemClock Instance = new();
    public long NowMs => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
}

/// <summary>A clock tests move by hand.</summary>
public sealed class ManualClock(long startMs = 1_700_000_000_000) : IClock
{
    public long NowMs { get; set; } = startMs;
    public void Advance(long ms) => NowMs += ms;
}
