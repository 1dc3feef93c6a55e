using System.Diagnostics;
using System.Runtime.InteropServices;
using CacheCluster.Integration.Tests.Infrastructure;

namespace CacheCluster.Integration.Tests.Memcached.Harness;

/// <summary>Something that speaks memcached on a loopback port: the node, or a real memcached.</summary>
public interface IMcServer : IAsyncDisposable
{
    string Name { get; }
    int Port { get; }
    /// <summary>Command line and recent output, for failure messages.</summary>
    string Describe();
}

/// <summary>A real memcached 1.6 (Debian package) on a loopback port: <c>memcached -p P -l 127.0.0.1 -U 0 -m 64 -I 1m</c>.</summary>
public sealed class MemcachedProcess : IMcServer
{
    private readonly ManagedProcess _proc;

    public string Name => "memcached";
    public int Port { get; }

    private MemcachedProcess(ManagedProcess proc, int port)
    {
        _proc = proc;
        Port = port;
    }

    [DllImport("libc")]
    private static extern uint geteuid();

    public static async Task<MemcachedProcess> StartAsync(params string[] extraArgs)
    {
        var port = PortAllocator.GetFreePort();
        var args = new List<string> { "-p", port.ToString(), "-l", "127.0.0.1", "-U", "0", "-m", "64", "-I", "1m" };
        if (geteuid() == 0) args.AddRange(new[] { "-u", "root" }); // memcached refuses to run as root without -u
        args.AddRange(extraArgs);
        var proc = ManagedProcess.Start("memcached", args);
        var server = new MemcachedProcess(proc, port);
        try
        {
            await McReady.WaitAsync(port, TimeSpan.FromSeconds(20), () => proc.HasExited ? "memcached exited:\n" + proc.Output : null);
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
        return server;
    }

    public string Describe() => $"memcached on port {Port}\n$ {_proc.Description}\n{_proc.Output}";

    public ValueTask DisposeAsync() => _proc.DisposeAsync();
}

/// <summary>The CacheCluster node's memcached port.</summary>
public sealed class NodeMcServer : IMcServer
{
    public NodeProcess Node { get; }
    public string Name => "node";
    public int Port => Node.MemcachedPort;

    private NodeMcServer(NodeProcess node) => Node = node;

    /// <summary>Starts a node with <c>--max-item-size 1m</c> (like memcached -I 1m) and waits until its memcached port answers.</summary>
    public static async Task<NodeMcServer> StartAsync(NodeOptions? options = null)
    {
        options ??= new NodeOptions();
        if (!options.ExtraArgs.Contains("--max-item-size")) options.ExtraArgs.AddRange(new[] { "--max-item-size", "1m" });
        var node = await NodeProcess.StartAsync(options);
        try
        {
            await McReady.WaitAsync(node.MemcachedPort, TimeSpan.FromSeconds(30), () => node.HasExited ? "node exited:\n" + node.Describe() : null);
        }
        catch (Exception e)
        {
            var detail = node.Describe();
            await node.DisposeAsync();
            throw new InvalidOperationException($"the node's memcached port {node.MemcachedPort} does not answer 'version': {e.Message}\n{detail}", e);
        }
        return new NodeMcServer(node);
    }

    public string Describe() => Node.Describe();

    public ValueTask DisposeAsync() => Node.DisposeAsync();
}

public static class McReady
{
    /// <summary>Polls "version\r\n" until a "VERSION ..." line comes back.</summary>
    public static async Task WaitAsync(int port, TimeSpan timeout, Func<string?> failed)
    {
        var sw = Stopwatch.StartNew();
        var last = "no attempt";
        while (sw.Elapsed < timeout)
        {
            if (failed() is { } why) throw new InvalidOperationException(why);
            try
            {
                await using var c = await McConnection.ConnectAsync(port, TimeSpan.FromSeconds(2));
                c.Timeout = TimeSpan.FromSeconds(2);
                await c.SendAsync("version\r\n");
                var line = await c.ReadLineTextAsync();
                if (line.StartsWith("VERSION ", StringComparison.Ordinal)) return;
                last = $"answered '{line}'";
            }
            catch (Exception e) { last = e.GetType().Name + ": " + e.Message; }
            await Task.Delay(100);
        }
        throw new TimeoutException($"no VERSION from port {port} within {timeout.TotalSeconds}s (last: {last})");
    }
}

/// <summary>
/// Which server plays "the subject" in the memcached tests. Always the node, except that setting
/// CACHECLUSTER_MC_SUBJECT=memcached runs the same tests against a second real memcached — used to validate the
/// harness itself (every test must pass against memcached). Cross-protocol tests always need the node.
/// </summary>
public static class McSubject
{
    public static bool IsRealMemcached =>
        string.Equals(Environment.GetEnvironmentVariable("CACHECLUSTER_MC_SUBJECT"), "memcached", StringComparison.OrdinalIgnoreCase);

    public static async Task<IMcServer> StartAsync() =>
        IsRealMemcached ? await MemcachedProcess.StartAsync() : await NodeMcServer.StartAsync();
}

/// <summary>One subject server shared by a test class (tests use distinct key prefixes unless they flush).</summary>
public sealed class McSubjectFixture : IAsyncLifetime
{
    private IMcServer? _server;
    public IMcServer Server => _server ?? throw new InvalidOperationException("not started");
    public int Port => Server.Port;

    public async Task InitializeAsync() => _server = await McSubject.StartAsync();

    public async Task DisposeAsync()
    {
        if (_server != null) await _server.DisposeAsync();
    }

    public string Tail()
    {
        var s = Server.Describe();
        return "--- " + Server.Name + " ---\n" + (s.Length > 4000 ? "…" + s[^4000..] : s);
    }

    public static string Prefix(string test) => $"{test}:{Guid.NewGuid().ToString("N")[..8]}:";
}

/// <summary>The subject plus a reference memcached, for tests that compare the two.</summary>
public sealed class McPairFixture : IAsyncLifetime
{
    private IMcServer? _subject;
    private MemcachedProcess? _reference;
    public IMcServer Subject => _subject ?? throw new InvalidOperationException("not started");
    public MemcachedProcess Reference => _reference ?? throw new InvalidOperationException("not started");

    public async Task InitializeAsync()
    {
        _reference = await MemcachedProcess.StartAsync();
        _subject = await McSubject.StartAsync();
    }

    public async Task DisposeAsync()
    {
        if (_subject != null) await _subject.DisposeAsync();
        if (_reference != null) await _reference.DisposeAsync();
    }

    public string Tail()
    {
        var s = Subject.Describe();
        return "--- " + Subject.Name + " ---\n" + (s.Length > 4000 ? "…" + s[^4000..] : s);
    }
}
