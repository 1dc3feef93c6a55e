using System.Diagnostics;
using CacheCluster.Integration.Tests.Cluster;
using CacheCluster.Integration.Tests.Infrastructure;

namespace CacheCluster.Integration.Tests.Bench;

/// <summary>
/// The benchmark harness (bench/) in its smoke mode: every script starts real servers (ours,
/// Redis, memcached), runs its workloads at tiny sizes and prints its result lines. Benchmarks
/// are not timed tests: this proves the harness runs from a clean checkout, never judges numbers.
/// In the cluster collection, so its processes never share the 2 cores with a cluster test.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class BenchSmokeTests
{
    [Fact]
    public async Task EveryBenchScript_RunsInSmokeMode_AndPrintsItsResults()
    {
        var psi = new ProcessStartInfo("bash", [Path.Combine(RepoPaths.RepoRoot, "bench", "smoke.sh")])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = RepoPaths.RepoRoot,
        };
        psi.Environment["CACHECLUSTER_DLL"] = RepoPaths.ServerDll;
        using var proc = Process.Start(psi)!;
        var stdout = proc.StandardOutput.ReadToEndAsync();
        var stderr = proc.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(12));
        try
        {
            await proc.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            proc.Kill(entireProcessTree: true);
            throw;
        }
        string output = await stdout + await stderr;

        Assert.True(proc.ExitCode == 0, output);
        Assert.Contains("smoke: passed", output);
        foreach (var script in new[] { "workloads.py values", "workloads.py mget", "workloads.py mix", "workloads.py conns",
                     "workloads.py cluster", "cluster.py hop", "cluster.py handoff", "memory.py" })
            Assert.Contains($"smoke: ok   {script}", output);
    }
}
