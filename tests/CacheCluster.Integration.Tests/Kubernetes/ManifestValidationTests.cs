using System.Globalization;
using System.Text.RegularExpressions;
using CacheCluster.Integration.Tests.Infrastructure;
using CacheCluster.Server.Hosting;
using Xunit.Abstractions;
using YamlDotNet.RepresentationModel;

namespace CacheCluster.Integration.Tests.Kubernetes;

[CollectionDefinition(Name)]
public sealed class ManifestValidationCollection
{
    public const string Name = "Kubernetes manifest validation";
}

/// <summary>
/// k8s/ is checked offline, without a cluster: tests/k8s/validate.sh (yamllint; every document against the Kubernetes
/// schema of kubernetes-models and, as a typed literal, by the TypeScript compiler with --strict so that an unknown
/// field anywhere fails; the kustomization; `kubectl kustomize` when kubectl is installed) passes on k8s/ and fails,
/// naming the problem, on copies broken on purpose. Then the manifests are checked against each other, against the
/// node settings they ship (the server's own option loader reads them) and against the Dockerfile.
/// </summary>
[Collection(ManifestValidationCollection.Name)]
public sealed class ManifestValidationTests
{
    private readonly ITestOutputHelper _out;

    public ManifestValidationTests(ITestOutputHelper output) => _out = output;

    private static string K8sDir => Path.Combine(RepoPaths.RepoRoot, "k8s");
    private static string ValidateScript => Path.Combine(RepoPaths.RepoRoot, "tests", "k8s", "validate.sh");

    // ------------------------------------------------------------------ (1) the manifests pass

    [Fact]
    public async Task Manifests_PassOfflineValidation()
    {
        var r = await ValidateAsync(K8sDir);
        Assert.True(r.ExitCode == 0, "k8s/ must pass tests/k8s/validate.sh\n" + r.Describe());
        Assert.Contains("yamllint: OK", r.Stdout);
        Assert.Matches(@"validate: OK .*schema \(kubernetes-models [0-9.]+\) and tsc --strict \(TypeScript [0-9.]+\) checks passed", r.Stdout);
        Assert.Contains("validate.sh: OK", r.Stdout);
    }

    // ------------------------------------------------------------------ (2) broken copies fail, naming the problem

    /// <summary>
    /// One way to break a copy of k8s/: replace <paramref name="Find"/> (which must occur exactly once) in
    /// <paramref name="File"/>. Every expected line must appear in the output; {L} is the line of the replaced text,
    /// {L+1} the line after it, {C} the column of the first non-blank character on line {L}.
    /// </summary>
    public sealed record Breakage(string File, string Find, string Replace, params string[] Expected);

    private static readonly Dictionary<string, Breakage> Breakages = new()
    {
        ["misspelled field replicaz"] = new("statefulset.yaml", "\n  replicas: 3\n", "\n  replicaz: 3\n",
            "statefulset.yaml:{L}:{C}: [strict] StatefulSet/cachecluster: spec.replicaz: unknown field \"replicaz\" (not a field of StatefulSetSpec); did you mean \"replicas\"?"),
        ["misspelled field terminationGracePeriodSecond"] = new("statefulset.yaml", "terminationGracePeriodSeconds: 180", "terminationGracePeriodSecond: 180",
            "statefulset.yaml:{L}:{C}: [strict] StatefulSet/cachecluster: spec.template.spec.terminationGracePeriodSecond: unknown field \"terminationGracePeriodSecond\" (not a field of PodSpec); did you mean \"terminationGracePeriodSeconds\"?"),
        ["misspelled field deep in the container"] = new("statefulset.yaml", "readOnlyRootFilesystem: true", "readOnlyRootFileSystem: true",
            "statefulset.yaml:{L}:{C}: [strict] StatefulSet/cachecluster: spec.template.spec.containers[0].securityContext.readOnlyRootFileSystem: unknown field \"readOnlyRootFileSystem\" (not a field of SecurityContext); did you mean \"readOnlyRootFilesystem\"?"),
        ["wrong type replicas: \"three\""] = new("statefulset.yaml", "\n  replicas: 3\n", "\n  replicas: \"three\"\n",
            "statefulset.yaml:{L}:{C}: [schema] StatefulSet/cachecluster: spec.replicas: must be integer, got \"three\"",
            "statefulset.yaml:{L}:{C}: [strict] StatefulSet/cachecluster: spec.replicas: Type 'string' is not assignable to type 'number'."),
        ["bad enum podManagementPolicy: Sometimes"] = new("statefulset.yaml", "podManagementPolicy: Parallel", "podManagementPolicy: Sometimes",
            "statefulset.yaml:{L}:{C}: [schema] StatefulSet/cachecluster: spec.podManagementPolicy: must be equal to one of the allowed values (\"OrderedReady\", \"Parallel\"), got \"Sometimes\""),
        ["duplicate key"] = new("statefulset.yaml", "\n  replicas: 3\n", "\n  replicas: 3\n  replicas: 5\n",
            "statefulset.yaml:{L+1}:{C}: [error] duplication of key \"replicas\" in mapping (key-duplicates)",
            "statefulset.yaml:{L+1}:{C}: [yaml] document 1: Map keys must be unique"),
        ["YAML syntax error"] = new("poddisruptionbudget.yaml", "maxUnavailable: 1", "maxUnavailable: [1",
            "poddisruptionbudget.yaml:{L+1}:11: [error] syntax error: expected ',' or ']', but got ':' (syntax)",
            "poddisruptionbudget.yaml:{L+1}:{C}: [yaml] document 1: Flow sequence in block collection must be sufficiently indented and end with a ]"),
        ["misspelled kustomization key"] = new("kustomization.yaml", "\nconfigMapGenerator:\n", "\nconfigMapGenerators:\n",
            "kustomization.yaml:{L}:{C}: [strict] Kustomization: configMapGenerators: unknown field \"configMapGenerators\" (not a field of Kustomization); did you mean \"configMapGenerator\"?"),
        ["YAML 1.1 truthy value"] = new("service-headless.yaml", "publishNotReadyAddresses: true", "publishNotReadyAddresses: yes",
            "service-headless.yaml:{L}:29: [warning] truthy value should be one of [false, true] (truthy)"),
        ["unknown kind"] = new("service.yaml", "kind: Service", "kind: Servise",
            "service.yaml:{L}:{C}: [schema] Servise/cachecluster: kind: unknown apiVersion/kind v1 Servise: no Kubernetes schema for it in kubernetes-models"),
    };

    public static TheoryData<string> BreakageNames => new(Breakages.Keys);

    [Theory]
    [MemberData(nameof(BreakageNames))]
    public async Task BrokenCopy_FailsNamingTheProblem(string name)
    {
        var b = Breakages[name];
        using var tmp = new TempDir("cc-k8s-broken");
        var copy = Path.Combine(tmp.Path, "k8s");
        CopyDirectory(K8sDir, copy);
        var file = Path.Combine(copy, b.File);
        var text = File.ReadAllText(file);
        var at = text.IndexOf(b.Find, StringComparison.Ordinal);
        Assert.True(at >= 0 && text.IndexOf(b.Find, at + 1, StringComparison.Ordinal) < 0, $"'{b.Find}' must occur exactly once in k8s/{b.File}");
        File.WriteAllText(file, text[..at] + b.Replace + text[(at + b.Find.Length)..]);

        // line/column of the replaced text (skipping a leading newline of Find)
        var start = at + (b.Find.StartsWith('\n') ? 1 : 0);
        var line = text[..start].Count(c => c == '\n') + 1;
        var lineText = text.Split('\n')[line - 1];
        var col = lineText.Length - lineText.TrimStart().Length + 1;

        var r = await ValidateAsync(copy);
        _out.WriteLine(r.Describe());
        Assert.True(r.ExitCode == 1, $"a copy with '{name}' must fail validation (exit 1)\n" + r.Describe());
        Assert.Contains($"validate.sh: FAILED: {copy}", r.Stdout);
        foreach (var e in b.Expected)
        {
            var expected = Path.Combine(copy, e.Replace("{L+1}", (line + 1).ToString(CultureInfo.InvariantCulture))
                .Replace("{L}", line.ToString(CultureInfo.InvariantCulture))
                .Replace("{C}", col.ToString(CultureInfo.InvariantCulture)));
            Assert.True(r.Stdout.Contains(expected, StringComparison.Ordinal), $"expected the line\n  {expected}\n" + r.Describe());
        }
    }

    // ------------------------------------------------------------------ (3) the manifests agree with each other

    [Fact]
    public void StatefulSet_IsGovernedByTheHeadlessService_AndEverySelectorMatchesThePods()
    {
        var m = Manifests.Load();
        var sts = m.StatefulSet;
        var serviceName = Str(sts, "spec.serviceName");
        Assert.Equal("cachecluster-headless", serviceName);
        var headless = m.Service(serviceName);
        Assert.Equal("None", Str(headless, "spec.clusterIP"));
        Assert.Equal("true", Str(headless, "spec.publishNotReadyAddresses"));
        Assert.Equal("Parallel", Str(sts, "spec.podManagementPolicy"));
        Assert.Equal(3, Int(sts, "spec.replicas"));

        var podLabels = Map(Get(sts, "spec.template.metadata.labels"));
        void MatchesPods(Dictionary<string, object?> selector, string what)
        {
            Assert.True(selector.Count > 0, $"{what} is empty");
            foreach (var (k, v) in selector)
                Assert.True(podLabels.TryGetValue(k, out var pv) && Equals(pv, v), $"{what} {k}={v} does not match the pod labels");
        }

        MatchesPods(Map(Get(sts, "spec.selector.matchLabels")), "StatefulSet selector");
        Assert.Null(Get(sts, "spec.selector.matchExpressions"));
        foreach (var svc in m.Services)
            MatchesPods(Map(Get(svc, "spec.selector")), $"Service {Str(svc, "metadata.name")} selector");
        MatchesPods(Map(Get(m.PodDisruptionBudget, "spec.selector.matchLabels")), "PodDisruptionBudget selector");
        Assert.Equal(1, Int(m.PodDisruptionBudget, "spec.maxUnavailable"));
        foreach (var c in List(Get(sts, "spec.template.spec.topologySpreadConstraints")))
            MatchesPods(Map(Get(c, "labelSelector.matchLabels")), "topologySpreadConstraint");
        foreach (var t in List(Get(sts, "spec.template.spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution")))
            MatchesPods(Map(Get(t, "podAffinityTerm.labelSelector.matchLabels")), "podAntiAffinity term");

        // the client Service offers the two data protocols, the headless one also the cluster and admin ports
        Assert.Equal(new[] { "memcached", "resp" }, List(Get(m.Service("cachecluster"), "spec.ports")).Select(p => Str(p, "name")).Order());
        Assert.Equal(new[] { "admin", "cluster", "memcached", "resp" }, List(Get(headless, "spec.ports")).Select(p => Str(p, "name")).Order());

        // every k8s/*.yaml is applied by `kubectl apply -k`
        var resources = List(m.Kustomization["resources"]).Select(r => (string)r!).Order().ToList();
        Assert.Equal(m.Files.Order().ToList(), resources);
    }

    [Fact]
    public void Ports_ProbesAndServicesNameDeclaredContainerPorts_WithTheNumbersOfTheConfig()
    {
        var m = Manifests.Load();
        var c = m.Container;
        var ports = List(Get(c, "ports")).ToDictionary(p => Str(p, "name"), p => Int(p, "containerPort"));
        Assert.Equal(new[] { "admin", "cluster", "memcached", "resp" }, ports.Keys.Order());
        Assert.Equal(int.Parse(m.Config["resp-port"], CultureInfo.InvariantCulture), ports["resp"]);
        Assert.Equal(int.Parse(m.Config["memcached-port"], CultureInfo.InvariantCulture), ports["memcached"]);
        Assert.Equal(int.Parse(m.Config["admin-port"], CultureInfo.InvariantCulture), ports["admin"]);
        Assert.Equal(int.Parse(m.Config["cluster-port"], CultureInfo.InvariantCulture), ports["cluster"]);
        Assert.Equal(7000, ports["cluster"]);

        foreach (var (probe, path) in new[] { ("startupProbe", "/startupz"), ("readinessProbe", "/readyz"), ("livenessProbe", "/healthz") })
        {
            Assert.Equal(path, Str(c, $"{probe}.httpGet.path"));
            var port = Str(c, $"{probe}.httpGet.port");
            Assert.True(port == "admin", $"{probe} must use the admin port by name, not '{port}'");
        }
        // journal recovery can take minutes: the startup probe allows a long time, the others take over after it
        Assert.True(Int(c, "startupProbe.failureThreshold") * Int(c, "startupProbe.periodSeconds") >= 600, "startupProbe allows less than 10 minutes");

        foreach (var svc in m.Services)
        {
            foreach (var p in List(Get(svc, "spec.ports")))
            {
                var target = Str(p, "targetPort");
                Assert.True(ports.ContainsKey(target), $"Service {Str(svc, "metadata.name")} port {Str(p, "name")}: targetPort '{target}' is not a container port name");
                Assert.Equal(ports[target], Int(p, "port"));
                Assert.Equal(target, Str(p, "name"));
            }
        }
    }

    [Fact]
    public void ConfigMapAndSecret_TheGeneratorsProduceWhatThePodMountsAndReads()
    {
        var m = Manifests.Load();
        var podSpec = Map(Get(m.StatefulSet, "spec.template.spec"));
        var c = m.Container;
        var volumes = List(podSpec["volumes"]).ToDictionary(v => Str(v, "name"), v => Map(v));
        var mounts = List(Get(c, "volumeMounts")).ToDictionary(v => Str(v, "mountPath"), v => Str(v, "name"));

        // configMapGenerator → volume → mount → --config
        var cmGen = Assert.Single(List(m.Kustomization["configMapGenerator"]));
        var cmName = Str(cmGen, "name");
        var (key, source) = Assert.Single(List(Get(cmGen, "files")).Select(f => (string)f!).Select(SplitKeyFile));
        Assert.True(File.Exists(Path.Combine(K8sDir, source)), $"configMapGenerator source {source} missing");
        var configVolume = Assert.Single(volumes, v => Get(v.Value, "configMap.name") as string == cmName).Key;
        var configMount = Assert.Single(mounts, mt => mt.Value == configVolume).Key;
        var args = m.Args;
        Assert.Equal("serve", args[0]);
        Assert.Equal($"{configMount}/{key}", FlagValue(args, "--config"));

        // secretGenerator → secretKeyRef of CACHECLUSTER_CLUSTER_SECRET
        var secretGen = Assert.Single(List(m.Kustomization["secretGenerator"]));
        var envFile = Path.Combine(K8sDir, (string)Assert.Single(List(Get(secretGen, "envs")))!);
        var secretKeys = File.ReadAllLines(envFile).Where(l => l.Trim().Length > 0 && !l.TrimStart().StartsWith('#'))
            .ToDictionary(l => l[..l.IndexOf('=')], l => l[(l.IndexOf('=') + 1)..]);
        var env = m.Env;
        var secretRef = Map(Get(env["CACHECLUSTER_CLUSTER_SECRET"], "valueFrom.secretKeyRef"));
        Assert.Equal(Str(secretGen, "name"), secretRef["name"]);
        Assert.True(secretKeys.ContainsKey((string)secretRef["key"]!), $"{envFile} has no key {secretRef["key"]}");
        Assert.True(secretKeys[(string)secretRef["key"]!].Length >= 16, "the cluster secret (placeholder) must not be short");

        // the image the kustomization sets is the one the container names
        var image = Assert.Single(List(m.Kustomization["images"]));
        Assert.Equal(Str(image, "name"), Str(c, "image"));
    }

    [Fact]
    public void Server_AcceptsTheSettingsAPodGets()
    {
        var m = Manifests.Load();
        var args = m.Args;
        var env = m.Env;
        Assert.Equal("metadata.name", Str(env["POD_NAME"], "valueFrom.fieldRef.fieldPath"));
        Assert.Equal("$(POD_NAME)", FlagValue(args, "--node-id"));
        var serviceName = Str(m.StatefulSet, "spec.serviceName");
        Assert.Equal($"$(POD_NAME).{serviceName}:{m.Config["cluster-port"]}", FlagValue(args, "--advertise"));
        Assert.Equal("dns", FlagValue(args, "--discovery"));
        Assert.Equal(serviceName, FlagValue(args, "--dns-name"));

        // what the kubelet passes to pod cachecluster-0, read by the server's own option loader
        const string pod = "cachecluster-0";
        var flags = new Dictionary<string, string>();
        var known = NodeOptionSpec.All.ToDictionary(s => s.Flag, s => s.Name);
        for (var i = 1; i < args.Count; i += 2)
        {
            Assert.True(i + 1 < args.Count, $"flag {args[i]} has no value");
            if (args[i] == "--config") continue;
            Assert.True(known.ContainsKey(args[i]), $"{args[i]} is not an option of serve");
            flags[known[args[i]]] = args[i + 1].Replace("$(POD_NAME)", pod);
        }
        var envValues = new Dictionary<string, string>();
        foreach (var (name, e) in env)
        {
            if (!name.StartsWith("CACHECLUSTER_", StringComparison.Ordinal)) continue;
            Assert.Contains(NodeOptionSpec.All, s => s.EnvVar == name);
            envValues[name] = Get(e, "valueFrom.secretKeyRef") is not null ? "a-cluster-secret-from-the-secret" : Str(e, "value");
        }
        var configFile = Path.Combine(K8sDir, "config", "cachecluster.json");
        var o = NodeOptionsLoader.Load(configFile, flags, n => envValues.GetValueOrDefault(n));

        Assert.Equal(pod, o.NodeId);
        Assert.Equal("0.0.0.0", o.Bind);
        Assert.Equal("dns", o.Discovery);
        Assert.Equal(serviceName, o.DnsName);
        Assert.Equal($"{pod}.{serviceName}:7000", o.AdvertisedAddress);
        Assert.Equal(7000, o.ClusterPort);
        Assert.Equal("a-cluster-secret-from-the-secret", o.ClusterSecret);
        Assert.Equal(256, o.Shards);
        Assert.True(o.MaxMemory > 0, "maxmemory must be set: the memory limit is derived from it");

        // the data directory is the volume claim's mount; with readOnlyRootFilesystem the only other writable path is /tmp
        var mounts = List(Get(m.Container, "volumeMounts")).ToDictionary(v => Str(v, "mountPath"), v => Str(v, "name"));
        Assert.Equal(o.DataDir, Assert.Single(mounts, mt => mt.Value == "data").Key);
        Assert.Equal("data", Str(Assert.Single(List(Get(m.StatefulSet, "spec.volumeClaimTemplates"))), "metadata.name"));
        var volumes = List(Get(m.StatefulSet, "spec.template.spec.volumes")).ToDictionary(v => Str(v, "name"), v => Map(v));
        Assert.True(volumes[mounts["/tmp"]].ContainsKey("emptyDir"), "/tmp must be an emptyDir");
        Assert.Equal("true", Str(m.Container, "securityContext.readOnlyRootFilesystem"));

        // service links would put CACHECLUSTER_SERVICE_HOST, CACHECLUSTER_PORT_6379_TCP... (Service "cachecluster")
        // into the environment the node reads its CACHECLUSTER_* settings from
        if (m.Services.Any(s => Str(s, "metadata.name").ToUpperInvariant().Replace('-', '_').StartsWith("CACHECLUSTER", StringComparison.Ordinal)))
            Assert.True(Get(m.StatefulSet, "spec.template.spec.enableServiceLinks") as string == "false",
                "the pod needs enableServiceLinks: false, or service links inject CACHECLUSTER_* variables");
    }

    [Fact]
    public void PreStopDrain_FitsInTheGracePeriod_AndVolumesAreRetained()
    {
        var m = Manifests.Load();
        var cmd = List(Get(m.Container, "lifecycle.preStop.exec.command")).Select(x => (string)x!).ToList();
        Assert.Equal(new[] { "dotnet", "/app/CacheCluster.Server.dll", "drain" }, cmd.Take(3));
        Assert.Equal($"http://127.0.0.1:{m.Config["admin-port"]}", FlagValue(cmd, "--admin"));
        var timeout = int.Parse(FlagValue(cmd, "--timeout"), CultureInfo.InvariantCulture);
        var grace = Int(m.StatefulSet, "spec.template.spec.terminationGracePeriodSeconds");
        _out.WriteLine($"drain --timeout {timeout}s, terminationGracePeriodSeconds {grace}s");
        // the grace period covers the preStop hook and the clean shutdown after SIGTERM
        Assert.True(grace >= timeout + 30, $"terminationGracePeriodSeconds {grace} must exceed the drain timeout {timeout} by a margin for the shutdown");

        Assert.Equal("Retain", Str(m.StatefulSet, "spec.persistentVolumeClaimRetentionPolicy.whenScaled"));
        Assert.Equal("Retain", Str(m.StatefulSet, "spec.persistentVolumeClaimRetentionPolicy.whenDeleted"));
    }

    [Fact]
    public void Resources_FollowMaxmemory_AndThePodRunsLockedDown()
    {
        var m = Manifests.Load();
        var c = m.Container;
        Assert.True(ByteSize.TryParse(m.Config["maxmemory"], out var maxmemory) && maxmemory > 0);
        var request = Quantity(Str(c, "resources.requests.memory"));
        var limit = Quantity(Str(c, "resources.limits.memory"));
        _out.WriteLine($"maxmemory {maxmemory} B, memory request {request} B, limit {limit} B");
        Assert.True(request >= maxmemory * 1.5m, "the memory request must leave ~50% headroom over maxmemory");
        Assert.True(limit > request, "the memory limit must exceed the request");
        Assert.NotNull(Get(c, "resources.requests.cpu"));

        var pod = Map(Get(m.StatefulSet, "spec.template.spec"));
        Assert.Equal("true", Str(pod, "securityContext.runAsNonRoot"));
        Assert.Equal("RuntimeDefault", Str(pod, "securityContext.seccompProfile.type"));
        Assert.Equal("false", Str(pod, "automountServiceAccountToken"));
        Assert.Equal("false", Str(c, "securityContext.allowPrivilegeEscalation"));
        Assert.Equal(new[] { "ALL" }, List(Get(c, "securityContext.capabilities.drop")).Select(x => (string)x!));
        var uid = Str(pod, "securityContext.runAsUser");
        Assert.NotEqual("0", uid);
        Assert.Equal(uid, Str(pod, "securityContext.fsGroup"));
        Assert.Equal("cachecluster", Str(c, "name"));
    }

    [Fact]
    public void Dockerfile_AgreesWithTheManifests()
    {
        var m = Manifests.Load();
        var lines = File.ReadAllLines(Path.Combine(RepoPaths.RepoRoot, "Dockerfile")).Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')).ToList();
        var froms = lines.Where(l => l.StartsWith("FROM ", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, froms.Count);
        Assert.StartsWith("FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build", froms[0]);
        Assert.Equal("FROM mcr.microsoft.com/dotnet/aspnet:10.0", froms[1]);
        Assert.Contains(lines, l => Regex.IsMatch(l, @"^RUN dotnet publish src/CacheCluster\.Server/CacheCluster\.Server\.csproj -c Release -o /app\b"));

        // the runtime user is the pod's uid
        var user = Assert.Single(lines, l => l.StartsWith("USER ", StringComparison.Ordinal))[5..].Trim();
        Assert.Equal($"{Str(m.StatefulSet, "spec.template.spec.securityContext.runAsUser")}:{Str(m.StatefulSet, "spec.template.spec.securityContext.runAsGroup")}", user);
        // the exposed ports are the container ports, the volume is the data directory
        var exposed = Assert.Single(lines, l => l.StartsWith("EXPOSE ", StringComparison.Ordinal))[7..].Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).Order();
        Assert.Equal(List(Get(m.Container, "ports")).Select(p => Int(p, "containerPort")).Order(), exposed);
        Assert.Equal("VOLUME [\"" + m.Config["data-dir"] + "\"]", Assert.Single(lines, l => l.StartsWith("VOLUME ", StringComparison.Ordinal)));
        // the preStop hook runs the same program the entry point starts
        Assert.Equal("ENTRYPOINT [\"dotnet\", \"/app/CacheCluster.Server.dll\"]", Assert.Single(lines, l => l.StartsWith("ENTRYPOINT ", StringComparison.Ordinal)));
        Assert.Equal("/app/CacheCluster.Server.dll", List(Get(m.Container, "lifecycle.preStop.exec.command")).Select(x => (string)x!).ElementAt(1));

        var ignore = File.ReadAllLines(Path.Combine(RepoPaths.RepoRoot, ".dockerignore")).Select(l => l.Trim()).ToHashSet();
        foreach (var must in new[] { "**/bin/", "**/obj/", "**/node_modules/", ".git/", "data/" })
            Assert.Contains(must, ignore);
    }

    // ------------------------------------------------------------------ helpers

    private async Task<ToolResult> ValidateAsync(string dir)
    {
        var r = await ExternalTool.RunAsync("/bin/bash", new[] { ValidateScript, dir }, timeout: TimeSpan.FromSeconds(180), workingDir: RepoPaths.RepoRoot);
        Assert.True(r.ExitCode != 2,
            "tests/k8s/validate.sh could not run (a tool is missing: yamllint, node, or tests/k8s/node_modules — " +
            "tests/run-all.sh installs them; by hand: apt-get install yamllint nodejs npm && (cd tests/k8s && npm ci))\n" + r.Describe());
        return r;
    }

    private static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var f in Directory.GetFiles(from)) File.Copy(f, Path.Combine(to, Path.GetFileName(f)));
        foreach (var d in Directory.GetDirectories(from)) CopyDirectory(d, Path.Combine(to, Path.GetFileName(d)));
    }

    private static (string Key, string File) SplitKeyFile(string entry)
    {
        var eq = entry.IndexOf('=');
        return eq < 0 ? (Path.GetFileName(entry), entry) : (entry[..eq], entry[(eq + 1)..]);
    }

    private static string FlagValue(IReadOnlyList<string> args, string flag)
    {
        var i = args.ToList().IndexOf(flag);
        Assert.True(i >= 0 && i + 1 < args.Count, $"{flag} <value> missing in [{string.Join(", ", args)}]");
        Assert.Equal(i, args.ToList().LastIndexOf(flag));
        return args[i + 1];
    }

    /// <summary>A Kubernetes quantity (1.5Gi, 512Mi, 2G, 1000) in bytes.</summary>
    private static decimal Quantity(string q)
    {
        var match = Regex.Match(q, @"^([0-9]+(?:\.[0-9]+)?)(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$");
        Assert.True(match.Success, $"'{q}' is not a Kubernetes quantity");
        var n = decimal.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        var unit = match.Groups[2].Value switch
        {
            "" => 1m,
            "Ki" => 1024m, "Mi" => 1024m * 1024, "Gi" => 1024m * 1024 * 1024, "Ti" => 1024m * 1024 * 1024 * 1024,
            "Pi" => 1024m * 1024 * 1024 * 1024 * 1024, "Ei" => 1024m * 1024 * 1024 * 1024 * 1024 * 1024,
            "k" => 1e3m, "M" => 1e6m, "G" => 1e9m, "T" => 1e12m, "P" => 1e15m, "E" => 1e18m,
            _ => throw new InvalidOperationException(),
        };
        return n * unit;
    }

    private static object? Get(object? node, string path)
    {
        foreach (var part in path.Split('.'))
        {
            if (node is not Dictionary<string, object?> map || !map.TryGetValue(part, out node)) return null;
        }
        return node;
    }

    private static string Str(object? node, string path) =>
        Get(node, path) as string ?? throw new Xunit.Sdk.XunitException($"{path}: a scalar is missing");

    private static int Int(object? node, string path) => int.Parse(Str(node, path), CultureInfo.InvariantCulture);

    private static Dictionary<string, object?> Map(object? node) =>
        node as Dictionary<string, object?> ?? throw new Xunit.Sdk.XunitException("a mapping is missing");

    private static List<object?> List(object? node) => node as List<object?> ?? new List<object?>();

    /// <summary>k8s/*.yaml read with YamlDotNet into plain dictionaries, lists and scalar strings.</summary>
    private sealed class Manifests
    {
        public required List<string> Files { get; init; }
        public required List<Dictionary<string, object?>> Documents { get; init; }
        public required Dictionary<string, object?> Kustomization { get; init; }
        public required Dictionary<string, string> Config { get; init; }

        public IEnumerable<Dictionary<string, object?>> OfKind(string kind) => Documents.Where(d => d.GetValueOrDefault("kind") as string == kind);
        public Dictionary<string, object?> StatefulSet => Assert.Single(OfKind("StatefulSet"));
        public Dictionary<string, object?> PodDisruptionBudget => Assert.Single(OfKind("PodDisruptionBudget"));
        public List<Dictionary<string, object?>> Services => OfKind("Service").ToList();
        public Dictionary<string, object?> Service(string name) => Assert.Single(Services, s => Str(s, "metadata.name") == name);

        public Dictionary<string, object?> Container =>
            Map(Assert.Single(List(Get(StatefulSet, "spec.template.spec.containers"))));

        public List<string> Args => List(Get(Container, "args")).Select(a => (string)a!).ToList();

        public Dictionary<string, Dictionary<string, object?>> Env =>
            List(Get(Container, "env")).Select(Map).ToDictionary(e => Str(e, "name"));

        public static Manifests Load()
        {
            var files = Directory.GetFiles(K8sDir, "*.yaml").Select(Path.GetFileName).Where(n => n != "kustomization.yaml").Select(n => n!).ToList();
            var docs = new List<Dictionary<string, object?>>();
            foreach (var f in files)
            {
                var stream = new YamlStream();
                using var reader = new StreamReader(Path.Combine(K8sDir, f));
                stream.Load(reader);
                docs.AddRange(stream.Documents.Select(d => Map(Convert(d.RootNode))));
            }
            var k = new YamlStream();
            using (var reader = new StreamReader(Path.Combine(K8sDir, "kustomization.yaml"))) k.Load(reader);
            var kustomization = Map(Convert(k.Documents[0].RootNode));

            var cmSource = SplitKeyFile((string)List(Get(Assert.Single(List(kustomization["configMapGenerator"])), "files")).Single()!).File;
            using var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(K8sDir, cmSource)));
            var config = json.RootElement.EnumerateObject().ToDictionary(p => p.Name,
                p => p.Value.ValueKind == System.Text.Json.JsonValueKind.String ? p.Value.GetString()! : p.Value.GetRawText());
            return new Manifests { Files = files, Documents = docs, Kustomization = kustomization, Config = config };
        }

        private static object? Convert(YamlNode node) => node switch
        {
            YamlMappingNode map => map.Children.ToDictionary(kv => ((YamlScalarNode)kv.Key).Value!, kv => Convert(kv.Value)),
            YamlSequenceNode seq => seq.Children.Select(Convert).ToList(),
            YamlScalarNode scalar => scalar.Value,
            _ => null,
        };
    }
}
