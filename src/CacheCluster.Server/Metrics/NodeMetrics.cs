using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using CacheCluster.Core;
using CacheCluster.Server.Hosting;

namespace CacheCluster.Server.Metrics;

/// <summary>
/// The instruments of one node that nothing else keeps: request-batch latency per protocol,
/// memcached errors, and (through a <see cref="MeterListener"/>) the histograms the journal writer
/// and the node links publish as <see cref="System.Diagnostics.Metrics"/> instruments — those
/// layers do not know the host, so they record on static instruments and the host aggregates.
/// Everything else /metrics shows is read from the counters the node already keeps (INFO, stats).
/// </summary>
public sealed class NodeMetrics : IDisposable
{
    static readonly ConditionalWeakTable<NodeState, NodeMetrics> s_byNode = new();

    /// <summary>Meter and instrument names the journal writer and the node links publish (see JournalWriter, Peer).</summary>
    public const string PersistenceMeter = "CacheCluster.Persistence";
    public const string ClusterMeter = "CacheCluster.Cluster";
    public const string JournalCommitDuration = "cachecluster.journal.commit.duration";
    public const string JournalCommitEvents = "cachecluster.journal.commit.events";
    public const string LinkRequestDuration = "cachecluster.cluster.link.request.duration";

    /// <summary>Request batches: 50 µs .. 1 s.</summary>
    static readonly double[] BatchBounds = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];
    /// <summary>Node link round trips: 100 µs .. 10 s (the request timeout).</summary>
    static readonly double[] LinkBounds = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
    /// <summary>Journal transactions (fsync included with durability always): 500 µs .. 10 s.</summary>
    static readonly double[] CommitBounds = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
    static readonly double[] CommitEventBounds = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 50000, 100000];

    readonly MeterListener _listener = new();

    NodeMetrics()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            var target = (instrument.Meter.Name, instrument.Name) switch
            {
                (PersistenceMeter, JournalCommitDuration) => JournalCommitSeconds,
                (PersistenceMeter, JournalCommitEvents) => JournalCommitEventCounts,
                (ClusterMeter, LinkRequestDuration) => LinkRequestSeconds,
                _ => null,
            };
            if (target != null) listener.EnableMeasurementEvents(instrument, target);
        };
        _listener.SetMeasurementEventCallback<double>(static (_, value, _, state) => ((Histogram)state!).RecordExported(value));
        _listener.SetMeasurementEventCallback<long>(static (_, value, _, state) => ((Histogram)state!).RecordExported(value));
        _listener.Start();
        _ = GcPauses;   // GC pauses are timed from start-up on
    }

    /// <summary>The node's metrics (made on first use: the admin endpoint asks at start-up, before recovery).</summary>
    public static NodeMetrics For(NodeState node) => s_byNode.GetValue(node, static _ => new NodeMetrics());

    /// <summary>Request batches from the read that brought them to the flush of their replies.</summary>
    public Histogram RespBatchSeconds { get; } = Histogram.Seconds(BatchBounds);
    public Histogram McBatchSeconds { get; } = Histogram.Seconds(BatchBounds);
    public Histogram LinkRequestSeconds { get; } = Histogram.Seconds(LinkBounds);
    public Histogram JournalCommitSeconds { get; } = Histogram.Seconds(CommitBounds);
    public Histogram JournalCommitEventCounts { get; } = Histogram.Counts(CommitEventBounds);
    public McErrorCounters McErrors { get; } = new();
    /// <summary>GC pauses (process-wide: one listener shared by every node of the process).</summary>
    public GcPauseListener GcPauses => GcPauseListener.Shared;

    public void Dispose() => _listener.Dispose();
}

/// <summary>
/// memcached commands answered with an error, by command (McCounters has none). Errors are rare:
/// the scan over a batch costs one comparison per command, an Interlocked add only per error.
/// </summary>
public sealed class McErrorCounters
{
    /// <summary>Command labels, in slot order (the same names as the memcached command counters).</summary>
    public static readonly string[] Labels = ["get", "set", "touch", "delete", "incr", "decr", "flush", "invalid"];
    const int Get = 0, Set = 1, Touch = 2, Delete = 3, Incr = 4, Decr = 5, Flush = 6, Invalid = 7;

    readonly long[] _errors = new long[Labels.Length];

    /// <summary>Counts the error replies of an executed batch range.</summary>
    public void Count(Command[] commands, Reply[] replies, int from, int to)
    {
        for (int i = from; i < to; i++)
        {
            if (replies[i].Kind != ReplyKind.Error) continue;
            int slot = commands[i].Op switch
            {
                Op.McGet => Get,
                Op.McGat => Get,
                Op.McStore => Set,
                Op.McTouch => Touch,
                Op.McDelete => Delete,
                Op.McIncr => (commands[i].Options & CommandOptions.Decrement) != 0 ? Decr : Incr,
                Op.Flush => Flush,
                _ => -1,
            };
            if (slot >= 0) Interlocked.Increment(ref _errors[slot]);
        }
    }

    /// <summary>A request the codec refused before execution (ERROR, CLIENT_ERROR, a bad binary frame).</summary>
    public void CountInvalid() => Interlocked.Increment(ref _errors[Invalid]);

    public long this[int slot] => Interlocked.Read(ref _errors[slot]);
}
