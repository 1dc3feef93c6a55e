using System.Diagnostics;
using System.Text.Json;
using CacheCluster.Integration.Tests.Cluster;
using CacheCluster.Integration.Tests.Infrastructure;
using CacheCluster.Integration.Tests.Persistence;
using Xunit.Abstractions;

namespace CacheCluster.Integration.Tests.Kubernetes;

/// <summary>
/// The StatefulSet of k8s/ played by real processes: each pod is the container's command line from the YAML (args,
/// env with the downward API, the ConfigMap mounted where the YAML mounts it) with only what a loopback test must
/// change (the pod IP to bind, the PVC dir, the simulated cluster DNS; ports only when the real ones are taken here).
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class StatefulSetSimulationTests
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan ConvergeTimeout = TimeSpan.FromSeconds(75);

    private readonly ITestOutputHelper _out;

    public StatefulSetSimulationTests(ITestOutputHelper output) => _out = output;

    /// <summary>
    /// Asserted, in order:
    /// <list type="number">
    /// <item>the manifest is what the simulation can run faithfully: the headless service (spec.serviceName) publishes
    /// not-ready addresses (pods must find each other before any is ready), the node binds a wildcard address, its
    /// data dir is on the volumeClaimTemplate's mount, the ports the node listens on (flags/env/ConfigMap) are the
    /// containerPorts, and --advertise uses the cluster port;</item>
    /// <item>the <c>replicas</c> pods start as <c>podManagementPolicy</c> says (Parallel: all at once) and each one's
    /// readiness probe (path and port from the YAML) answers 503 before 200;</item>
    /// <item>they converge: every pod Up under its pod name and advertised address, every shard owned exactly once,
    /// each pod owning a fair part; 10,000 keys written through the pods round-robin (the client Service);</item>
    /// <item>scale up: cachecluster-N is added to the DNS and started; its readiness answers 503 first and, when it first
    /// answers 200, the pod is Up and owns shards; all N+1 converge, each owning some shards;</item>
    /// <item>scale down as Kubernetes does: the preStop command of the YAML (only the URL's host:port rewritten) exits 0,
    /// the pod then owns no shard (GET /drain: drained), SIGTERM exits 0 within what is left of
    /// terminationGracePeriodSeconds; the pod leaves the DNS; the others converge;</item>
    /// <item>throughout the scale-up and scale-down the readiness probe of pods 0..N-1 never answered 503 (nor failed
    /// failureThreshold times in a row), a background writer through pods 0..N-1 saw no error, and every one of
    /// the 10,000 keys and of the background writes reads back through each remaining pod;</item>
    /// <item>scale up again (persistentVolumeClaimRetentionPolicy keeps the volume): 2,000 keys are rewritten, then
    /// cachecluster-N starts on its old, now stale, volume; all converge and every key reads its latest value through
    /// cachecluster-N and cachecluster-0 (stale shards fenced by epochs).</item>
    /// </list>
    /// "A ready pod is Up and owns shards" is checked whenever a pod first answers ready (initial pods, scale-ups) and
    /// reported at the end with the other deferred findings, so one run shows everything.
    /// </summary>
    [Fact]
    public async Task StatefulSet_StartsScalesUpAndDrainsDown_AsKubernetesWould_NoKeyLost()
    {
        var total = Stopwatch.StartNew();
        await using var sim = new StatefulSetSimulator(maxPods: 8, ipBase: 30);
        var set = sim.Set;
        var replicas = set.Replicas;
        Assert.True(replicas >= 2, $"the StatefulSet has replicas: {replicas}; the simulation needs at least 2");
        var readiness = set.ReadinessProbe ?? throw new Xunit.Sdk.XunitException("the container has no readinessProbe");
        _out.WriteLine($"StatefulSet {set.Name}: replicas {replicas}, podManagementPolicy {set.PodManagementPolicy}, serviceName {set.ServiceName}, " +
                       $"terminationGracePeriodSeconds {set.TerminationGracePeriodSeconds}; ports {(sim.RealPorts ? "real" : "allocated")}; {readiness}");
        foreach (var (name, source) in sim.Manifests.Sources) _out.WriteLine($"config source: {name} ← {source}");

        // 1. what the simulation relies on
        Assert.True(set.HeadlessService != null, $"spec.serviceName {set.ServiceName} names no Service in the manifests");
        Assert.True(set.HeadlessService!.Root.At("spec").Str("clusterIP") == "None", $"Service {set.ServiceName} is not headless (clusterIP: None)");
        Assert.True(set.PublishNotReadyAddresses,
            $"Service {set.ServiceName} does not set publishNotReadyAddresses: true — Kubernetes would then list no pod in DNS until it is ready, " +
            "but a pod becomes ready only after it found the others through that DNS name: the StatefulSet would never come up");
        var pod0 = sim.Pod(0);
        var bind = sim.ManifestSetting(pod0, "bind") ?? "127.0.0.1";
        Assert.True(bind is "0.0.0.0" or "::" or "[::]", $"the manifest makes the node bind {bind}: other pods, Services and probes reach the pod on its pod IP, so it must bind 0.0.0.0");
        var dataDir = sim.ManifestSetting(pod0, "data-dir") ?? "./data";
        var pvcMounts = set.Container.Get("volumeMounts").Items().Where(m => set.ClaimTemplates.Contains(m.Str("name") ?? "")).Select(m => m.Str("mountPath")!.TrimEnd('/')).ToList();
        Assert.True(pvcMounts.Any(mp => dataDir == mp || dataDir.StartsWith(mp + "/", StringComparison.Ordinal)),
            $"data-dir {dataDir} is not on a volumeClaimTemplate mount ({string.Join(", ", pvcMounts)}): the journal would not survive a pod restart");
        var ports = set.Ports;
        foreach (var (option, portName, dflt) in new[] { ("resp-port", "resp", "6379"), ("memcached-port", "memcached", "11211"), ("admin-port", "admin", "8379"), ("cluster-port", "cluster", "0") })
        {
            var v = sim.ManifestSetting(pod0, option) ?? dflt;
            Assert.True(v == ports[portName].ToString(), $"the node listens for {portName} on {v} ({option}) but containerPort '{portName}' is {ports[portName]}");
        }
        Assert.Equal("dns", sim.ManifestSetting(pod0, "discovery"));
        var advertise = sim.ManifestSetting(pod0, "advertise");
        Assert.True(advertise != null && advertise.EndsWith(":" + ports["cluster"], StringComparison.Ordinal) && advertise.StartsWith(pod0.Name + "." + set.ServiceName, StringComparison.Ordinal),
            $"--advertise for {pod0.Name} is '{advertise}', expected {pod0.Name}.{set.ServiceName}[...]:{ports["cluster"]}");

        // 2. create the pods
        var initial = Enumerable.Range(0, replicas).Select(sim.Pod).ToList();
        // checked at the end (the rest of the scenario does not depend on them): more findings per run
        var deferred = new List<string>();
        await using (var startWatch = new ProbeRecorder(sim, readiness, initial, TimeSpan.FromMilliseconds(50)))
        {
            if (set.PodManagementPolicy == "Parallel")
            {
                foreach (var p in initial) sim.Publish(p);
                await Task.WhenAll(initial.Select(sim.StartPodAsync));
            }
            else
            {
                foreach (var p in initial)
                {
                    sim.Publish(p);
                    await sim.StartPodAsync(p);
                    deferred.AddRange(await WaitReadyOwningAsync(sim, p, readiness, StartTimeout));
                }
            }
            if (set.PodManagementPolicy == "Parallel")
                foreach (var problems in await Task.WhenAll(initial.Select(p => WaitReadyOwningAsync(sim, p, readiness, StartTimeout)))) deferred.AddRange(problems);
            await Task.Delay(500);   // so the recorder, too, has seen every pod ready
            await startWatch.StopAsync();
            foreach (var p in initial)
            {
                var samples = startWatch.Samples(p);
                var first200 = samples.FindIndex(s => s.Status == 200);
                await sim.AssertAsync(first200 >= 0, $"{p.Name}: the recorder never saw the readiness probe answer 200: {ProbeRecorder.Runs(samples)}");
                _out.WriteLine($"{p.Name} readiness: {ProbeRecorder.Runs(samples)} (ready {samples[first200].At.TotalSeconds:F1}s after the StatefulSet was created)");
                await sim.AssertAsync(samples.Take(first200).Any(s => s.Status == 503),
                    $"{p.Name}: the readiness probe never answered 503 before 200 ({ProbeRecorder.Runs(samples)}): a pod must not be ready before it joined");
            }
        }

        var owners = await sim.WaitConvergedAsync(initial, ConvergeTimeout);
        var shards = owners.Length;
        var view0 = await initial[0].ClusterAsync();
        foreach (var p in initial)
        {
            var m = view0.Member(p.Name);
            await sim.AssertAsync(m != null && m.Status == "up", $"{p.Name} is not an Up member under its pod name: {view0.Summary()}");
            await sim.AssertAsync(m!.Address == p.Advertise, $"{p.Name} advertises {m.Address}, the manifest says {p.Advertise}");
            var mine = owners.Count(o => o == p.Name);
            await sim.AssertAsync(mine >= shards / replicas * 0.4, $"{p.Name} owns {mine} of {shards} shards: not spread ({Distribution(owners)})");
        }
        _out.WriteLine($"{replicas} pods converged after {total.Elapsed.TotalSeconds:F1}s: {Distribution(owners)}");

        var keys = Cl.Items("sts:", 10_000);
        for (var i = 0; i < keys.Count; i += 500)
        {
            var via = initial[i / 500 % initial.Count];
            await using var c = await via.ConnectAsync();
            await Persist.SetManyAsync(c, keys.Skip(i).Take(500).ToList());
        }

        // 3. scale up to replicas + 1, under a background writer, watching the readiness of the others
        await using var writer = new SimWriter(() => initial, "sts:bg:");
        await using var steady = new ProbeRecorder(sim, readiness, initial, TimeSpan.FromMilliseconds(200));
        var extra = sim.Pod(replicas);
        var upWatch = Stopwatch.StartNew();
        sim.Publish(extra);
        await sim.StartPodAsync(extra);
        deferred.AddRange(await WaitReadyOwningAsync(sim, extra, readiness, StartTimeout, requireNotReadyFirst: true));

        var scaled = initial.Append(extra).ToList();
        var owners4 = await sim.WaitConvergedAsync(scaled, ConvergeTimeout);
        _out.WriteLine($"{scaled.Count} pods converged {upWatch.Elapsed.TotalSeconds:F1}s after the scale-up: {Distribution(owners4)}");
        foreach (var p in scaled)
            await sim.AssertAsync(owners4.Count(o => o == p.Name) > 0, $"{p.Name} owns no shard after the scale-up ({Distribution(owners4)})");
        var moved = Enumerable.Range(0, shards).Count(s => owners4[s] != owners[s]);
        await sim.AssertAsync(moved == owners4.Count(o => o == extra.Name), $"{moved} shards changed owner but {extra.Name} owns {owners4.Count(o => o == extra.Name)}: shards moved between old pods");
        var upSamples = initial.ToDictionary(p => p.Name, steady.Samples);

        // 4. scale down: preStop (drain), then SIGTERM, then the pod leaves the endpoints
        var downWatch = Stopwatch.StartNew();
        var grace = TimeSpan.FromSeconds(set.TerminationGracePeriodSeconds);
        var (code, output, elapsed, line) = await sim.RunPreStopAsync(extra, grace + TimeSpan.FromSeconds(30));
        _out.WriteLine($"preStop: {line}\nexit {code?.ToString() ?? "(killed)"} after {elapsed.TotalSeconds:F1}s\n{output}");
        await sim.AssertAsync(code == 0, $"the preStop command exited {code?.ToString() ?? $"not within {grace.TotalSeconds + 30:F0}s"}:\n{output}");
        await sim.AssertAsync(elapsed < grace, $"preStop took {elapsed.TotalSeconds:F0}s, more than terminationGracePeriodSeconds ({grace.TotalSeconds:F0}s): the kubelet would have killed the pod");
        var (ds, db) = await extra.AdminGetAsync("/drain");
        using (var dj = JsonDocument.Parse(db))
        {
            await sim.AssertAsync(ds == System.Net.HttpStatusCode.OK && dj.RootElement.GetProperty("state").GetString() == "drained" && dj.RootElement.GetProperty("shards_left").GetInt32() == 0,
                $"after preStop, GET /drain on {extra.Name}: {(int)ds} {db}");
        }
        var afterDrain = await sim.WaitUntilAsync($"{initial[0].Name} sees {extra.Name} owning no shard", TimeSpan.FromSeconds(15), async () =>
        {
            var v = await initial[0].ClusterAsync();
            var m = v.Member(extra.Name);
            var own = (await extra.ClusterAsync()).Member(extra.Name);
            return ((m == null || m.Shards.Count == 0) && (own == null || own.Shards.Count == 0), $"{initial[0].Name}: {v.Summary()}");
        });
        var termWatch = Stopwatch.StartNew();
        var left = grace - elapsed;
        var exit = await sim.TerminateAsync(extra, left + TimeSpan.FromSeconds(5));
        _out.WriteLine($"SIGTERM: exit {exit?.ToString() ?? "(still running)"} after {termWatch.Elapsed.TotalSeconds:F1}s");
        await sim.AssertAsync(exit == 0 && termWatch.Elapsed <= left, $"SIGTERM after the drain: exit {exit?.ToString() ?? "none"} after {termWatch.Elapsed.TotalSeconds:F1}s; the grace period left {left.TotalSeconds:F0}s");
        sim.Unpublish(extra);
        var ownersAfter = await sim.WaitConvergedAsync(initial, ConvergeTimeout);
        _out.WriteLine($"back to {initial.Count} pods {downWatch.Elapsed.TotalSeconds:F1}s after the scale-down began: {Distribution(ownersAfter)}");
        foreach (var p in initial)
        {
            var m = (await p.ClusterAsync()).Member(extra.Name);
            await sim.AssertAsync(m == null || m.Status == "removed", $"{p.Name} still lists {extra.Name} as {m?.Status}");
        }

        await Task.Delay(500);
        await writer.StopAsync();
        await steady.StopAsync();

        // 5. what clients and the kubelet saw meanwhile
        foreach (var p in initial)
        {
            var all = steady.Samples(p);
            var up = upSamples[p.Name];
            var down = all.Skip(up.Count).ToList();
            _out.WriteLine($"{p.Name} readiness during scale-up: {ProbeRecorder.Runs(up)}; during scale-down: {ProbeRecorder.Runs(down)}; slowest answer {all.Max(s => s.Ms):F0} ms");
            await sim.AssertAsync(all.All(s => s.Status != 503), $"{p.Name} answered the readiness probe 503 while the StatefulSet scaled: up: {ProbeRecorder.Runs(up)}; down: {ProbeRecorder.Runs(down)}\n" +
                                                                string.Join("\n", all.Where(s => s.Status != 200).Take(5).Select(s => $"+{s.At.TotalSeconds:F1}s {s.Status} {s.Error}")));
            await sim.AssertAsync(ProbeRecorder.LongestFailureRun(all) < readiness.FailureThreshold,
                $"{p.Name}: {ProbeRecorder.LongestFailureRun(all)} readiness probes in a row failed (failureThreshold {readiness.FailureThreshold}): {ProbeRecorder.Runs(all)}");
        }
        _out.WriteLine($"background writer: {writer.AckedCount} keys acknowledged, {writer.ErrorCount} errors");
        await sim.AssertAsync(writer.ErrorCount == 0, $"the background writer saw {writer.ErrorCount} errors while the StatefulSet scaled:\n  {writer.Errors()}");
        await sim.AssertAsync(writer.AckedCount > 200, $"only {writer.AckedCount} background writes: the writer did not overlap the scaling");

        var expected = keys.Select(k => (k.Key, (string?)k.Value)).Concat(writer.Acked().Select(k => (k.Key, (string?)k.Value))).ToList();
        foreach (var p in initial)
        {
            await using var c = await p.ConnectAsync();
            var bad = await Cl.VerifyRespAsync(c, expected, p.Name);
            await sim.AssertAsync(bad.Count == 0, $"{bad.Count} of {expected.Count} keys missing or wrong through {p.Name} after scaling {replicas}→{replicas + 1}→{replicas}:\n{Cl.Head(bad)}");
        }
        _out.WriteLine($"all {expected.Count} keys read back through each of {initial.Count} pods after {total.Elapsed.TotalSeconds:F1}s");

        // 6. scale up again: the ordinal comes back on its retained volume (whenScaled: Retain), whose shards are stale
        var retained = Directory.EnumerateFiles(extra.DataDir).Any();
        await sim.AssertAsync(retained, $"{extra.Name}'s volume ({extra.DataDir}) is empty after its first life");
        var rewritten = keys.Where((_, i) => i % 5 == 0).Select(k => (k.Key, Value: k.Value + "-v2")).ToList();
        for (var i = 0; i < rewritten.Count; i += 500)
        {
            await using var c = await initial[i / 500 % initial.Count].ConnectAsync();
            await Persist.SetManyAsync(c, rewritten.Skip(i).Take(500).ToList());
        }
        var again = Stopwatch.StartNew();
        sim.Publish(extra);
        await sim.StartPodAsync(extra);
        deferred.AddRange(await WaitReadyOwningAsync(sim, extra, readiness, StartTimeout, requireNotReadyFirst: true));
        await sim.WaitConvergedAsync(scaled, ConvergeTimeout);
        _out.WriteLine($"{extra.Name} back on its retained volume, {scaled.Count} pods converged after {again.Elapsed.TotalSeconds:F1}s");
        var latest = expected.ToDictionary(e => e.Key, e => e.Item2);
        foreach (var (k, v) in rewritten) latest[k] = v;
        var latestList = latest.Select(kv => (kv.Key, kv.Value)).ToList();
        foreach (var p in new[] { extra, initial[0] })
        {
            await using var c = await p.ConnectAsync();
            var bad = await Cl.VerifyRespAsync(c, latestList, p.Name);
            await sim.AssertAsync(bad.Count == 0, $"{bad.Count} of {latestList.Count} keys missing, stale or wrong through {p.Name} after {extra.Name} came back on its old volume:\n{Cl.Head(bad)}");
        }
        _out.WriteLine($"whole test {total.Elapsed.TotalSeconds:F1}s");
        await sim.AssertAsync(deferred.Count == 0, string.Join("\n", deferred));
    }

    /// <summary>
    /// Polls the readiness probe of <paramref name="p"/> until 200; at that moment reads the pod's own /cluster: a ready
    /// pod must be Up and own shards. Returns the problems (for the deferred assertions); throws on timeout.
    /// </summary>
    private async Task<List<string>> WaitReadyOwningAsync(StatefulSetSimulator sim, SimPod p, ProbeSpec readiness, TimeSpan timeout, bool requireNotReadyFirst = false)
    {
        var answers = new List<string>();
        var problems = new List<string>();
        var sw = Stopwatch.StartNew();
        await sim.WaitUntilAsync($"{p.Name} ready", timeout, async () =>
        {
            if (!p.IsRunning) throw new InvalidOperationException($"{p.Name} exited with code {p.Current.ExitCode}\n{await sim.DescribeAsync()}");
            var (s, b) = await sim.ProbeAsync(p, readiness);
            answers.Add(s?.ToString() ?? "no-answer");
            return (s == 200, $"{s?.ToString() ?? "no answer"} {b.Trim()}");
        });
        var view = await p.ClusterAsync();
        var self = view.Member(p.Name);
        var runs = string.Join(" ", Compress(answers));
        _out.WriteLine($"{p.Name} ready after {sw.Elapsed.TotalSeconds:F1}s (readiness: {runs}); then it was {self?.Status ?? "unlisted"} owning {self?.Shards.Count ?? 0} shards");
        if (requireNotReadyFirst && !answers.Contains("503"))
            problems.Add($"{p.Name}: the readiness probe never answered 503 before 200 ({runs})");
        if (!(self != null && self.Status == "up" && self.Shards.Count > 0))
            problems.Add($"{p.Name} answered ready while it was {self?.Status ?? "not listed"} owning {self?.Shards.Count ?? 0} shards: ready must mean Up and serving its shards ({view.Summary()})");
        return problems;
    }

    private static string Distribution(string[] owners) =>
        string.Join(", ", owners.GroupBy(o => o ?? "(none)").OrderBy(g => g.Key).Select(g => $"{g.Key}={g.Count()}"));

    private static IEnumerable<string> Compress(IEnumerable<string> xs)
    {
        string? cur = null;
        var n = 0;
        foreach (var x in xs)
        {
            if (x == cur) { n++; continue; }
            if (cur != null) yield return $"{cur}×{n}";
            cur = x;
            n = 1;
        }
        if (cur != null) yield return $"{cur}×{n}";
    }
}
