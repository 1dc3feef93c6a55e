using System.Diagnostics.Tracing;

namespace CacheCluster.Server.Metrics;

/// <summary>
/// Times every garbage-collection pause from the runtime's own GC events: an in-process
/// <see cref="EventListener"/> on the "Microsoft-Windows-DotNETRuntime" provider, GC keyword (0x1)
/// at Informational level (the allocation-tick events are Verbose and stay off), so it costs nothing
/// per request: the runtime writes about a dozen small events per GC and the runtime's dispatcher
/// thread hands them to <see cref="OnEventWritten"/>. A pause runs from GCSuspendEEBegin_V1 (event 9,
/// with a GC reason) to the next GCRestartEEEnd_V1 (event 3): a blocking GC is one pause, a
/// background gen2 GC two (its initial suspension and its final mark). Polling
/// <see cref="GC.GetGCMemoryInfo(GCKind)"/> would miss every GC but the last of each kind between
/// two polls, and the maximum pause is what matters.
/// One per process (the GC is); the first <see cref="NodeMetrics"/> starts it.
/// </summary>
public sealed class GcPauseListener : EventListener
{
    const string RuntimeProvider = "Microsoft-Windows-DotNETRuntime";
    const EventKeywords GcKeyword = (EventKeywords)0x1;
    const int GCRestartEEEnd = 3, GCSuspendEEBegin = 9;
    const uint SuspendForGc = 1, SuspendForGcPrep = 6;   // SuspendEE reasons of a GC (others: debugger, profiler, tiering, ...)

    /// <summary>Pause buckets: 100 µs .. 100 ms (the target is no pause above 10 ms).</summary>
    public static readonly double[] PauseBounds = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1];

    static readonly Lazy<GcPauseListener> s_shared = new(static () => new GcPauseListener());

    /// <summary>The process's listener, started on first use.</summary>
    public static GcPauseListener Shared => s_shared.Value;

    // Written by the runtime's event dispatcher thread only; read by scrapes.
    long _suspendedAtTicks;   // DateTime ticks of the pending GC suspension; 0 = none
    long _maxTicks;

    GcPauseListener() { }

    /// <summary>GC pauses, in 100 ns ticks (the events' timestamp resolution).</summary>
    public Histogram Pauses { get; } = new(PauseBounds, TimeSpan.TicksPerSecond);

    /// <summary>The longest pause seen so far, in seconds (0 before the first GC).</summary>
    public double MaxPauseSeconds => Interlocked.Read(ref _maxTicks) / (double)TimeSpan.TicksPerSecond;

    protected override void OnEventSourceCreated(EventSource source)
    {
        // runs in the base constructor for the sources that already exist: touch no instance state here
        if (source.Name == RuntimeProvider) EnableEvents(source, EventLevel.Informational, GcKeyword);
    }

    protected override void OnEventWritten(EventWrittenEventArgs e)
    {
        switch (e.EventId)
        {
            case GCSuspendEEBegin:
                _suspendedAtTicks = IsGcReason(e) ? e.TimeStamp.Ticks : 0;
                break;
            case GCRestartEEEnd:
                long start = _suspendedAtTicks;
                if (start == 0) return;   // a suspension for something else, or one that began before the listener
                _suspendedAtTicks = 0;
                long ticks = e.TimeStamp.Ticks - start;
                if (ticks < 0 || ticks > TimeSpan.TicksPerMinute) return;   // events lost in between: not a pause
                Pauses.Record(ticks);
                if (ticks > Interlocked.Read(ref _maxTicks)) Interlocked.Exchange(ref _maxTicks, ticks);
                break;
        }
    }

    static bool IsGcReason(EventWrittenEventArgs e)
    {
        if (e.Payload is not { Count: > 0 } p || p[0] is not { } reason) return true;   // no payload decoded: assume a GC
        uint r = reason switch { uint u => u, int i => (uint)i, _ => SuspendForGc };
        return r is SuspendForGc or SuspendForGcPrep;
    }

    /// <summary>Writes the pause histogram, the maximum pause and the managed heap's size, free space and commit.</summary>
    public void Write(PrometheusTextWriter w)
    {
        w.Family("cachecluster_gc_pause_seconds", MetricType.Histogram,
            "Garbage-collection pauses (all threads suspended), from the runtime's GC events: one per blocking GC, two per background GC.");
        w.Histogram(Pauses.Snapshot());
        w.Family("cachecluster_gc_pause_max_seconds", MetricType.Gauge, "The longest garbage-collection pause since the node started.")
            .Sample(MaxPauseSeconds);
        var info = GC.GetGCMemoryInfo();
        w.Family("dotnet_gc_heap_size_bytes", MetricType.Gauge, "Managed heap size (fragmentation included) after the last garbage collection.")
            .Sample(info.HeapSizeBytes);
        w.Family("dotnet_gc_fragmentation_bytes", MetricType.Gauge, "Free space inside the managed heap after the last garbage collection (part of the heap size).")
            .Sample(info.FragmentedBytes);
        w.Family("dotnet_gc_committed_bytes", MetricType.Gauge, "Memory the garbage collector has committed for the managed heap, as of the last collection.")
            .Sample(info.TotalCommittedBytes);
    }
}
