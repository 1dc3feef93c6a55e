using System.Diagnostics;
using System.Text;

namespace CacheCluster.Integration.Tests.Infrastructure;

public sealed record ToolResult(string FileName, IReadOnlyList<string> Args, int ExitCode, byte[] StdoutBytes, string Stderr, TimeSpan Elapsed)
{
    public string Stdout => Encoding.UTF8.GetString(StdoutBytes);

    /// <summary>Stdout split into lines (trailing empty line removed).</summary>
    public string[] StdoutLines =>
        Stdout.Replace("\r\n", "\n").TrimEnd('\n').Split('\n') is var l && l.Length == 1 && l[0] == "" ? Array.Empty<string>() : Stdout.Replace("\r\n", "\n").TrimEnd('\n').Split('\n');

    public string Describe() =>
        $"$ {FileName} {string.Join(' ', Args.Select(Quote))}\nexit={ExitCode} elapsed={Elapsed.TotalMilliseconds:F0}ms\n--- stdout ---\n{Truncate(Stdout)}\n--- stderr ---\n{Truncate(Stderr)}";

    private static string Quote(string a) => a.Length > 0 && a.All(c => char.IsLetterOrDigit(c) || "-_./:=@{}*".Contains(c)) ? a : "'" + (a.Length > 200 ? a[..200] + "…" : a) + "'";
    private static string Truncate(string s) => s.Length > 6000 ? s[..6000] + $"\n…({s.Length} chars total)" : s;
}

/// <summary>Runs a real external program with arguments and stdin, with a hard timeout, capturing everything.</summary>
public static class ExternalTool
{
    public const string Python = "/usr/bin/python3";

    public static async Task<ToolResult> RunAsync(
        string fileName,
        IEnumerable<string> args,
        byte[]? stdin = null,
        TimeSpan? timeout = null,
        IDictionary<string, string?>? env = null,
        string? workingDir = null)
    {
        var argList = args.ToList();
        var psi = new ProcessStartInfo(fileName)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDir ?? Path.GetTempPath(),
        };
        foreach (var a in argList) psi.ArgumentList.Add(a);
        if (env != null)
        {
            foreach (var (k, v) in env)
            {
                if (v == null) psi.Environment.Remove(k); else psi.Environment[k] = v;
            }
        }

        var sw = Stopwatch.StartNew();
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"failed to start {fileName}");
        var stdoutTask = CopyAllAsync(p.StandardOutput.BaseStream);
        var stderrTask = CopyAllAsync(p.StandardError.BaseStream);
        var limit = timeout ?? TimeSpan.FromSeconds(30);
        using var cts = new CancellationTokenSource(limit);
        try
        {
            if (stdin != null && stdin.Length > 0)
            {
                await p.StandardInput.BaseStream.WriteAsync(stdin, cts.Token);
                await p.StandardInput.BaseStream.FlushAsync(cts.Token);
            }
            p.StandardInput.Close();
        }
        catch (IOException) { /* process exited before reading all stdin */ }
        catch (OperationCanceledException) { }

        try
        {
            await p.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            try { p.Kill(entireProcessTree: true); } catch { }
            await p.WaitForExitAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5)).ContinueWith(_ => { });
            var partialOut = stdoutTask.IsCompleted ? stdoutTask.Result : Array.Empty<byte>();
            var partialErr = stderrTask.IsCompleted ? Encoding.UTF8.GetString(stderrTask.Result) : "";
            throw new TimeoutException($"{fileName} {string.Join(' ', argList)} did not finish within {limit.TotalSeconds}s\nstdout: {Encoding.UTF8.GetString(partialOut)}\nstderr: {partialErr}");
        }
        var outBytes = await stdoutTask.WaitAsync(TimeSpan.FromSeconds(10));
        var errBytes = await stderrTask.WaitAsync(TimeSpan.FromSeconds(10));
        return new ToolResult(fileName, argList, p.ExitCode, outBytes, Encoding.UTF8.GetString(errBytes), sw.Elapsed);
    }

    public static Task<ToolResult> RunAsync(string fileName, params string[] args) => RunAsync(fileName, args, null);

    /// <summary>Runs an embedded Python script with Debian's python (which has redis-py installed).</summary>
    public static Task<ToolResult> RunPythonAsync(string script, IEnumerable<string> args, TimeSpan? timeout = null) =>
        RunAsync(Python, new[] { "-c", script }.Concat(args), null, timeout ?? TimeSpan.FromSeconds(60));

    /// <summary>Runs an embedded Ruby script (ruby -e) with the system ruby (which has the redis gem installed).</summary>
    public static Task<ToolResult> RunRubyAsync(string script, IEnumerable<string> args, TimeSpan? timeout = null) =>
        RunAsync("/usr/bin/ruby", new[] { "-e", script, "--" }.Concat(args), null, timeout ?? TimeSpan.FromSeconds(60));

    private static async Task<byte[]> CopyAllAsync(Stream s)
    {
        using var ms = new MemoryStream();
        await s.CopyToAsync(ms);
        return ms.ToArray();
    }
}
