namespace CacheCluster.Core;

/// <summary>memcached's expiration rule, shared by its binary, text and meta decoders.</summary>
public static class MemcachedTime
{
    /// <summary>Beyond 30 days an expiration is an absolute Unix time, not a relative one.</summary>
    public const long RelativeLimitSeconds = 60 * 60 * 24 * 30;

    /// <summary>Absolute expiry in Unix ms for an expiration field: 0 = never; negative or past = already expired (1).</summary>
    public static long ToAbsoluteMs(long exptime, long nowMs)
    {
        if (exptime == 0) return 0;
        if (exptime < 0) return 1;
        if (exptime > RelativeLimitSeconds)
        {
            long abs = exptime * 1000;
            return abs <= nowMs ? 1 : abs;
        }
        return nowMs + exptime * 1000;
    }
}
