using System.Diagnostics;
using System.Net;

namespace CacheCluster.Integration.Tests.Infrastructure;

public sealed class NodeOptions
{
    /// <summary>RESP port to pass on the command line. Allocated automatically when null and <see cref="PassRespPort"/> is set.</summary>
    public int? RespPort { get; set; }
    public int? AdminPort { get; set; }
    /// <summary>memcached port; always passed (a free one when null) so test nodes never contend for 11211.</summary>
    public int? MemcachedPort { get; set; }
    /// <summary>Data directory; a fresh temp dir (deleted on dispose) when null.</summary>
    public string? DataDir { get; set; }
    public int? Shards { get; set; } = 16;
    public string? MaxMemory { get; set; }
    public string? MaxMemoryPolicy { get; set; }
    public string? NodeId { get; set; }
    /// <summary>When false, --resp-port is not put on the command line (the test provides it via env/config and sets <see cref="RespPort"/> to tell the harness where to connect).</summary>
    public bool PassRespPort { get; set; } = true;
    public List<string> ExtraArgs { get; } = new();
    public Dictionary<string, string?> Env { get; } = new();
    public TimeSpan ReadyTimeout { get; set; } = TimeSpan.FromSeconds(60);
    /// <summary>
    /// Loopback address the node listens on (passed as --bind) and the harness connects to: 127.0.0.1 by default;
    /// cluster tests give every node its own 127.0.0.N so a proxy can tell them apart.
    /// </summary>
    public string Host { get; set; } = "127.0.0.1";
    /// <summary>Working directory of the server process (the temp directory when null); relative paths in a config file resolve against it.</summary>
    public string? WorkingDir { get; set; }
    /// <summary>
    /// When false, only "serve" plus <see cref="ExtraArgs"/> is passed (no --bind/ports/--data-dir/--shards/...): the test
    /// provides everything (e.g. through --config) and sets <see cref="RespPort"/>, <see cref="AdminPort"/>,
    /// <see cref="MemcachedPort"/> and <see cref="DataDir"/> to tell the harness where the node is.
    /// </summary>
    public bool PassStandardArgs { get; set; } = true;
}

/// <summary>A real CacheCluster.Server process ("dotnet CacheCluster.Server.dll serve ...") on loopback ports.</summary>
public sealed class NodeProcess : IAsyncDisposable
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(5) };

    private readonly ManagedProcess _proc;
    private readonly TempDir? _ownedDataDir;

    public int RespPort { get; }
    public int AdminPort { get; }
    public int MemcachedPort { get; private init; }
    /// <summary>The address the node listens on and clients connect to (127.0.0.1 unless <see cref="NodeOptions.Host"/> says otherwise).</summary>
    public string Host { get; private init; } = "127.0.0.1";
    public string DataDir { get; }
    public IReadOnlyList<string> Args { get; }

    private NodeProcess(ManagedProcess proc, int respPort, int adminPort, string dataDir, TempDir? owned, IReadOnlyList<string> args)
    {
        _proc = proc;
        RespPort = respPort;
        AdminPort = adminPort;
        DataDir = dataDir;
        _ownedDataDir = owned;
        Args = args;
    }

    public ManagedProcess Process => _proc;
    public string Output => _proc.Output;
    public bool HasExited => _proc.HasExited;
    public int ExitCode => _proc.ExitCode;

    /// <summary>Builds the full argument list (after "dotnet") for the server.</summary>
    public static List<string> BuildArgs(IEnumerable<string> serveArgs) =>
        new[] { RepoPaths.ServerDll }.Concat(serveArgs).ToList();

    /// <summary>Starts a node and (by default) waits until /readyz answers 200.</summary>
    public static async Task<NodeProcess> StartAsync(NodeOptions? options = null, bool waitReady = true)
    {
        options ??= new NodeOptions();
        EnsureServerBuilt();
        var resp = options.RespPort ?? PortAllocator.GetFreePort();
        var admin = options.AdminPort ?? PortAllocator.GetFreePort();
        var mc = options.MemcachedPort ?? PortAllocator.GetFreePort();
        TempDir? owned = null;
        var dataDir = options.DataDir;
        if (dataDir == null)
        {
            owned = new TempDir("cc-node");
            dataDir = owned.Path;
        }

        var args = new List<string> { "serve" };
        if (options.PassStandardArgs)
        {
            args.AddRange(new[] { "--bind", options.Host });
            if (options.PassRespPort) args.AddRange(new[] { "--resp-port", resp.ToString() });
            args.AddRange(new[] { "--admin-port", admin.ToString(), "--memcached-port", mc.ToString(), "--data-dir", dataDir });
            if (options.Shards is { } s) args.AddRange(new[] { "--shards", s.ToString() });
            if (options.MaxMemory != null) args.AddRange(new[] { "--maxmemory", options.MaxMemory });
            if (options.MaxMemoryPolicy != null) args.AddRange(new[] { "--maxmemory-policy", options.MaxMemoryPolicy });
            if (options.NodeId != null) args.AddRange(new[] { "--node-id", options.NodeId });
        }
        args.AddRange(options.ExtraArgs);

        var full = BuildArgs(args);
        var proc = ManagedProcess.Start("dotnet", full, options.Env, options.WorkingDir);
        var node = new NodeProcess(proc, resp, admin, dataDir, owned, full) { MemcachedPort = mc, Host = options.Host };
        if (waitReady)
        {
            try
            {
                await node.WaitReadyAsync(options.ReadyTimeout);
            }
            catch
            {
                await node.DisposeAsync();
                throw;
            }
        }
        return node;
    }

    /// <summary>Runs the server with arbitrary arguments and waits for it to exit (for option-validation tests).</summary>
    public static async Task<(int? ExitCode, string Output, string[] Lines)> RunToExitAsync(IEnumerable<string> args, TimeSpan timeout, IDictionary<string, string?>? env = null)
    {
        EnsureServerBuilt();
        await using var proc = ManagedProcess.Start("dotnet", BuildArgs(args), env);
        var exited = await proc.WaitForExitAsync(timeout);
        if (!exited)
        {
            var output = proc.Output;
            await proc.KillAsync();
            return (null, output, proc.OutputLines);
        }
        return (proc.ExitCode, proc.Output, proc.OutputLines);
    }

    public static void EnsureServerBuilt()
    {
        if (!File.Exists(RepoPaths.ServerDll))
            throw new FileNotFoundException($"server build not found at {RepoPaths.ServerDll} (build src/CacheCluster.Server in {RepoPaths.Configuration})");
    }

    public async Task<(HttpStatusCode Status, string Body)> HttpGetAsync(string path)
    {
        using var resp = await Http.GetAsync($"http://{Host}:{AdminPort}{path}");
        return (resp.StatusCode, await resp.Content.ReadAsStringAsync());
    }

    public async Task WaitReadyAsync(TimeSpan timeout)
    {
        var sw = Stopwatch.StartNew();
        string last = "no attempt";
        while (sw.Elapsed < timeout)
        {
            if (_proc.HasExited)
            {
                await _proc.WaitForExitAsync(TimeSpan.FromSeconds(2));
                throw new InvalidOperationException($"node exited with code {_proc.ExitCode} before becoming ready.\n{Describe()}");
            }
            try
            {
                var (status, body) = await HttpGetAsync("/readyz");
                if (status == HttpStatusCode.OK) return;
                last = $"HTTP {(int)status} {body}";
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                last = e.GetType().Name + ": " + e.Message;
            }
            await Task.Delay(100);
        }
        throw new TimeoutException($"node not ready within {timeout.TotalSeconds}s (last /readyz: {last}).\n{Describe()}");
    }

    public Task<RespClient> ConnectAsync() =>
        Host == "127.0.0.1" ? RespClient.ConnectAsync(RespPort) : LoopbackConnect.RespAsync(Host, RespPort);

    /// <summary>SIGTERM; returns the exit code or null if it did not exit in time.</summary>
    public Task<int?> StopAsync(TimeSpan? timeout = null) => _proc.TerminateAsync(timeout ?? TimeSpan.FromSeconds(20));

    public Task KillAsync() => _proc.KillAsync();

    public string Describe() => $"node {(Host == "127.0.0.1" ? "" : Host + " ")}resp={RespPort} admin={AdminPort} data={DataDir}\n$ {_proc.Description}\n--- node output ---\n{Tail(_proc.Output)}";

    private static string Tail(string s) => s.Length > 8000 ? "…" + s[^8000..] : s;

    public async ValueTask DisposeAsync()
    {
        await _proc.DisposeAsync();
        _ownedDataDir?.Dispose();
    }
}
