namespace CacheCluster.Cluster.Membership;

/// <summary>
/// Phi accrual failure detector (Hayashibara et al.), with the semantics of Akka.NET's
/// <c>PhiAccrualFailureDetector</c>: a bounded history of heartbeat intervals (seeded on the first heartbeat
/// with <c>firstHeartbeatEstimate ± firstHeartbeatEstimate/4</c>), phi computed with the logistic approximation
/// of the normal CDF over <c>mean + acceptableHeartbeatPause</c> and <c>max(stdDeviation, minStdDeviation)</c>;
/// an interval is only added to the history when the heartbeat arrives while the monitored node is still
/// considered available. Not thread-safe; no clock of its own (the caller passes <c>nowMs</c>).
/// </summary>
public sealed class PhiAccrualFailureDetector
{
    private readonly double _threshold;
    private readonly int _maxSampleSize;
    private readonly double _minStdDeviationMs;
    private readonly double _acceptableHeartbeatPauseMs;
    private readonly double _firstHeartbeatEstimateMs;

    private readonly Queue<long> _intervals = new();
    private long _intervalSum;
    private long _squaredIntervalSum;
    private long _lastHeartbeatMs;

    public PhiAccrualFailureDetector(double threshold = 8.0, int maxSampleSize = 200, double minStdDeviationMs = 100,
        double acceptableHeartbeatPauseMs = 2000, double firstHeartbeatEstimateMs = 500)
    {
        if (!(threshold > 0)) throw new ArgumentOutOfRangeException(nameof(threshold), threshold, "must be > 0");
        if (maxSampleSize < 1) throw new ArgumentOutOfRangeException(nameof(maxSampleSize), maxSampleSize, "must be >= 1");
        if (!(minStdDeviationMs > 0)) throw new ArgumentOutOfRangeException(nameof(minStdDeviationMs), minStdDeviationMs, "must be > 0");
        if (!(acceptableHeartbeatPauseMs >= 0)) throw new ArgumentOutOfRangeException(nameof(acceptableHeartbeatPauseMs), acceptableHeartbeatPauseMs, "must be >= 0");
        if (!(firstHeartbeatEstimateMs > 0)) throw new ArgumentOutOfRangeException(nameof(firstHeartbeatEstimateMs), firstHeartbeatEstimateMs, "must be > 0");
        _threshold = threshold;
        _maxSampleSize = maxSampleSize;
        _minStdDeviationMs = minStdDeviationMs;
        _acceptableHeartbeatPauseMs = acceptableHeartbeatPauseMs;
        _firstHeartbeatEstimateMs = firstHeartbeatEstimateMs;
    }

    /// <summary>A heartbeat has arrived.</summary>
    public bool IsMonitoring { get; private set; }

    public double Threshold => _threshold;

    public void Heartbeat(long nowMs)
    {
        if (!IsMonitoring)
        {
            // Bootstrap the history so phi is meaningful from the second heartbeat on (as Akka does).
            long mean = (long)_firstHeartbeatEstimateMs;
            long stdDeviation = mean / 4;
            Add(mean - stdDeviation);
            Add(mean + stdDeviation);
        }
        else
        {
            long interval = Math.Max(0, nowMs - _lastHeartbeatMs);
            // A heartbeat arriving after the node was already considered dead does not teach us its interval.
            if (IsAvailable(nowMs)) Add(interval);
        }
        _lastHeartbeatMs = nowMs;
        IsMonitoring = true;
    }

    /// <summary>Suspicion level; 0 before the first heartbeat.</summary>
    public double Phi(long nowMs)
    {
        if (!IsMonitoring) return 0.0;
        double timeDiff = nowMs - _lastHeartbeatMs;
        int n = _intervals.Count;
        double mean = (double)_intervalSum / n;
        double variance = (double)_squaredIntervalSum / n - mean * mean;
        double stdDeviation = Math.Max(Math.Sqrt(Math.Max(0.0, variance)), _minStdDeviationMs);
        return Phi(timeDiff, mean + _acceptableHeartbeatPauseMs, stdDeviation);
    }

    /// <summary>Phi below the threshold (true before the first heartbeat).</summary>
    public bool IsAvailable(long nowMs) => Phi(nowMs) < _threshold;

    /// <summary>-log10(1 - F(timeDiff)) with F the logistic approximation of the normal CDF (Akka's formula).</summary>
    internal static double Phi(double timeDiff, double mean, double stdDeviation)
    {
        double y = (timeDiff - mean) / stdDeviation;
        double e = Math.Exp(-y * (1.5976 + 0.070566 * y * y));
        return timeDiff > mean
            ? -Math.Log10(e / (1.0 + e))
            : -Math.Log10(1.0 - 1.0 / (1.0 + e));
    }

    private void Add(long interval)
    {
        if (_intervals.Count >= _maxSampleSize)
        {
            long dropped = _intervals.Dequeue();
            _intervalSum -= dropped;
            _squaredIntervalSum -= dropped * dropped;
        }
        _intervals.Enqueue(interval);
        _intervalSum += interval;
        _squaredIntervalSum += interval * interval;
    }
}
