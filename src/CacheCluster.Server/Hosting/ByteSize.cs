using System.Globalization;

namespace CacheCluster.Server.Hosting;

/// <summary>Redis-style memory sizes: 0, 1048576, 100kb, 100mb, 2gb, 1k, 1m, 1g (case-insensitive).</summary>
public static class ByteSize
{
    public static bool TryParse(string text, out long bytes)
    {
        bytes = 0;
        var s = text.Trim().ToLowerInvariant();
        long unit = 1;
        foreach (var (suffix, mult) in Units)
        {
            if (s.EndsWith(suffix, StringComparison.Ordinal))
            {
                unit = mult;
                s = s[..^suffix.Length];
                break;
            }
        }
        if (s.Length == 0 || !long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out long n)) return false;
        if (n > long.MaxValue / unit) return false;
        bytes = n * unit;
        return true;
    }

    static readonly (string, long)[] Units =
    [
        ("kb", 1024L), ("mb", 1024L * 1024), ("gb", 1024L * 1024 * 1024),
        ("k", 1000L), ("m", 1000L * 1000), ("g", 1000L * 1000 * 1000), ("b", 1),
    ];

    public static string Format(long bytes) => bytes switch
    {
        >= 1L << 30 when bytes % (1L << 30) == 0 => $"{bytes >> 30}gb",
        >= 1L << 20 when bytes % (1L << 20) == 0 => $"{bytes >> 20}mb",
        >= 1L << 10 when bytes % (1L << 10) == 0 => $"{bytes >> 10}kb",
        _ => bytes.ToString(CultureInfo.InvariantCulture),
    };
}
