using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace CacheCluster.Integration.Tests.Infrastructure;

/// <summary>A long-running child process whose stdout/stderr is captured continuously; can be stopped with SIGTERM or killed.</summary>
public sealed class ManagedProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly object _gate = new();
    private readonly TaskCompletionSource _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public string Description { get; }
    public int Pid => _process.Id;

    private ManagedProcess(Process p, string description)
    {
        _process = p;
        Description = description;
    }

    public static ManagedProcess Start(string fileName, IEnumerable<string> args, IDictionary<string, string?>? env = null, string? workingDir = null)
    {
        var argList = args.ToList();
        var psi = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDir ?? Path.GetTempPath(),
        };
        foreach (var a in argList) psi.ArgumentList.Add(a);
        // Never leak the test runner's own CacheCluster settings into a child.
        foreach (var key in psi.Environment.Keys.Where(k => k.StartsWith("CACHECLUSTER_", StringComparison.Ordinal)).ToList())
            psi.Environment.Remove(key);
        if (env != null)
            foreach (var (k, v) in env)
                if (v == null) psi.Environment.Remove(k); else psi.Environment[k] = v;

        var p = new Process { StartInfo = psi, EnableRaisingEvents = true };
        var mp = new ManagedProcess(p, $"{fileName} {string.Join(' ', argList)}" + (env is { Count: > 0 } ? $" [env: {string.Join(", ", env.Select(kv => kv.Key + "=" + kv.Value))}]" : ""));
        p.OutputDataReceived += (_, e) => { if (e.Data != null) mp.Append("out| ", e.Data); };
        p.ErrorDataReceived += (_, e) => { if (e.Data != null) mp.Append("err| ", e.Data); };
        p.Exited += (_, _) => mp._exited.TrySetResult();
        if (!p.Start()) throw new InvalidOperationException($"could not start {mp.Description}");
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return mp;
    }

    private void Append(string prefix, string line)
    {
        lock (_gate)
        {
            if (_output.Length < 2_000_000) _output.Append(prefix).Append(line).Append('\n');
        }
    }

    /// <summary>Everything captured so far, each line prefixed by "out| " or "err| ".</summary>
    public string Output
    {
        get { lock (_gate) return _output.ToString(); }
    }

    /// <summary>The captured lines without the stream prefix.</summary>
    public string[] OutputLines => Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Length >= 5 ? l[5..] : l).ToArray();

    public bool HasExited => _process.HasExited;
    public int ExitCode => _process.ExitCode;

    /// <summary>Waits for the process to exit; returns false on timeout. Also waits for the output streams to drain.</summary>
    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        var done = await Task.WhenAny(_exited.Task, Task.Delay(timeout)) == _exited.Task || _process.HasExited;
        if (done)
        {
            // Drain the async output readers (WaitForExit() without timeout flushes them).
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            try { await _process.WaitForExitAsync(cts.Token); } catch (OperationCanceledException) { }
        }
        return done;
    }

    [DllImport("libc", SetLastError = true, EntryPoint = "kill")]
    private static extern int SysKill(int pid, int sig);

    public const int SIGTERM = 15;
    public const int SIGINT = 2;

    public void Signal(int sig)
    {
        if (_process.HasExited) return;
        if (SysKill(_process.Id, sig) != 0 && !_process.HasExited)
            throw new InvalidOperationException($"kill({_process.Id}, {sig}) failed: errno {Marshal.GetLastPInvokeError()}");
    }

    /// <summary>Sends SIGTERM and waits for exit. Returns the exit code, or null if it did not exit within the timeout.</summary>
    public async Task<int?> TerminateAsync(TimeSpan timeout)
    {
        if (!_process.HasExited) Signal(SIGTERM);
        return await WaitForExitAsync(timeout) ? _process.ExitCode : null;
    }

    /// <summary>SIGKILL (the whole tree) and wait.</summary>
    public async Task KillAsync()
    {
        try { if (!_process.HasExited) _process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
        await WaitForExitAsync(TimeSpan.FromSeconds(10));
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            try
            {
                if (await TerminateAsync(TimeSpan.FromSeconds(5)) == null) await KillAsync();
            }
            catch { await KillAsync(); }
        }
        _process.Dispose();
    }
}
