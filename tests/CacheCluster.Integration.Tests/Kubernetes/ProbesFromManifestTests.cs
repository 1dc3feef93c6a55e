using System.Diagnostics;
using System.Net;
using System.Text.Json;
using CacheCluster.Integration.Tests.Cluster;
using CacheCluster.Integration.Tests.Infrastructure;
using CacheCluster.Integration.Tests.Persistence;
using Xunit.Abstractions;

namespace CacheCluster.Integration.Tests.Kubernetes;

/// <summary>
/// The startup/readiness/liveness probes and the preStop hook exactly as k8s/statefulset.yaml declares them
/// (httpGet path, port name → containerPort → the test's port; the preStop command with only its URL's host:port
/// rewritten), exercised against pods of the simulated StatefulSet.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class ProbesFromManifestTests
{
    private const int IpBase = 35;
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);

    private readonly ITestOutputHelper _out;

    public ProbesFromManifestTests(ITestOutputHelper output) => _out = output;

    private static List<ProbeSpec> Probes(StatefulSetSpec set)
    {
        var probes = new[] { set.StartupProbe, set.ReadinessProbe, set.LivenessProbe };
        var names = new[] { "startupProbe", "readinessProbe", "livenessProbe" };
        for (var i = 0; i < 3; i++) Assert.True(probes[i] != null, $"the container has no {names[i]}");
        return probes.Select(p => p!).ToList();
    }

    /// <summary>
    /// Each of startupProbe, readinessProbe and livenessProbe is an httpGet (scheme HTTP) whose port (a name resolved
    /// through the container's ports, or a number) is the containerPort named 'admin'. A one-pod StatefulSet (the
    /// pod forms the cluster alone) answers each probe's path 200 once ready. A path the server does not serve
    /// answers 404 — so a probe path with a typo would fail above instead of passing by accident.
    /// </summary>
    [Fact]
    public async Task ProbePaths_FromTheManifest_Answer200OnTheAdminPort_UnknownPaths404()
    {
        await using var sim = new StatefulSetSimulator(maxPods: 1, ipBase: IpBase);
        var probes = Probes(sim.Set);
        var admin = sim.Set.Ports.GetValueOrDefault("admin");
        foreach (var p in probes)
        {
            _out.WriteLine(p.ToString());
            Assert.True(p.Kind == "httpGet", $"{p.Which} is a {p.Kind} probe; the node's probes are HTTP endpoints of the admin port");
            Assert.True(p.Scheme == "HTTP", $"{p.Which} uses scheme {p.Scheme}; the admin port speaks plain HTTP");
            Assert.True(p.ContainerPort(sim.Set.Ports) == admin,
                $"{p.Which} targets port '{p.Port}' = {p.ContainerPort(sim.Set.Ports)?.ToString() ?? "no containerPort"}, not the admin containerPort {admin}");
        }

        var pod = sim.Pod(0);
        sim.Publish(pod);
        await sim.StartPodAsync(pod);
        foreach (var p in probes) await WaitProbeAsync(sim, pod, p, 200, StartTimeout);
        foreach (var p in probes)
        {
            var sw = Stopwatch.StartNew();
            var (s, b) = await sim.ProbeAsync(pod, p);
            _out.WriteLine($"{p.Which} GET {p.Path} → {s} in {sw.ElapsedMilliseconds} ms: {b.Trim()}");
            await sim.AssertAsync(s == 200, $"{p.Which} GET {p.Path} answered {s?.ToString() ?? "nothing"} on a ready pod: {b}");
        }

        var (adminPort, _) = sim.ProbeTarget(pod, probes[0]);
        foreach (var path in probes.Select(p => p.Path!.TrimEnd('/') + "x").Append("/definitely-not-a-probe").Append(probes[1].Path!.ToUpperInvariant() + "-typo").Distinct())
        {
            var (s, b) = await pod.HttpGetAsync(adminPort, path);
            _out.WriteLine($"GET {path} → {(int)s}");
            await sim.AssertAsync(s == HttpStatusCode.NotFound, $"GET {path} on the admin port answered {(int)s} ({b.Trim()}), expected 404: a mistyped probe path would pass");
        }
    }

    /// <summary>
    /// A pod restarted after SIGKILL on a big journal (300,000 keys of 200 bytes): the startupProbe path answers 503 while the
    /// journal is recovered, then 200 (and never 503 again); the livenessProbe path answers 200 on every request
    /// from the moment the admin port answers (the kubelet must not restart a recovering pod); the readinessProbe
    /// path is not 200 before the startup path is; recovery fits in the startupProbe's budget
    /// (initialDelaySeconds + periodSeconds × failureThreshold); and the keys are back.
    /// </summary>
    [Fact]
    public async Task StartupProbe_503WhileABigJournalRecovers_Then200_LivenessStays200()
    {
        await using var sim = new StatefulSetSimulator(maxPods: 1, ipBase: IpBase);
        var probes = Probes(sim.Set);
        var (startup, readiness, liveness) = (probes[0], probes[1], probes[2]);
        var pod = sim.Pod(0);
        sim.Publish(pod);
        await sim.StartPodAsync(pod);
        await WaitProbeAsync(sim, pod, readiness, 200, StartTimeout);

        var keys = Cl.Items("big:", 300_000, valueSize: 200);
        var sw = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, 4).Select(async w =>
        {
            await using var c = await pod.ConnectAsync();
            c.Timeout = TimeSpan.FromSeconds(60);
            await Persist.SetManyAsync(c, keys.Where((_, i) => i % 4 == w).ToList());
        }));
        _out.WriteLine($"wrote {keys.Count} keys in {sw.Elapsed.TotalSeconds:F1}s");
        await Persist.WaitJournalIdleAsync(pod.Current, TimeSpan.FromSeconds(60));
        await sim.KillAsync(pod);

        await using var startupRec = new ProbeRecorder(sim, startup, new[] { pod }, TimeSpan.FromMilliseconds(5));
        await using var livenessRec = new ProbeRecorder(sim, liveness, new[] { pod }, TimeSpan.FromMilliseconds(10));
        await using var readinessRec = new ProbeRecorder(sim, readiness, new[] { pod }, TimeSpan.FromMilliseconds(20));
        var restart = Stopwatch.StartNew();
        await sim.StartPodAsync(pod);
        await WaitProbeAsync(sim, pod, startup, 200, StartTimeout);
        var startedAfter = restart.Elapsed;
        await WaitProbeAsync(sim, pod, readiness, 200, StartTimeout);
        await Task.Delay(500);
        await startupRec.StopAsync();
        await livenessRec.StopAsync();
        await readinessRec.StopAsync();

        var st = startupRec.Samples(pod);
        var lv = livenessRec.Samples(pod);
        var rd = readinessRec.Samples(pod);
        foreach (var l in pod.Current.Output.Split('\n').Where(l => l.Contains("recovered", StringComparison.Ordinal) || l.Contains("Listening", StringComparison.Ordinal)))
            _out.WriteLine(l);
        _out.WriteLine($"startup {startup.Path}: {ProbeRecorder.Runs(st)}\nliveness {liveness.Path}: {ProbeRecorder.Runs(lv)}\nreadiness {readiness.Path}: {ProbeRecorder.Runs(rd)}\n" +
                       $"startup probe 200 after {startedAfter.TotalSeconds:F1}s (budget {startup.Budget.TotalSeconds:F0}s)");
        var first200 = st.FindIndex(s => s.Status == 200);
        await sim.AssertAsync(first200 > 0 && st.Take(first200).Any(s => s.Status == 503),
            $"the startup probe never answered 503 while the journal was recovered: {ProbeRecorder.Runs(st)}");
        await sim.AssertAsync(st.Skip(first200).All(s => s.Status == 200), $"the startup probe went back from 200: {ProbeRecorder.Runs(st)}");
        var startupAt = st[first200].At;
        var answered = lv.FindIndex(s => s.Status != null);
        await sim.AssertAsync(answered >= 0 && lv.Skip(answered).All(s => s.Status == 200),
            $"the liveness probe did not answer 200 throughout the recovery (the kubelet would restart the pod): {ProbeRecorder.Runs(lv)}\n" +
            string.Join("\n", lv.Where(s => s.Status != 200).Take(5).Select(s => $"+{s.At.TotalSeconds:F2}s {s.Status} {s.Error}")));
        await sim.AssertAsync(lv.Skip(answered).Any(s => s.At < startupAt), $"no liveness answer while the startup probe was failing: {ProbeRecorder.Runs(lv)}");
        await sim.AssertAsync(!rd.Any(s => s.Status == 200 && s.At < startupAt - TimeSpan.FromMilliseconds(100)),
            $"the readiness probe answered 200 before the startup probe did: readiness {ProbeRecorder.Runs(rd)}; startup {ProbeRecorder.Runs(st)}");
        await sim.AssertAsync(startedAfter < startup.Budget,
            $"recovering {keys.Count} keys took {startedAfter.TotalSeconds:F0}s, beyond the startupProbe's budget of {startup.Budget.TotalSeconds:F0}s: the kubelet would kill the pod");

        var sample = keys.Where((_, i) => i % 100 == 0).Select(k => (k.Key, (string?)k.Value)).ToList();
        await using (var c = await pod.ConnectAsync())
        {
            var bad = await Cl.VerifyRespAsync(c, sample, pod.Name);
            await sim.AssertAsync(bad.Count == 0, $"{bad.Count} of {sample.Count} sampled keys missing or wrong after the restart:\n{Cl.Head(bad)}");
        }
    }

    /// <summary>
    /// The preStop hook of the YAML: terminationGracePeriodSeconds exceeds the drain's --timeout; its URL names the
    /// admin containerPort on the container's loopback, which the node serves (it binds a wildcard address). On a
    /// 2-pod StatefulSet, the command run against cachecluster-1 exits 0 within its --timeout; then cachecluster-1 owns
    /// no shard (its own /cluster and cachecluster-0's; GET /drain says drained) and still answers every key
    /// (forwarding); its liveness probe answered 200 throughout the drain; SIGTERM then exits 0 promptly and within what
    /// is left of the grace period; every key reads back through cachecluster-0.
    /// </summary>
    [Fact]
    public async Task PreStop_FromTheManifest_DrainsThePod_ThenSigtermExitsPromptly()
    {
        await using var sim = new StatefulSetSimulator(maxPods: 2, ipBase: IpBase);
        var set = sim.Set;
        var preStop = set.PreStopExec ?? throw new Xunit.Sdk.XunitException("the container has no lifecycle.preStop.exec.command");
        var drainTimeout = sim.PreStopTimeoutSeconds;
        _out.WriteLine($"preStop: {string.Join(' ', preStop)}; terminationGracePeriodSeconds {set.TerminationGracePeriodSeconds}");
        Assert.True(drainTimeout != null, $"the preStop command has no --timeout: the drain CLI would wait its default, unrelated to terminationGracePeriodSeconds: {string.Join(' ', preStop)}");
        Assert.True(set.TerminationGracePeriodSeconds > drainTimeout,
            $"terminationGracePeriodSeconds ({set.TerminationGracePeriodSeconds}) must exceed the drain's --timeout ({drainTimeout}): the kubelet kills the pod at the end of the grace period, preStop included");
        var url = StatefulSetSimulator.FlagValue(StatefulSetSimulator.ServerArgsOf(preStop)!, "--admin");
        Assert.True(url != null && Uri.TryCreate(url, UriKind.Absolute, out _), $"the preStop command has no --admin URL: {string.Join(' ', preStop)}");
        var uri = new Uri(url!);
        Assert.True(uri.Port == set.Ports["admin"], $"the preStop URL {url} is not the admin containerPort {set.Ports["admin"]}");
        var bind = sim.ManifestSetting(sim.Pod(0), "bind") ?? "127.0.0.1";
        Assert.True(uri.IsLoopback && bind is "0.0.0.0" or "::" or "[::]" || !uri.IsLoopback,
            $"the preStop URL {url} is the container's loopback but the node binds {bind}: nothing would answer there");
        var liveness = set.LivenessProbe ?? throw new Xunit.Sdk.XunitException("the container has no livenessProbe");

        var pods = new[] { sim.Pod(0), sim.Pod(1) };
        foreach (var p in pods) sim.Publish(p);
        await Task.WhenAll(pods.Select(sim.StartPodAsync));
        await sim.WaitConvergedAsync(pods, StartTimeout);
        var keys = Cl.Items("prestop:", 5_000);
        await using (var c = await pods[0].ConnectAsync()) await Persist.SetManyAsync(c, keys);
        var expected = keys.Select(k => (k.Key, (string?)k.Value)).ToList();
        var owned = (await pods[0].ClusterAsync()).Member(pods[1].Name)!.Shards.Count;
        await sim.AssertAsync(owned > 0, $"{pods[1].Name} owns no shard before the drain");

        var grace = TimeSpan.FromSeconds(set.TerminationGracePeriodSeconds);
        ProbeRecorder.Sample[] lv;
        (int? ExitCode, string Output, TimeSpan Elapsed, string CommandLine) r;
        await using (var liveRec = new ProbeRecorder(sim, liveness, new[] { pods[1] }, TimeSpan.FromMilliseconds(100)))
        {
            r = await sim.RunPreStopAsync(pods[1], TimeSpan.FromSeconds(drainTimeout!.Value + 30));
            await liveRec.StopAsync();
            lv = liveRec.Samples(pods[1]).ToArray();
        }
        _out.WriteLine($"{r.CommandLine}\nexit {r.ExitCode?.ToString() ?? "(killed)"} after {r.Elapsed.TotalSeconds:F1}s ({pods[1].Name} owned {owned} shards)\n{r.Output}liveness during the drain: {ProbeRecorder.Runs(lv)}");
        await sim.AssertAsync(r.ExitCode == 0, $"the preStop command exited {r.ExitCode?.ToString() ?? "(did not exit)"}:\n{r.Output}");
        await sim.AssertAsync(r.Elapsed < TimeSpan.FromSeconds(drainTimeout.Value), $"the drain took {r.Elapsed.TotalSeconds:F0}s, beyond its --timeout {drainTimeout}s");
        await sim.AssertAsync(lv.Length > 0 && lv.All(s => s.Status == 200), $"the liveness probe did not answer 200 throughout the drain: {ProbeRecorder.Runs(lv)}");

        var (ds, db) = await pods[1].AdminGetAsync("/drain");
        _out.WriteLine($"GET /drain → {(int)ds} {db}");
        using (var dj = JsonDocument.Parse(db))
            await sim.AssertAsync(dj.RootElement.GetProperty("state").GetString() == "drained" && dj.RootElement.GetProperty("shards_left").GetInt32() == 0, $"GET /drain after the preStop: {db}");
        await sim.WaitUntilAsync($"{pods[1].Name} owns no shard in every view", TimeSpan.FromSeconds(15), async () =>
        {
            var v0 = await pods[0].ClusterAsync();
            var v1 = await pods[1].ClusterAsync();
            var m0 = v0.Member(pods[1].Name);
            var m1 = v1.Member(pods[1].Name);
            var all0 = v0.Member(pods[0].Name)?.Shards.Count == v0.Shards;
            return ((m0 == null || m0.Shards.Count == 0) && (m1 == null || m1.Shards.Count == 0) && all0, $"{pods[0].Name}: {v0.Summary()} / {pods[1].Name}: {v1.Summary()}");
        });
        await using (var c = await pods[1].ConnectAsync())
        {
            var bad = await Cl.VerifyRespAsync(c, expected, pods[1].Name + " (drained, forwarding)");
            await sim.AssertAsync(bad.Count == 0, $"{bad.Count} keys wrong through the drained pod before its SIGTERM:\n{Cl.Head(bad)}");
        }

        var left = grace - r.Elapsed;
        var promptly = TimeSpan.FromSeconds(15) < left ? TimeSpan.FromSeconds(15) : left;
        var sw = Stopwatch.StartNew();
        var exit = await sim.TerminateAsync(pods[1], left + TimeSpan.FromSeconds(5));
        _out.WriteLine($"SIGTERM: exit {exit?.ToString() ?? "(still running)"} after {sw.Elapsed.TotalSeconds:F1}s");
        await sim.AssertAsync(exit == 0 && sw.Elapsed <= promptly, $"SIGTERM after the drain: exit {exit?.ToString() ?? "none"} after {sw.Elapsed.TotalSeconds:F1}s (expected 0 within {promptly.TotalSeconds:F0}s)");
        sim.Unpublish(pods[1]);
        await using (var c = await pods[0].ConnectAsync())
        {
            var bad = await Cl.VerifyRespAsync(c, expected, pods[0].Name);
            await sim.AssertAsync(bad.Count == 0, $"{bad.Count} keys lost after {pods[1].Name} drained and stopped:\n{Cl.Head(bad)}");
        }
    }

    private static Task WaitProbeAsync(StatefulSetSimulator sim, SimPod pod, ProbeSpec probe, int status, TimeSpan timeout) =>
        sim.WaitUntilAsync($"{pod.Name} {probe.Which} {probe.Path} → {status}", timeout, async () =>
        {
            if (!pod.IsRunning) throw new InvalidOperationException($"{pod.Name} exited with code {pod.Current.ExitCode}\n{await sim.DescribeAsync()}");
            var (s, b) = await sim.ProbeAsync(pod, probe);
            return (s == status, $"{s?.ToString() ?? "no answer"} {b.Trim()}");
        });
}
