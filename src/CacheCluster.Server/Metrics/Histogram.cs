using System.Diagnostics;

namespace CacheCluster.Server.Metrics;

/// <summary>
/// A lock-free, allocation-free histogram with fixed bucket bounds, for Prometheus. Values are
/// recorded in raw integer units (Stopwatch ticks for durations, plain counts otherwise): one
/// bucket <see cref="Interlocked.Increment(ref long)"/> and one <see cref="Interlocked.Add(ref long, long)"/>
/// of the sum per observation. The exporter converts raw units with <see cref="UnitsPerExported"/>.
/// A snapshot is racy but self-consistent where Prometheus checks it: its count is the sum of its
/// buckets, so the +Inf bucket always equals _count.
/// </summary>
public sealed class Histogram
{
    readonly long[] _rawBounds;     // upper bound of each finite bucket, raw units, ascending (le = "less or equal")
    readonly long[] _counts;        // per bucket, not cumulative; the last one is +Inf
    long _sum;

    /// <param name="bounds">Finite upper bounds in exported units (seconds, events), strictly ascending.</param>
    /// <param name="unitsPerExported">Raw units per exported unit (<see cref="Stopwatch.Frequency"/> for seconds, 1 for counts).</param>
    public Histogram(double[] bounds, double unitsPerExported)
    {
        if (bounds.Length == 0) throw new ArgumentException("a histogram needs at least one finite bucket", nameof(bounds));
        for (int i = 1; i < bounds.Length; i++)
            if (!(bounds[i] > bounds[i - 1])) throw new ArgumentException("bucket bounds must be strictly ascending", nameof(bounds));
        Bounds = (double[])bounds.Clone();
        UnitsPerExported = unitsPerExported;
        _rawBounds = new long[bounds.Length];
        for (int i = 0; i < bounds.Length; i++) _rawBounds[i] = (long)Math.Floor(bounds[i] * unitsPerExported);
        _counts = new long[bounds.Length + 1];
    }

    /// <summary>A histogram of durations in seconds, recorded as Stopwatch ticks.</summary>
    public static Histogram Seconds(params double[] bounds) => new(bounds, Stopwatch.Frequency);

    /// <summary>A histogram of plain counts (events per commit, ...).</summary>
    public static Histogram Counts(params double[] bounds) => new(bounds, 1);

    /// <summary>Finite bucket bounds, in exported units.</summary>
    public IReadOnlyList<double> Bounds { get; }
    public double UnitsPerExported { get; }

    /// <summary>Records one observation in raw units (a negative value counts as 0).</summary>
    public void Record(long raw)
    {
        if (raw < 0) raw = 0;
        var bounds = _rawBounds;
        int i = 0;
        while (i < bounds.Length && raw > bounds[i]) i++;   // a dozen or so bounds: a scan beats a binary search
        Interlocked.Increment(ref _counts[i]);
        Interlocked.Add(ref _sum, raw);
    }

    /// <summary>Records the time since <paramref name="startTimestamp"/> (a <see cref="Stopwatch.GetTimestamp"/>).</summary>
    public void RecordSince(long startTimestamp) => Record(Stopwatch.GetTimestamp() - startTimestamp);

    /// <summary>Records a value in exported units (seconds for a duration histogram).</summary>
    public void RecordExported(double value) =>
        Record(double.IsFinite(value) ? (long)Math.Round(Math.Max(0, value) * UnitsPerExported) : 0);

    /// <summary>Reads the buckets (cumulative, as Prometheus wants them), the count and the sum.</summary>
    public HistogramSnapshot Snapshot()
    {
        var cumulative = new long[_counts.Length];
        long running = 0;
        for (int i = 0; i < _counts.Length; i++)
        {
            running += Volatile.Read(ref _counts[i]);
            cumulative[i] = running;
        }
        return new HistogramSnapshot(Bounds, cumulative, running, Interlocked.Read(ref _sum) / UnitsPerExported);
    }
}

/// <summary>
/// One reading of a <see cref="Histogram"/>: <see cref="Cumulative"/>[i] observations were ≤
/// <see cref="Bounds"/>[i]; the last entry is the +Inf bucket and equals <see cref="Count"/>.
/// </summary>
public sealed record HistogramSnapshot(IReadOnlyList<double> Bounds, long[] Cumulative, long Count, double Sum);
