using System.Text;
using CacheCluster.Integration.Tests.Memcached.Harness;

namespace CacheCluster.Integration.Tests.Memcached.Differential;

public sealed record McMismatch(int Index, McRequest Request, string ReferenceRequest, string SubjectRequest,
    IReadOnlyList<string> Expected, bool ExpectedClosed, IReadOnlyList<string> Actual, bool ActualClosed, string Reason)
{
    /// <summary>The requests just before this one since the last re-sync (what put the keys into their state).</summary>
    public IReadOnlyList<string> Before { get; init; } = Array.Empty<string>();
}

public sealed class McDiffReport
{
    public string Label { get; init; } = "";
    public int Executed { get; set; }
    public List<McMismatch> Mismatches { get; } = new();
    public int TotalMismatches { get; set; }
    public string? AbortReason { get; set; }
    public List<string> HistoryBeforeFirstMismatch { get; } = new();
    public Dictionary<string, int> TemplateCounts { get; } = new();
    public Dictionary<string, int> MismatchesByTemplate { get; } = new();
    public int Resyncs { get; set; }
    public int Reconnects { get; set; }

    public bool Ok => TotalMismatches == 0 && AbortReason == null;

    public string Describe(int maxShown = 15)
    {
        var sb = new StringBuilder();
        sb.AppendLine($"{Label}: executed {Executed} requests, {TotalMismatches} mismatches, {Reconnects} reconnects{(AbortReason != null ? ", ABORTED: " + AbortReason : "")}");
        if (MismatchesByTemplate.Count > 0)
            sb.AppendLine("  mismatches by template: " + string.Join(", ", MismatchesByTemplate.OrderByDescending(kv => kv.Value).Select(kv => $"{kv.Key}={kv.Value}")) +
                          (Resyncs > 0 ? $" (after each mismatch every pool key was deleted on both servers: {Resyncs}x)" : ""));
        foreach (var m in Mismatches.Take(maxShown))
        {
            sb.AppendLine($"  #{m.Index} [{m.Request.Template}] {m.ReferenceRequest}");
            if (m.SubjectRequest != m.ReferenceRequest) sb.AppendLine($"      (as sent to the subject: {m.SubjectRequest})");
            sb.AppendLine($"      memcached: {Show(m.Expected, m.ExpectedClosed)}");
            sb.AppendLine($"      subject  : {Show(m.Actual, m.ActualClosed)}");
            sb.AppendLine($"      ({m.Reason})");
            if (m.Index != Mismatches[0].Index && m.Before.Count > 0)
            {
                sb.AppendLine("      after:");
                var shown = int.TryParse(Environment.GetEnvironmentVariable("CACHECLUSTER_MC_DIFF_HISTORY"), out var h) ? Math.Max(h, 1) : 6;
                foreach (var b in m.Before.TakeLast(shown)) sb.AppendLine("        " + b);
            }
        }
        if (HistoryBeforeFirstMismatch.Count > 0)
        {
            sb.AppendLine("  requests leading to the first mismatch:");
            foreach (var h in HistoryBeforeFirstMismatch) sb.AppendLine("    " + h);
        }
        sb.AppendLine("  requests per template: " + string.Join(", ", TemplateCounts.OrderBy(kv => kv.Key).Select(kv => $"{kv.Key}={kv.Value}")));
        return sb.ToString();
    }

    public static string Show(IReadOnlyList<string> items, bool closed) =>
        "[" + string.Join(" | ", items) + "]" + (closed ? " +CLOSED" : "");
}

/// <summary>
/// Sends one request stream to a reference memcached and to a subject over one connection each (binary or text),
/// every request followed by a marker (NOOP with a marker opaque / "mn"), and compares the normalized replies up to
/// the marker, plus whether the server closed the connection. After a close both sides reconnect; after a mismatch
/// the subject's pool keys are re-synced from memcached so one divergence does not cascade.
/// </summary>
public static class McDiffRunner
{
    private sealed class Side : IAsyncDisposable
    {
        public required int Port { get; init; }
        public required string Name { get; init; }
        public McConnection? Conn { get; set; }
        public McSideState State { get; } = new();

        public async Task ReconnectAsync()
        {
            if (Conn != null) await Conn.DisposeAsync();
            Conn = await McConnection.ConnectAsync(Port);
        }

        public async ValueTask DisposeAsync()
        {
            if (Conn != null) await Conn.DisposeAsync();
        }
    }

    public static async Task FlushAllAsync(int port)
    {
        await using var c = await McConnection.ConnectAsync(port);
        var line = await McText.LineAsync(c, "flush_all\r\n");
        if (line != "OK") throw new InvalidOperationException($"flush_all on port {port} answered '{line}'");
    }

    public static async Task<McDiffReport> RunAsync(int referencePort, int subjectPort, McDialect dialect, IEnumerable<McRequest> requests,
        IReadOnlyList<byte[]> keyPool, string label, int keepMismatches = 15, int historyLength = 10, bool flushFirst = true, bool resync = true)
    {
        if (flushFirst)
        {
            await FlushAllAsync(referencePort);
            await FlushAllAsync(subjectPort);
        }
        await using var reference = new Side { Port = referencePort, Name = "memcached" };
        await using var subject = new Side { Port = subjectPort, Name = "subject" };
        await reference.ReconnectAsync();
        await subject.ReconnectAsync();

        if (int.TryParse(Environment.GetEnvironmentVariable("CACHECLUSTER_MC_DIFF_HISTORY"), out var h)) historyLength = Math.Clamp(h, 1, 100_000);
        var report = new McDiffReport { Label = label };
        var history = new Queue<string>();
        var index = 0;
        foreach (var req in requests)
        {
            report.TemplateCounts[req.Template] = report.TemplateCounts.GetValueOrDefault(req.Template) + 1;
            var refText = req.Describe(reference.State.Resolve);
            var subText = req.Describe(subject.State.Resolve);

            List<string> expected;
            bool expectedClosed;
            try
            {
                (expected, expectedClosed) = await ExchangeAsync(reference, req);
            }
            catch (Exception e)
            {
                report.AbortReason = $"the reference memcached did not answer #{index} [{req.Template}] {refText}: {e.GetType().Name}: {e.Message} (a harness/generator problem)";
                break;
            }

            List<string> actual;
            bool actualClosed;
            string? failure = null;
            try
            {
                (actual, actualClosed) = await ExchangeAsync(subject, req);
            }
            catch (Exception e)
            {
                (actual, actualClosed) = (new List<string> { $"<{e.GetType().Name}: {e.Message}>" }, false);
                failure = "subject reply unreadable: " + e.GetType().Name;
            }

            var mismatch = failure;
            if (mismatch == null && expectedClosed != actualClosed)
                mismatch = expectedClosed ? "memcached closed the connection, the subject did not" : "the subject closed the connection, memcached did not";
            if (mismatch == null && !expected.SequenceEqual(actual))
                mismatch = "replies differ";

            if (mismatch != null)
            {
                report.TotalMismatches++;
                report.MismatchesByTemplate[req.Template] = report.MismatchesByTemplate.GetValueOrDefault(req.Template) + 1;
                if (report.Mismatches.Count < keepMismatches)
                    report.Mismatches.Add(new McMismatch(index, req, refText, subText, expected, expectedClosed, actual, actualClosed, mismatch) { Before = history.ToList() });
                if (report.HistoryBeforeFirstMismatch.Count == 0) report.HistoryBeforeFirstMismatch.AddRange(history);
            }

            if (mismatch != null || expectedClosed || actualClosed)
            {
                try
                {
                    await reference.ReconnectAsync();
                    await subject.ReconnectAsync();
                    report.Reconnects++;
                    if (mismatch != null && resync)
                    {
                        await ResyncAsync(reference, subject, keyPool);
                        report.Resyncs++;
                        history.Clear();
                    }
                }
                catch (Exception e)
                {
                    report.AbortReason = $"reconnect/re-sync after #{index} failed: {e.GetType().Name}: {e.Message}";
                    report.Executed = index + 1;
                    break;
                }
            }

            history.Enqueue($"#{index} [{req.Template}] {Shorten(refText)} -> {Shorten(McDiffReport.Show(expected, expectedClosed))}");
            if (history.Count > historyLength) history.Dequeue();
            index++;
            report.Executed = index;
        }
        return report;
    }

    private static string Shorten(string s) => s.Length > 220 ? s[..220] + "…" : s;

    private static async Task<(List<string> Items, bool Closed)> ExchangeAsync(Side side, McRequest req)
    {
        var c = side.Conn!;
        var bytes = req.Render(side.State.Resolve);
        var marker = req.Dialect == McDialect.Binary ? McBin.Marker : McText.Marker;
        try
        {
            await c.SendAsync(McBin.Concat(bytes, marker));
        }
        catch (McClosedException)
        {
            // the server may have answered and closed while we were still writing; read what it sent
        }
        if (req.Dialect == McDialect.Binary)
        {
            var (frames, closed) = await McBin.ReadUntilMarkerAsync(c);
            return (McNormalize.Binary(frames, side.State, req), closed);
        }
        var (items, tclosed) = await McText.ReadUntilMarkerAsync(c);
        return (McNormalize.Text(items, side.State, req), tclosed);
    }

    /// <summary>
    /// After a mismatch: delete every pool key on both servers and forget all CAS state, so both continue from the
    /// same (empty) state. (Copying memcached's items over cannot reproduce TTLs, stale/win-token and fetched bits.)
    /// </summary>
    private static async Task ResyncAsync(Side reference, Side subject, IReadOnlyList<byte[]> keyPool)
    {
        foreach (var side in new[] { reference, subject })
        {
            await using var c = await McConnection.ConnectAsync(side.Port);
            foreach (var key in keyPool)
            {
                var del = await McBin.CallAsync(c, McBin.Frame(Op.Delete, key));
                if (del.Status is not (St.Ok or St.KeyNotFound))
                    throw new InvalidOperationException($"{side.Name} DELETE '{Esc.Bytes(key)}' during re-sync answered {del}");
            }
            side.State.Reset();
        }
    }
}
