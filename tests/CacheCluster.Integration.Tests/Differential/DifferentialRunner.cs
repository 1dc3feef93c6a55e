using System.Text;
using CacheCluster.Integration.Tests.Infrastructure;

namespace CacheCluster.Integration.Tests.Differential;

public sealed record Mismatch(int Index, RespCommand Command, RespValue? Expected, RespValue? Actual, string Reason);

public sealed class DiffReport
{
    public string Label { get; init; } = "";
    public int Executed { get; set; }
    public List<Mismatch> Mismatches { get; } = new();
    public int TotalMismatches { get; set; }
    public string? AbortReason { get; set; }
    public List<string> RecentHistory { get; } = new();
    public Dictionary<string, int> TemplateCounts { get; } = new();

    public Dictionary<string, int> MismatchesByTemplate { get; } = new();
    public int Resyncs { get; set; }

    public bool Ok => TotalMismatches == 0 && AbortReason == null;

    public string Describe(int maxShown = 10)
    {
        var sb = new StringBuilder();
        sb.AppendLine($"{Label}: executed {Executed} commands, {TotalMismatches} mismatches{(AbortReason != null ? ", ABORTED: " + AbortReason : "")}");
        if (MismatchesByTemplate.Count > 0)
            sb.AppendLine($"  mismatches by template: {string.Join(", ", MismatchesByTemplate.OrderByDescending(kv => kv.Value).Select(kv => $"{kv.Key}={kv.Value}"))}" +
                          (Resyncs > 0 ? $" (subject state re-synced from the reference after each mismatch: {Resyncs}x, so later mismatches are not just consequences of earlier ones)" : ""));
        foreach (var m in Mismatches.Take(maxShown))
        {
            sb.AppendLine($"  #{m.Index} [{m.Command.Template}] {m.Command}");
            sb.AppendLine($"      redis : {m.Expected?.ToString() ?? "(none)"}");
            sb.AppendLine($"      node  : {m.Actual?.ToString() ?? "(none)"}");
            sb.AppendLine($"      ({m.Reason})");
        }
        if (RecentHistory.Count > 0)
        {
            sb.AppendLine("  commands leading to the first mismatch:");
            foreach (var h in RecentHistory) sb.AppendLine("    " + h);
        }
        return sb.ToString();
    }
}

/// <summary>Sends the same command stream to a reference server and a subject server and compares each reply pair.</summary>
public static class DifferentialRunner
{
    /// <summary>
    /// Copies the reference's state into the subject after a mismatch, so one divergence doesn't make every later
    /// command on that key mismatch too. Null: no re-sync.
    /// </summary>
    public delegate Task Resync(RespClient reference, RespClient subject);

    public static async Task<DiffReport> RunAsync(RespClient reference, RespClient subject, IEnumerable<RespCommand> commands, string label, int keepMismatches = 10, int historyLength = 8, Resync? resync = null)
    {
        var report = new DiffReport { Label = label };
        var history = new Queue<string>();
        var index = 0;
        foreach (var cmd in commands)
        {
            report.TemplateCounts[cmd.Template] = report.TemplateCounts.GetValueOrDefault(cmd.Template) + 1;
            if (cmd.Prelude != null)
            {
                try
                {
                    var pe = await reference.CallArgsAsync(cmd.Prelude);
                    var pa = await subject.CallArgsAsync(cmd.Prelude);
                    if (!pe.Equals(pa))
                    {
                        var pcmd = new RespCommand(cmd.Template + "(prelude)", cmd.Prelude, ReplyRules.Exact);
                        report.TotalMismatches++;
                        report.MismatchesByTemplate[pcmd.Template] = report.MismatchesByTemplate.GetValueOrDefault(pcmd.Template) + 1;
                        if (report.Mismatches.Count < keepMismatches) report.Mismatches.Add(new Mismatch(index, pcmd, pe, pa, "replies differ"));
                        if (report.RecentHistory.Count == 0) report.RecentHistory.AddRange(history);
                    }
                }
                catch (Exception e)
                {
                    report.AbortReason = $"prelude of #{index} failed: {e.GetType().Name}: {e.Message}";
                    break;
                }
            }
            RespValue expected;
            try
            {
                expected = await ExecuteAsync(reference, cmd);
            }
            catch (Exception e)
            {
                report.AbortReason = $"reference redis-server failed on #{index} {cmd}: {e.Message}";
                break;
            }

            RespValue actual;
            try
            {
                actual = await ExecuteAsync(subject, cmd);
            }
            catch (Exception e)
            {
                report.TotalMismatches++;
                report.Mismatches.Add(new Mismatch(index, cmd, expected, null, $"subject connection failed: {e.GetType().Name}: {e.Message}"));
                if (report.RecentHistory.Count == 0) report.RecentHistory.AddRange(history);
                report.AbortReason = $"subject stopped answering at #{index}";
                report.Executed = index + 1;
                break;
            }

            var reason = cmd.Rule(expected, actual);
            if (reason != null)
            {
                report.TotalMismatches++;
                report.MismatchesByTemplate[cmd.Template] = report.MismatchesByTemplate.GetValueOrDefault(cmd.Template) + 1;
                if (report.Mismatches.Count < keepMismatches) report.Mismatches.Add(new Mismatch(index, cmd, expected, actual, reason));
                if (report.RecentHistory.Count == 0) report.RecentHistory.AddRange(history);
                if (resync != null)
                {
                    try
                    {
                        await resync(reference, subject);
                        report.Resyncs++;
                    }
                    catch (Exception e)
                    {
                        report.AbortReason = $"re-sync after #{index} failed: {e.Message}";
                        report.Executed = index + 1;
                        break;
                    }
                }
            }

            history.Enqueue($"#{index} {Shorten(cmd.ToString())} -> {Shorten(expected.ToString())}");
            if (history.Count > historyLength) history.Dequeue();
            index++;
            report.Executed = index;
        }
        return report;
    }

    private static string Shorten(string s) => s.Length > 160 ? s[..160] + "…" : s;

    private static Task<RespValue> ExecuteAsync(RespClient client, RespCommand cmd) =>
        cmd.Execute != null ? cmd.Execute(client) : client.CallArgsAsync(cmd.Args);

    /// <summary>Connects to both servers, FLUSHALLs both, optionally switches both to RESP3, and runs a seeded sequence.</summary>
    public static async Task<DiffReport> RunSeedAsync(int referencePort, int subjectPort, int seed, int protocol, int count, IReadOnlyList<ICommandFamily> families, GenOptions? baseOptions = null)
    {
        await using var reference = await RespClient.ConnectAsync(referencePort);
        await using var subject = await RespClient.ConnectAsync(subjectPort);
        foreach (var c in new[] { reference, subject })
        {
            var flush = await c.CallAsync("FLUSHALL");
            if (flush.Kind != RespKind.SimpleString) throw new InvalidOperationException($"FLUSHALL on port {c.Port} answered {flush}");
            if (protocol == 3)
            {
                var hello = await c.CallAsync("HELLO", "3");
                if (hello.Kind != RespKind.Map) throw new InvalidOperationException($"HELLO 3 on port {c.Port} answered {hello}");
            }
        }
        var options = new GenOptions
        {
            Protocol = protocol,
            BaseUnixSeconds = baseOptions?.BaseUnixSeconds ?? DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
            KeyPool = baseOptions?.KeyPool ?? GenOptions.DefaultKeyPool,
            WrongArityRate = baseOptions?.WrongArityRate ?? 0.03,
            WrongCaseRate = baseOptions?.WrongCaseRate ?? 0.1,
            HugeValueRate = baseOptions?.HugeValueRate ?? 0.003,
        };
        var gen = new CommandGenerator(seed, options, families);
        return await RunAsync(reference, subject, gen.Take(count), $"seed={seed} RESP{protocol}", resync: StringKeyResync(options.KeyPool));
    }

    /// <summary>Re-sync for string-only key pools: copy each pool key's value and remaining TTL from the reference to the subject.</summary>
    public static Resync StringKeyResync(IReadOnlyList<byte[]> keys) => async (reference, subject) =>
    {
        foreach (var key in keys)
        {
            var value = await reference.CallAsync("GET", key);
            if (value.IsNull)
            {
                await subject.CallAsync("DEL", key);
                continue;
            }
            if (value.Kind != RespKind.Bulk) throw new InvalidOperationException($"reference GET {RespValue.Escape(key)} answered {value}");
            var at = await reference.CallAsync("PEXPIRETIME", key);
            var set = await subject.CallAsync("SET", key, value.Bytes!);
            if (set.Kind != RespKind.SimpleString) throw new InvalidOperationException($"subject SET {RespValue.Escape(key)} answered {set}");
            if (at.Integer > 0)
            {
                var exp = await subject.CallAsync("PEXPIREAT", key, at.Integer);
                if (exp.Kind != RespKind.Integer) throw new InvalidOperationException($"subject PEXPIREAT {RespValue.Escape(key)} {at.Integer} answered {exp}");
            }
        }
    };
}
