using System.Diagnostics;

namespace CacheCluster.Integration.Tests.Infrastructure;

/// <summary>A real reference redis-server on a loopback port with persistence disabled.</summary>
public sealed class RedisServerProcess : IAsyncDisposable
{
    private readonly ManagedProcess _proc;
    private readonly TempDir _dir;
    public int Port { get; }

    private RedisServerProcess(ManagedProcess proc, TempDir dir, int port)
    {
        _proc = proc;
        _dir = dir;
        Port = port;
    }

    public string Output => _proc.Output;

    public static async Task<RedisServerProcess> StartAsync(params string[] extraArgs)
    {
        var port = PortAllocator.GetFreePort();
        var dir = new TempDir("cc-redis");
        var args = new List<string> { "--port", port.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir.Path, "--daemonize", "no" };
        args.AddRange(extraArgs);
        var proc = ManagedProcess.Start("redis-server", args);
        var server = new RedisServerProcess(proc, dir, port);
        var sw = Stopwatch.StartNew();
        Exception? last = null;
        while (sw.Elapsed < TimeSpan.FromSeconds(20))
        {
            if (proc.HasExited)
            {
                await server.DisposeAsync();
                throw new InvalidOperationException($"redis-server exited early:\n{proc.Output}");
            }
            try
            {
                await using var c = await RespClient.ConnectAsync(port, TimeSpan.FromSeconds(2));
                c.Timeout = TimeSpan.FromSeconds(2);
                var pong = await c.CallAsync("PING");
                if (pong.Kind == RespKind.SimpleString && pong.Text == "PONG") return server;
                last = new InvalidOperationException($"PING answered {pong}");
            }
            catch (Exception e) { last = e; }
            await Task.Delay(50);
        }
        await server.DisposeAsync();
        throw new TimeoutException($"redis-server did not answer PING: {last}\n{proc.Output}");
    }

    public Task<RespClient> ConnectAsync() => RespClient.ConnectAsync(Port);

    public async ValueTask DisposeAsync()
    {
        await _proc.DisposeAsync();
        _dir.Dispose();
    }
}
