using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace CacheCluster.Integration.Tests.Infrastructure;

// Plays Kubernetes for the StatefulSet in k8s/ with real server processes on loopback:
//   K8sManifests        every object of k8s/ (honouring kustomization.yaml: resources, configMapGenerator, secretGenerator)
//   StatefulSetSpec     the StatefulSet, its pod template and the one container, as the tests need them
//   StatefulSetSimulator pods 0..N-1 as processes: the container's command/args/env ($(VAR) expanded, downward API),
//                       its ConfigMap/Secret volumes materialised in temp dirs, a per-ordinal data dir kept across
//                       restarts (the PVC), one IP per pod (127.0.0.(base+ordinal)) and a hosts file that plays the
//                       cluster DNS (headless service + per-pod records); probes and the preStop hook from the YAML.

/// <summary>One Kubernetes object of the manifests.</summary>
public sealed record K8sObject(string File, string Kind, string Name, YamlMappingNode Root);

/// <summary>Small read helpers over YamlDotNet's representation model.</summary>
public static class YamlNav
{
    public static YamlNode? Get(this YamlNode? n, string key)
    {
        if (n is not YamlMappingNode m) return null;
        foreach (var (k, v) in m.Children)
            if (k is YamlScalarNode s && s.Value == key) return v;
        return null;
    }

    public static YamlNode? At(this YamlNode? n, params string[] path)
    {
        foreach (var p in path) n = n.Get(p);
        return n;
    }

    public static string? Str(this YamlNode? n) => n is YamlScalarNode s ? s.Value : null;
    public static string? Str(this YamlNode? n, string key) => n.Get(key).Str();

    public static int? Int(this YamlNode? n, string key) =>
        int.TryParse(n.Str(key), NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : null;

    public static bool? Bool(this YamlNode? n, string key) => n.Str(key)?.ToLowerInvariant() switch
    {
        "true" => true,
        "false" => false,
        _ => null,
    };

    public static IEnumerable<YamlNode> Items(this YamlNode? n) => n is YamlSequenceNode s ? s.Children : Enumerable.Empty<YamlNode>();

    public static List<string>? StrList(this YamlNode? n) => n is YamlSequenceNode s ? s.Children.Select(c => c.Str() ?? "").ToList() : null;

    public static IEnumerable<(string Key, string Value)> StrMap(this YamlNode? n)
    {
        if (n is not YamlMappingNode m) yield break;
        foreach (var (k, v) in m.Children)
            if (k is YamlScalarNode ks && ks.Value != null) yield return (ks.Value, v.Str() ?? "");
    }
}

/// <summary>
/// Every object under k8s/: when a kustomization.yaml exists its <c>resources</c> (plus its configMapGenerator /
/// secretGenerator), else every *.yaml / *.yml file. ConfigMaps and Secrets are indexed by name (data decoded).
/// </summary>
public sealed class K8sManifests
{
    public string Dir { get; }
    public List<K8sObject> Objects { get; } = new();
    /// <summary>name → key → content.</summary>
    public Dictionary<string, Dictionary<string, string>> ConfigMaps { get; } = new();
    /// <summary>name → key → content (decoded).</summary>
    public Dictionary<string, Dictionary<string, string>> Secrets { get; } = new();
    /// <summary>name → where it comes from (a ConfigMap object in a file, or the kustomization's generator).</summary>
    public Dictionary<string, string> Sources { get; } = new();
    public string? Namespace { get; private set; }
    public string? KustomizationFile { get; private set; }
    public List<string> Notes { get; } = new();

    private K8sManifests(string dir) => Dir = dir;

    /// <summary>The manifests of the repository (k8s/), or of the directory in env CC_SIM_K8S_DIR.</summary>
    public static K8sManifests Load(string? dir = null)
    {
        dir ??= Environment.GetEnvironmentVariable("CC_SIM_K8S_DIR") is { Length: > 0 } d ? d : Path.Combine(RepoPaths.RepoRoot, "k8s");
        if (!Directory.Exists(dir)) throw new DirectoryNotFoundException($"no manifests directory {dir}");
        var m = new K8sManifests(dir);
        var kfile = new[] { "kustomization.yaml", "kustomization.yml", "Kustomization" }.Select(f => Path.Combine(dir, f)).FirstOrDefault(File.Exists);
        if (kfile != null)
        {
            m.KustomizationFile = kfile;
            var k = LoadDocs(kfile).FirstOrDefault() ?? throw new InvalidDataException($"{kfile} is empty");
            m.Namespace = k.Str("namespace");
            foreach (var r in k.Get("resources").Items().Select(i => i.Str()).OfType<string>())
            {
                var p = Path.Combine(dir, r);
                if (Directory.Exists(p))
                    foreach (var f in YamlFiles(p)) m.AddFile(f);
                else if (File.Exists(p)) m.AddFile(p);
                else m.Notes.Add($"kustomization resource {r} not found (remote bases are not simulated)");
            }
            foreach (var g in k.Get("configMapGenerator").Items()) m.AddGenerated(g, m.ConfigMaps, "configMapGenerator", kfile);
            foreach (var g in k.Get("secretGenerator").Items()) m.AddGenerated(g, m.Secrets, "secretGenerator", kfile);
            if (k.Get("patches") != null || k.Get("patchesStrategicMerge") != null || k.Get("patchesJson6902") != null)
                m.Notes.Add("kustomization patches are NOT applied by the simulation");
        }
        else
        {
            foreach (var f in YamlFiles(dir)) m.AddFile(f);
        }
        foreach (var o in m.Objects)
        {
            if (o.Kind == "ConfigMap")
            {
                var data = m.ConfigMaps.TryGetValue(o.Name, out var e) ? e : m.ConfigMaps[o.Name] = new();
                foreach (var (key, value) in o.Root.Get("data").StrMap()) data[key] = value;
                foreach (var (key, value) in o.Root.Get("binaryData").StrMap()) data[key] = Encoding.UTF8.GetString(Convert.FromBase64String(value));
                m.Sources[o.Name] = $"ConfigMap {o.Name} in {Path.GetFileName(o.File)}";
            }
            else if (o.Kind == "Secret")
            {
                var data = m.Secrets.TryGetValue(o.Name, out var e) ? e : m.Secrets[o.Name] = new();
                foreach (var (key, value) in o.Root.Get("data").StrMap()) data[key] = Encoding.UTF8.GetString(Convert.FromBase64String(value));
                foreach (var (key, value) in o.Root.Get("stringData").StrMap()) data[key] = value;
                m.Sources[o.Name] = $"Secret {o.Name} in {Path.GetFileName(o.File)}";
            }
        }
        return m;
    }

    private static IEnumerable<string> YamlFiles(string dir) =>
        Directory.GetFiles(dir).Where(f => (f.EndsWith(".yaml", StringComparison.Ordinal) || f.EndsWith(".yml", StringComparison.Ordinal))
                                           && !Path.GetFileName(f).StartsWith("kustomization", StringComparison.OrdinalIgnoreCase))
            .OrderBy(f => f, StringComparer.Ordinal);

    public static List<YamlMappingNode> LoadDocs(string file)
    {
        var stream = new YamlStream();
        using (var r = new StringReader(File.ReadAllText(file))) stream.Load(r);
        return stream.Documents.Select(d => d.RootNode).OfType<YamlMappingNode>().ToList();
    }

    private void AddFile(string file)
    {
        foreach (var doc in LoadDocs(file))
        {
            var kind = doc.Str("kind");
            if (kind == null) continue;
            if (kind == "List")
            {
                foreach (var item in doc.Get("items").Items().OfType<YamlMappingNode>())
                    if (item.Str("kind") is { } ik) Objects.Add(new K8sObject(file, ik, item.At("metadata").Str("name") ?? "", item));
                continue;
            }
            Objects.Add(new K8sObject(file, kind, doc.At("metadata").Str("name") ?? "", doc));
        }
    }

    private void AddGenerated(YamlNode g, Dictionary<string, Dictionary<string, string>> into, string what, string kfile)
    {
        var name = g.Str("name") ?? throw new InvalidDataException($"{kfile}: a {what} entry without name");
        var data = g.Str("behavior") == "replace" || !into.TryGetValue(name, out var e) ? into[name] = new() : e;
        var sources = new List<string>();
        foreach (var f in g.Get("files").Items().Select(i => i.Str()).OfType<string>())
        {
            var eq = f.IndexOf('=');
            var (key, path) = eq > 0 ? (f[..eq], f[(eq + 1)..]) : (Path.GetFileName(f), f);
            data[key] = File.ReadAllText(Path.Combine(Dir, path));
            sources.Add(f);
        }
        foreach (var l in g.Get("literals").Items().Select(i => i.Str()).OfType<string>())
        {
            var eq = l.IndexOf('=');
            if (eq > 0) data[l[..eq]] = l[(eq + 1)..];
            sources.Add("literal " + (eq > 0 ? l[..eq] : l));
        }
        var envFiles = g.Get("envs").Items().Select(i => i.Str()).OfType<string>().ToList();
        if (g.Str("env") is { } single) envFiles.Add(single);
        foreach (var ef in envFiles)
        {
            foreach (var raw in File.ReadAllLines(Path.Combine(Dir, ef)))
            {
                var line = raw.Trim();
                if (line.Length == 0 || line.StartsWith('#')) continue;
                var eq = line.IndexOf('=');
                if (eq > 0) data[line[..eq]] = line[(eq + 1)..];
            }
            sources.Add("env file " + ef);
        }
        Sources[name] = $"{Path.GetFileName(kfile)} {what} {name} ({string.Join(", ", sources)})";
    }

    public K8sObject? Find(string kind, string? name = null) =>
        Objects.FirstOrDefault(o => o.Kind == kind && (name == null || o.Name == name));

    /// <summary>The Dockerfile next to the manifests (or at the repository root), if any.</summary>
    public string? Dockerfile =>
        new[] { Path.Combine(Dir, "Dockerfile"), Path.Combine(RepoPaths.RepoRoot, "Dockerfile") }.FirstOrDefault(File.Exists);

    /// <summary>The image's ENTRYPOINT and CMD as exec arrays (shell form → /bin/sh -c), from the Dockerfile.</summary>
    public (List<string>? Entrypoint, List<string>? Cmd) ImageEntrypoint()
    {
        var file = Dockerfile;
        if (file == null) return (null, null);
        List<string>? ep = null, cmd = null;
        foreach (var raw in File.ReadAllLines(file))
        {
            var line = raw.Trim();
            if (line.StartsWith("FROM ", StringComparison.OrdinalIgnoreCase)) { ep = null; cmd = null; }   // last stage wins
            if (line.StartsWith("ENTRYPOINT", StringComparison.OrdinalIgnoreCase)) ep = ExecForm(line["ENTRYPOINT".Length..].Trim());
            if (line.StartsWith("CMD", StringComparison.OrdinalIgnoreCase)) cmd = ExecForm(line["CMD".Length..].Trim());
        }
        return (ep, cmd);
    }

    /// <summary>The image's ENV (last stage of the Dockerfile): part of every container's environment, under the pod's own env.</summary>
    public Dictionary<string, string> ImageEnv()
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        if (Dockerfile is not { } file) return env;
        foreach (var raw in File.ReadAllLines(file))
        {
            var line = raw.Trim();
            if (line.StartsWith("FROM ", StringComparison.OrdinalIgnoreCase)) env.Clear();
            if (!line.StartsWith("ENV ", StringComparison.OrdinalIgnoreCase)) continue;
            var rest = line[4..].Trim();
            var pairs = Regex.Matches(rest, @"([A-Za-z_][A-Za-z0-9_]*)=(""[^""]*""|\S*)");
            if (pairs.Count == 0)
            {
                var sp = rest.IndexOf(' ');
                if (sp > 0) env[rest[..sp]] = rest[(sp + 1)..].Trim();
                continue;
            }
            foreach (Match m in pairs) env[m.Groups[1].Value] = m.Groups[2].Value.Trim('"');
        }
        return env;
    }

    private static List<string> ExecForm(string s) =>
        s.StartsWith('[') ? JsonSerializer.Deserialize<List<string>>(s)! : new List<string> { "/bin/sh", "-c", s };
}

/// <summary>An httpGet / exec / tcpSocket probe of the container, with Kubernetes' defaults.</summary>
public sealed record ProbeSpec(string Which, string Kind, string? Path, string? Port, string Scheme, int InitialDelaySeconds, int PeriodSeconds,
    int TimeoutSeconds, int FailureThreshold, int SuccessThreshold)
{
    public static ProbeSpec? From(string which, YamlNode? n)
    {
        if (n == null) return null;
        var kind = n.Get("httpGet") != null ? "httpGet" : n.Get("exec") != null ? "exec" : n.Get("tcpSocket") != null ? "tcpSocket" : n.Get("grpc") != null ? "grpc" : "unknown";
        var h = n.Get(kind);
        return new ProbeSpec(which, kind, h.Str("path") ?? (kind == "httpGet" ? "/" : null), h.Str("port"), h.Str("scheme") ?? "HTTP",
            n.Int("initialDelaySeconds") ?? 0, n.Int("periodSeconds") ?? 10, n.Int("timeoutSeconds") ?? 1, n.Int("failureThreshold") ?? 3, n.Int("successThreshold") ?? 1);
    }

    /// <summary>The containerPort the probe targets (a port name resolved through the container's ports), null when unknown.</summary>
    public int? ContainerPort(IReadOnlyDictionary<string, int> ports) =>
        Port == null ? null : int.TryParse(Port, out var p) ? p : ports.TryGetValue(Port, out var q) ? q : null;

    /// <summary>How long the kubelet lets this probe fail before acting (initialDelay + period × failureThreshold).</summary>
    public TimeSpan Budget => TimeSpan.FromSeconds(InitialDelaySeconds + PeriodSeconds * FailureThreshold);

    public override string ToString() => $"{Which}: {Kind} {Path} port {Port} (period {PeriodSeconds}s, timeout {TimeoutSeconds}s, failureThreshold {FailureThreshold})";
}

/// <summary>The StatefulSet and the parts of its one container the simulation uses.</summary>
public sealed class StatefulSetSpec
{
    public required K8sManifests Manifests { get; init; }
    public required K8sObject Object { get; init; }
    public required string Name { get; init; }
    public required string ServiceName { get; init; }
    public required int Replicas { get; init; }
    public required string PodManagementPolicy { get; init; }
    public required int TerminationGracePeriodSeconds { get; init; }
    public required YamlNode PodSpec { get; init; }
    public required YamlNode Container { get; init; }
    public required string Namespace { get; init; }
    public K8sObject? HeadlessService { get; init; }
    public List<string>? Command => Container.Get("command").StrList();
    public List<string>? Args => Container.Get("args").StrList();

    /// <summary>containerPort by port name.</summary>
    public Dictionary<string, int> Ports =>
        Container.Get("ports").Items().Where(p => p.Str("name") != null && p.Int("containerPort") != null)
            .ToDictionary(p => p.Str("name")!, p => p.Int("containerPort")!.Value);

    public ProbeSpec? StartupProbe => ProbeSpec.From("startupProbe", Container.Get("startupProbe"));
    public ProbeSpec? ReadinessProbe => ProbeSpec.From("readinessProbe", Container.Get("readinessProbe"));
    public ProbeSpec? LivenessProbe => ProbeSpec.From("livenessProbe", Container.Get("livenessProbe"));
    public List<string>? PreStopExec => Container.At("lifecycle", "preStop", "exec").Get("command").StrList();

    /// <summary>The headless service publishes pods before they are ready (needed: a pod must find the others to become ready).</summary>
    public bool PublishNotReadyAddresses => HeadlessService?.Root.At("spec").Bool("publishNotReadyAddresses") == true;

    /// <summary>The names of the PVC templates (volumeClaimTemplates).</summary>
    public List<string> ClaimTemplates => Object.Root.At("spec", "volumeClaimTemplates").Items().Select(t => t.At("metadata").Str("name") ?? "").ToList();

    public static StatefulSetSpec Load(K8sManifests m, string name = "cachecluster", string container = "cachecluster")
    {
        var o = m.Find("StatefulSet", name) ?? throw new InvalidDataException($"no StatefulSet '{name}' in {m.Dir} (objects: {string.Join(", ", m.Objects.Select(x => x.Kind + "/" + x.Name))})");
        var spec = o.Root.Get("spec");
        var pod = spec.At("template", "spec") ?? throw new InvalidDataException($"StatefulSet {name} has no spec.template.spec");
        var c = pod.Get("containers").Items().FirstOrDefault(x => x.Str("name") == container)
                ?? throw new InvalidDataException($"StatefulSet {name} has no container named '{container}'");
        var svc = spec.Str("serviceName") ?? throw new InvalidDataException($"StatefulSet {name} has no spec.serviceName (the headless service)");
        return new StatefulSetSpec
        {
            Manifests = m,
            Object = o,
            Name = name,
            ServiceName = svc,
            Replicas = spec.Int("replicas") ?? 1,
            PodManagementPolicy = spec.Str("podManagementPolicy") ?? "OrderedReady",
            TerminationGracePeriodSeconds = pod.Int("terminationGracePeriodSeconds") ?? 30,
            PodSpec = pod,
            Container = c,
            Namespace = o.Root.At("metadata").Str("namespace") ?? m.Namespace ?? "default",
            HeadlessService = m.Find("Service", svc),
        };
    }
}

/// <summary>One pod of the simulated StatefulSet: identity, IP, ports and data dir stay across restarts.</summary>
public sealed class SimPod
{
    private static readonly HttpClient Http = new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromSeconds(2) }) { Timeout = TimeSpan.FromSeconds(5) };

    internal SimPod(int ordinal, string name, string ip, string root)
    {
        Ordinal = ordinal;
        Name = name;
        Ip = ip;
        DataDir = Path.Combine(root, "pvc");
        WorkDir = Path.Combine(root, "work");
        VolumesDir = Path.Combine(root, "volumes");
        Directory.CreateDirectory(DataDir);
        Directory.CreateDirectory(WorkDir);
        Directory.CreateDirectory(VolumesDir);
    }

    public int Ordinal { get; }
    public string Name { get; }
    /// <summary>The pod IP: 127.0.0.(base + ordinal); the node binds it.</summary>
    public string Ip { get; }
    /// <summary>The per-ordinal persistent volume (passed as --data-dir), kept across restarts.</summary>
    public string DataDir { get; }
    public string WorkDir { get; }
    public string VolumesDir { get; }
    public int RespPort { get; internal set; }
    public int MemcachedPort { get; internal set; }
    public int AdminPort { get; internal set; }
    public int ClusterPort { get; internal set; }
    /// <summary>The --advertise value after $(VAR) expansion (what peers dial, through the simulated DNS).</summary>
    public string? Advertise { get; internal set; }
    public IReadOnlyList<string> ServeArgs { get; internal set; } = Array.Empty<string>();
    public IReadOnlyDictionary<string, string> Env { get; internal set; } = new Dictionary<string, string>();

    public NodeProcess? Process { get; internal set; }
    public List<NodeProcess> Previous { get; } = new();
    public NodeProcess Current => Process ?? throw new InvalidOperationException($"{Name} is not running");
    public bool IsRunning => Process is { HasExited: false };

    public async Task<(HttpStatusCode Status, string Body)> HttpGetAsync(int port, string path, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(5));
        using var resp = await Http.GetAsync($"http://{Ip}:{port}{path}", cts.Token);
        return (resp.StatusCode, await resp.Content.ReadAsStringAsync(cts.Token));
    }

    public Task<(HttpStatusCode Status, string Body)> AdminGetAsync(string path) => HttpGetAsync(AdminPort, path);

    /// <summary>GET on the admin port; (null, error) when it does not answer.</summary>
    public async Task<(HttpStatusCode? Status, string Body)> TryAdminGetAsync(string path)
    {
        try { return await AdminGetAsync(path); }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or OperationCanceledException)
        {
            return (null, e.GetType().Name + ": " + e.Message);
        }
    }

    public async Task<ClusterView> ClusterAsync()
    {
        var (status, body) = await AdminGetAsync("/cluster");
        if (status != HttpStatusCode.OK) throw new InvalidDataException($"{Name}: GET /cluster answered HTTP {(int)status}: {body}");
        return ClusterView.Parse(body);
    }

    public async Task<(ClusterView? View, string Error)> TryClusterAsync()
    {
        try { return (await ClusterAsync(), ""); }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or OperationCanceledException or InvalidDataException)
        {
            return (null, e.GetType().Name + ": " + e.Message);
        }
    }

    public Task<RespClient> ConnectAsync() => LoopbackConnect.RespAsync(Ip, RespPort);

    public override string ToString() => $"{Name}({Ip})";
}

/// <summary>
/// Runs the StatefulSet of k8s/ as local processes (see the file header). Disposing SIGKILLs every process and deletes
/// every temp dir, whatever the test's outcome.
/// </summary>
public sealed class StatefulSetSimulator : IAsyncDisposable
{
    /// <summary>Test value for a secretKeyRef whose Secret is not part of the manifests (created out of band in a real cluster).</summary>
    public const string SimulatedSecretValue = "statefulset-simulation-secret";

    private readonly TempDir _root = new("cc-sts");
    private readonly List<SimPod> _pods = new();
    private readonly HashSet<int> _published = new();
    private readonly List<string> _notes = new();
    private readonly int _ipBase;

    public K8sManifests Manifests { get; }
    public StatefulSetSpec Set { get; }
    /// <summary>The simulated cluster DNS (--hosts-file of every pod).</summary>
    public string HostsFile { get; }
    /// <summary>True: every pod listens on the manifest's containerPorts (they were free on the pod IPs); false: allocated ports, passed as flags.</summary>
    public bool RealPorts { get; }
    public int ClusterPort { get; }
    public IReadOnlyList<SimPod> Pods => _pods;
    public SimPod this[int ordinal] => _pods[ordinal];

    /// <param name="maxPods">pods this test may create (ordinals 0..maxPods-1), to pick the ports</param>
    /// <param name="ipBase">pod N gets 127.0.0.(ipBase + N)</param>
    public StatefulSetSimulator(int maxPods, int ipBase = 30, K8sManifests? manifests = null)
    {
        Manifests = manifests ?? K8sManifests.Load();
        Set = StatefulSetSpec.Load(Manifests);
        _ipBase = ipBase;
        HostsFile = Path.Combine(_root.Path, "cluster-dns.hosts");
        WriteHosts();
        var ports = Set.Ports;
        foreach (var n in new[] { "resp", "memcached", "admin", "cluster" })
            if (!ports.ContainsKey(n)) throw new InvalidDataException($"container {Set.Container.Str("name")} has no port named '{n}' (ports: {string.Join(", ", ports.Select(p => p.Key + "=" + p.Value))})");
        var wanted = new[] { ports["resp"], ports["memcached"], ports["admin"], ports["cluster"] };
        RealPorts = Enumerable.Range(0, maxPods).All(i => wanted.All(p => IsFree(PodIp(i), p)));
        ClusterPort = RealPorts ? ports["cluster"] : PortAllocator.GetFreePort();
        Note(RealPorts
            ? $"pods listen on the manifest's containerPorts ({string.Join(", ", ports.Select(p => p.Key + "=" + p.Value))}) on 127.0.0.{ipBase}+"
            : $"some containerPort is taken on 127.0.0.{ipBase}+: allocated ports are passed as flags (cluster port {ClusterPort} for all)");
        foreach (var note in Manifests.Notes) Note("manifests: " + note);
    }

    public string PodName(int ordinal) => $"{Set.Name}-{ordinal}";
    public string PodIp(int ordinal) => $"127.0.0.{_ipBase + ordinal}";

    private static bool IsFree(string ip, int port)
    {
        try
        {
            var l = new TcpListener(IPAddress.Parse(ip), port);
            l.Start();
            l.Stop();
            return true;
        }
        catch (SocketException) { return false; }
    }

    public void Note(string s)
    {
        lock (_notes) _notes.Add($"{DateTime.Now:HH:mm:ss.fff} {s}");
    }

    /// <summary>The pod slot of <paramref name="ordinal"/> (created on first use: IP, ports, PVC dir).</summary>
    public SimPod Pod(int ordinal)
    {
        while (_pods.Count <= ordinal)
        {
            var i = _pods.Count;
            var p = new SimPod(i, PodName(i), PodIp(i), Path.Combine(_root.Path, PodName(i)));
            var ports = Set.Ports;
            if (RealPorts)
            {
                p.RespPort = ports["resp"];
                p.MemcachedPort = ports["memcached"];
                p.AdminPort = ports["admin"];
            }
            else
            {
                p.RespPort = PortAllocator.GetFreePort();
                p.MemcachedPort = PortAllocator.GetFreePort();
                p.AdminPort = PortAllocator.GetFreePort();
            }
            p.ClusterPort = ClusterPort;
            _pods.Add(p);
        }
        return _pods[ordinal];
    }

    /// <summary>The test's port for a containerPort of <paramref name="pod"/> (itself when the pods use the real ports; unknown numbers stay as they are).</summary>
    public int MapPort(SimPod pod, int containerPort)
    {
        if (RealPorts) return containerPort;
        var ports = Set.Ports;
        if (ports.TryGetValue("resp", out var r) && r == containerPort) return pod.RespPort;
        if (ports.TryGetValue("memcached", out var m) && m == containerPort) return pod.MemcachedPort;
        if (ports.TryGetValue("admin", out var a) && a == containerPort) return pod.AdminPort;
        if (ports.TryGetValue("cluster", out var c) && c == containerPort) return pod.ClusterPort;
        return containerPort;
    }

    // ---------------------------------------------------------------- DNS

    /// <summary>Adds the pod's IP to the headless service name and gives it its per-pod record (what the endpoints controller does).</summary>
    public void Publish(SimPod pod)
    {
        lock (_published) _published.Add(pod.Ordinal);
        WriteHosts();
        Note($"DNS: published {pod.Name} → {pod.Ip}");
    }

    public void Unpublish(SimPod pod)
    {
        lock (_published) _published.Remove(pod.Ordinal);
        WriteHosts();
        Note($"DNS: removed {pod.Name}");
    }

    /// <summary>Every name cluster DNS answers for a StatefulSet pod and for its headless service (short and qualified forms).</summary>
    public IEnumerable<string> DnsNames(int ordinal)
    {
        var svc = Set.ServiceName;
        var ns = Set.Namespace;
        var pod = PodName(ordinal);
        foreach (var suffix in new[] { "", "." + ns, $".{ns}.svc", $".{ns}.svc.cluster.local" })
        {
            yield return $"{pod}.{svc}{suffix}";
            yield return svc + suffix;
        }
    }

    private void WriteHosts()
    {
        var sb = new StringBuilder("# cluster DNS simulated by StatefulSetSimulator: the headless service and its pods\n");
        int[] published;
        lock (_published) published = _published.OrderBy(i => i).ToArray();
        foreach (var i in published) sb.Append(PodIp(i)).Append(' ').AppendLine(string.Join(' ', DnsNames(i)));
        var tmp = HostsFile + ".tmp";
        File.WriteAllText(tmp, sb.ToString());
        File.Move(tmp, HostsFile, overwrite: true);
    }

    // ---------------------------------------------------------------- the container

    /// <summary>
    /// The container's environment for this pod, as the kubelet builds it: the image's ENV, the service links (unless
    /// enableServiceLinks: false), envFrom, then env in order; $(VAR) in values expands earlier variables; fieldRef
    /// (downward API), configMapKeyRef, secretKeyRef, resourceFieldRef.
    /// </summary>
    public Dictionary<string, string> ContainerEnv(SimPod pod)
    {
        var env = Manifests.ImageEnv();
        if (Set.PodSpec.Bool("enableServiceLinks") != false)
        {
            // docker-link style variables for every Service with a cluster IP (what the kubelet injects by default)
            var n = 0;
            foreach (var svc in Manifests.Objects.Where(o => o.Kind == "Service" && o.Root.At("spec").Str("clusterIP") != "None"))
            {
                var ip = $"10.96.0.{10 + n++}";
                var prefix = svc.Name.ToUpperInvariant().Replace('-', '_');
                var ports = svc.Root.At("spec", "ports").Items().ToList();
                if (ports.Count == 0) continue;
                env[prefix + "_SERVICE_HOST"] = ip;
                env[prefix + "_SERVICE_PORT"] = ports[0].Str("port") ?? "";
                env[prefix + "_PORT"] = $"tcp://{ip}:{ports[0].Str("port")}";
                foreach (var p in ports)
                {
                    var proto = (p.Str("protocol") ?? "TCP").ToUpperInvariant();
                    var port = p.Str("port") ?? "";
                    if (p.Str("name") is { } pn) env[$"{prefix}_SERVICE_PORT_{pn.ToUpperInvariant().Replace('-', '_')}"] = port;
                    var k = $"{prefix}_PORT_{port}_{proto}";
                    env[k] = $"{proto.ToLowerInvariant()}://{ip}:{port}";
                    env[k + "_PROTO"] = proto.ToLowerInvariant();
                    env[k + "_PORT"] = port;
                    env[k + "_ADDR"] = ip;
                }
            }
            if (n > 0) Note($"service links injected for {n} Service(s) (enableServiceLinks is not false)");
        }
        foreach (var ef in Set.Container.Get("envFrom").Items())
        {
            var prefix = ef.Str("prefix") ?? "";
            if (ef.Get("configMapRef") is { } cm)
                foreach (var (k, v) in Map(Manifests.ConfigMaps, cm.Str("name"), "ConfigMap", cm.Bool("optional") == true)) env[prefix + k] = v;
            if (ef.Get("secretRef") is { } sr)
                foreach (var (k, v) in Map(Manifests.Secrets, sr.Str("name"), "Secret", sr.Bool("optional") == true)) env[prefix + k] = v;
        }
        foreach (var e in Set.Container.Get("env").Items())
        {
            var name = e.Str("name")!;
            if (e.Get("value") is { } v) { env[name] = Expand(v.Str() ?? "", env); continue; }
            var vf = e.Get("valueFrom");
            if (vf == null) { env[name] = ""; continue; }
            if (vf.Get("fieldRef") is { } fr)
            {
                env[name] = fr.Str("fieldPath") switch
                {
                    "metadata.name" => pod.Name,
                    "metadata.namespace" => Set.Namespace,
                    "status.podIP" or "status.hostIP" => pod.Ip,
                    "status.podIPs" => pod.Ip,
                    "spec.nodeName" => "sim-node",
                    "spec.serviceAccountName" => "default",
                    "metadata.uid" => $"sim-uid-{pod.Ordinal}",
                    var other => throw new NotSupportedException($"env {name}: fieldRef {other} is not simulated"),
                };
            }
            else if (vf.Get("configMapKeyRef") is { } ck)
            {
                var d = Map(Manifests.ConfigMaps, ck.Str("name"), "ConfigMap", ck.Bool("optional") == true);
                if (d.TryGetValue(ck.Str("key") ?? "", out var val)) env[name] = val;
                else if (ck.Bool("optional") != true) throw new InvalidDataException($"env {name}: ConfigMap {ck.Str("name")} has no key {ck.Str("key")}");
            }
            else if (vf.Get("secretKeyRef") is { } sk)
            {
                var sname = sk.Str("name") ?? "";
                if (Manifests.Secrets.TryGetValue(sname, out var d))
                {
                    if (d.TryGetValue(sk.Str("key") ?? "", out var val)) env[name] = val;
                    else if (sk.Bool("optional") != true) throw new InvalidDataException($"env {name}: Secret {sname} has no key {sk.Str("key")}");
                }
                else if (sk.Bool("optional") != true)
                {
                    env[name] = SimulatedSecretValue;
                    Note($"env {name}: Secret {sname} is not in the manifests (created out of band): the same test value on every pod");
                }
            }
            else if (vf.Get("resourceFieldRef") is { } rf)
            {
                env[name] = ResourceField(rf);
            }
            else throw new NotSupportedException($"env {name}: valueFrom {vf} is not simulated");
        }
        return env;
    }

    private Dictionary<string, string> Map(Dictionary<string, Dictionary<string, string>> maps, string? name, string kind, bool optional)
    {
        if (name != null && maps.TryGetValue(name, out var d)) return d;
        if (optional) return new();
        if (kind == "Secret")
        {
            Note($"{kind} {name} is not in the manifests (created out of band): treated as empty");
            return new();
        }
        throw new InvalidDataException($"{kind} '{name}' referenced by the StatefulSet is not in {Manifests.Dir} (known: {string.Join(", ", maps.Keys)})");
    }

    private string ResourceField(YamlNode rf)
    {
        var res = rf.Str("resource") ?? "";
        var parts = res.Split('.');
        var q = Set.Container.At("resources", parts[0]).Str(parts.Length > 1 ? parts[1] : "");
        if (q == null) return "0";
        var divisor = rf.Str("divisor") is { } dv ? Quantity(dv) : 1m;
        return Math.Ceiling(Quantity(q) / divisor).ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>A Kubernetes resource quantity (100Mi, 2G, 500m, 1.5) as a number.</summary>
    public static decimal Quantity(string q)
    {
        var m = Regex.Match(q.Trim(), @"^([0-9.]+)([a-zA-Z]*)$");
        if (!m.Success) throw new FormatException($"quantity {q}");
        var n = decimal.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
        return n * m.Groups[2].Value switch
        {
            "" => 1m,
            "m" => 0.001m,
            "k" => 1e3m, "M" => 1e6m, "G" => 1e9m, "T" => 1e12m,
            "Ki" => 1024m, "Mi" => 1024m * 1024, "Gi" => 1024m * 1024 * 1024, "Ti" => 1024m * 1024 * 1024 * 1024,
            var s => throw new FormatException($"quantity suffix {s}"),
        };
    }

    private static readonly Regex VarRef = new(@"\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)", RegexOptions.Compiled);

    /// <summary>Kubernetes' $(VAR) expansion (command, args, env values): defined variables expand, $$ is a literal $, unknown stay as written.</summary>
    public static string Expand(string s, IReadOnlyDictionary<string, string> env) =>
        VarRef.Replace(s, m => m.Value == "$$" ? "$" : env.TryGetValue(m.Groups[1].Value, out var v) ? v : m.Value);

    /// <summary>mountPath → local directory of every volume the container mounts (ConfigMap/Secret materialised; the PVC → the pod's data dir).</summary>
    public Dictionary<string, string> MaterializeVolumes(SimPod pod)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        var volumes = Set.PodSpec.Get("volumes").Items().ToDictionary(v => v.Str("name") ?? "", v => v);
        var claims = Set.ClaimTemplates;
        foreach (var vm in Set.Container.Get("volumeMounts").Items())
        {
            var vname = vm.Str("name") ?? "";
            var mountPath = (vm.Str("mountPath") ?? "").TrimEnd('/');
            var subPath = vm.Str("subPath");
            string local;
            if (claims.Contains(vname)) local = subPath == null ? pod.DataDir : Path.Combine(pod.DataDir, subPath);
            else if (volumes.TryGetValue(vname, out var vol))
            {
                var dir = Path.Combine(pod.VolumesDir, vname);
                Directory.CreateDirectory(dir);
                Dictionary<string, string>? data = null;
                YamlNode? items = null;
                if (vol.Get("configMap") is { } cm) { data = Map(Manifests.ConfigMaps, cm.Str("name"), "ConfigMap", cm.Bool("optional") == true); items = cm.Get("items"); }
                else if (vol.Get("secret") is { } sec) { data = Map(Manifests.Secrets, sec.Str("secretName"), "Secret", sec.Bool("optional") == true); items = sec.Get("items"); }
                if (data != null)
                {
                    if (items is YamlSequenceNode seq)
                        foreach (var it in seq) Write(dir, it.Str("path")!, data[it.Str("key")!]);
                    else
                        foreach (var (k, v) in data) Write(dir, k, v);
                }
                local = subPath == null ? dir : Path.Combine(dir, subPath);
            }
            else { Note($"volumeMount {vname}: no such volume; left unmapped"); continue; }
            map[mountPath] = local;
        }
        return map;

        static void Write(string dir, string rel, string content)
        {
            var p = Path.Combine(dir, rel);
            Directory.CreateDirectory(Path.GetDirectoryName(p)!);
            File.WriteAllText(p, content);
        }
    }

    /// <summary>Rewrites a path inside the container to the local directory of its volume (unchanged when it is not under a mount).</summary>
    public static string MapPath(string s, IReadOnlyDictionary<string, string> mounts)
    {
        foreach (var (mp, local) in mounts.OrderByDescending(kv => kv.Key.Length))
        {
            if (s == mp) return local;
            if (mp.Length > 0 && s.StartsWith(mp + "/", StringComparison.Ordinal)) return Path.Combine(local, s[(mp.Length + 1)..]);
        }
        return s;
    }

    /// <summary>
    /// The process the container runs (command/args of the container, else the image's ENTRYPOINT/CMD from the
    /// Dockerfile), $(VAR) expanded: the arguments after CacheCluster.Server.dll (so the first is the verb, "serve").
    /// </summary>
    public List<string> ContainerServerArgs(IReadOnlyDictionary<string, string> env)
    {
        var (ep, cmd) = Manifests.ImageEntrypoint();
        List<string> argv;
        if (Set.Command is { } command) argv = command.Concat(Set.Args ?? new List<string>()).ToList();
        else
        {
            if (ep == null && cmd == null && Set.Args is { Count: > 0 } a && a[0] != "serve")
                throw new InvalidDataException("the container has no command and no Dockerfile ENTRYPOINT was found next to the manifests: cannot tell what it runs");
            argv = (ep ?? new List<string> { "dotnet", "/app/CacheCluster.Server.dll" }).Concat(Set.Args ?? cmd ?? new List<string>()).ToList();
            if (ep == null) Note("no Dockerfile ENTRYPOINT found: assumed [dotnet, /app/CacheCluster.Server.dll]");
        }
        argv = argv.Select(x => Expand(x, env)).ToList();
        return ServerArgsOf(argv) ?? throw new InvalidDataException($"the container does not run CacheCluster.Server.dll: {string.Join(' ', argv)}");
    }

    /// <summary>The arguments after CacheCluster.Server.dll in an exec array (dotnet X.dll ..., the apphost, or /bin/sh -c "..."), null when it is not the server.</summary>
    public static List<string>? ServerArgsOf(IReadOnlyList<string> argv)
    {
        if (argv.Count == 0) return null;
        if (argv.Count >= 3 && argv[0] is "/bin/sh" or "sh" or "/bin/bash" or "bash" && argv[1] == "-c")
            return ServerArgsOf(argv[2].Split(' ', StringSplitOptions.RemoveEmptyEntries).Where(t => t != "exec").ToList());
        if (Path.GetFileName(argv[0]) == "dotnet" && argv.Count >= 2 && Path.GetFileName(argv[1]) == "CacheCluster.Server.dll") return argv.Skip(2).ToList();
        if (Path.GetFileName(argv[0]) is "CacheCluster.Server" or "CacheCluster.Server.dll") return argv.Skip(1).ToList();
        return null;
    }

    /// <summary>The value of <paramref name="flag"/> ("--flag value" or "--flag=value"; the last one wins), null when absent.</summary>
    public static string? FlagValue(IReadOnlyList<string> args, string flag)
    {
        string? v = null;
        for (var i = 0; i < args.Count; i++)
        {
            if (args[i] == flag && i + 1 < args.Count) v = args[i + 1];
            else if (args[i].StartsWith(flag + "=", StringComparison.Ordinal)) v = args[i][(flag.Length + 1)..];
        }
        return v;
    }

    /// <summary>Sets <paramref name="flag"/> to <paramref name="value"/>: replaces every occurrence, or appends it.</summary>
    public static void SetFlag(List<string> args, string flag, string value)
    {
        var found = false;
        for (var i = 0; i < args.Count; i++)
        {
            if (args[i] == flag && i + 1 < args.Count) { args[i + 1] = value; found = true; i++; }
            else if (args[i].StartsWith(flag + "=", StringComparison.Ordinal)) { args[i] = flag + "=" + value; found = true; }
        }
        if (!found) args.AddRange(new[] { flag, value });
    }

    /// <summary>The manifest's own value of a node option for this pod (flag &gt; env &gt; --config file), before any test override; null = the server default.</summary>
    public string? ManifestSetting(SimPod pod, string option)
    {
        var env = ContainerEnv(pod);
        var args = ContainerServerArgs(env);
        if (FlagValue(args, "--" + option) is { } f) return f;
        if (env.TryGetValue("CACHECLUSTER_" + option.Replace('-', '_').ToUpperInvariant(), out var e)) return e;
        if (FlagValue(args, "--config") is { } cfg)
        {
            var local = MapPath(cfg, MaterializeVolumes(pod));
            if (!File.Exists(local)) throw new FileNotFoundException($"--config {cfg}: not in any mounted volume of the container (→ {local})");
            using var doc = JsonDocument.Parse(File.ReadAllText(local));
            if (doc.RootElement.TryGetProperty(option, out var v))
                return v.ValueKind switch
                {
                    JsonValueKind.String => v.GetString(),
                    JsonValueKind.Array => string.Join(',', v.EnumerateArray().Select(x => x.ToString())),
                    _ => v.GetRawText(),
                };
        }
        return null;
    }

    /// <summary>
    /// The "serve" arguments of the pod: the container's, with the loopback overrides only — --bind the pod IP,
    /// --data-dir its PVC dir, --hosts-file the simulated DNS, and (only when a containerPort is taken here) the ports,
    /// with the port of --advertise rewritten to match.
    /// </summary>
    public (List<string> Args, Dictionary<string, string> Env) BuildServe(SimPod pod)
    {
        var env = ContainerEnv(pod);
        var mounts = MaterializeVolumes(pod);
        var args = ContainerServerArgs(env).Select(a => MapPath(a, mounts)).ToList();
        foreach (var k in env.Keys.ToList()) env[k] = MapPath(env[k], mounts);
        if (args.Count == 0 || args[0] != "serve") throw new InvalidDataException($"the container's server command is not 'serve': {string.Join(' ', args)}");
        args.RemoveAt(0);
        SetFlag(args, "--bind", pod.Ip);
        SetFlag(args, "--data-dir", pod.DataDir);
        SetFlag(args, "--hosts-file", HostsFile);
        if (!RealPorts)
        {
            SetFlag(args, "--resp-port", pod.RespPort.ToString());
            SetFlag(args, "--memcached-port", pod.MemcachedPort.ToString());
            SetFlag(args, "--admin-port", pod.AdminPort.ToString());
            SetFlag(args, "--cluster-port", pod.ClusterPort.ToString());
            if (FlagValue(args, "--advertise") is { } adv)
            {
                var colon = adv.LastIndexOf(':');
                SetFlag(args, "--advertise", (colon > 0 ? adv[..colon] : adv) + ":" + pod.ClusterPort);
            }
        }
        pod.Advertise = FlagValue(args, "--advertise") ?? (env.TryGetValue("CACHECLUSTER_ADVERTISE", out var ea) ? ea : null);
        return (args, env);
    }

    /// <summary>Starts the pod's container process (a previous incarnation must have exited). Does not wait for readiness.</summary>
    public async Task<NodeProcess> StartPodAsync(SimPod pod)
    {
        if (pod.Process != null)
        {
            if (!pod.Process.HasExited) throw new InvalidOperationException($"{pod.Name} is still running");
            pod.Previous.Add(pod.Process);
            pod.Process = null;
        }
        var (args, env) = BuildServe(pod);
        var o = new NodeOptions
        {
            PassStandardArgs = false,
            Host = pod.Ip,
            RespPort = pod.RespPort,
            MemcachedPort = pod.MemcachedPort,
            AdminPort = pod.AdminPort,
            DataDir = pod.DataDir,
            Shards = null,
            WorkingDir = pod.WorkDir,
        };
        o.ExtraArgs.AddRange(args);
        foreach (var (k, v) in env) o.Env[k] = v;
        pod.ServeArgs = args;
        pod.Env = env;
        pod.Process = await NodeProcess.StartAsync(o, waitReady: false);
        Note($"started {pod.Name} (pid {pod.Process.Process.Pid}) ip={pod.Ip} resp={pod.RespPort} mc={pod.MemcachedPort} admin={pod.AdminPort} cluster={pod.ClusterPort}: serve {string.Join(' ', args)}");
        return pod.Process;
    }

    public async Task KillAsync(SimPod pod)
    {
        Note($"SIGKILL {pod.Name}");
        await pod.Current.KillAsync();
    }

    /// <summary>SIGTERM (what the kubelet sends after preStop); the exit code, or null if still running after <paramref name="timeout"/>.</summary>
    public async Task<int?> TerminateAsync(SimPod pod, TimeSpan timeout)
    {
        Note($"SIGTERM {pod.Name}");
        var code = await pod.Current.Process.TerminateAsync(timeout);
        Note($"{pod.Name} exit code {code?.ToString() ?? "(still running)"}");
        return code;
    }

    // ---------------------------------------------------------------- probes and the preStop hook

    /// <summary>Where the kubelet sends an httpGet probe of this pod, in the test's ports: (port, path).</summary>
    public (int Port, string Path) ProbeTarget(SimPod pod, ProbeSpec probe)
    {
        if (probe.Kind != "httpGet") throw new InvalidDataException($"{probe.Which} is a {probe.Kind} probe, not httpGet");
        var cp = probe.ContainerPort(Set.Ports) ?? throw new InvalidDataException($"{probe.Which}: port '{probe.Port}' is not a containerPort name or number of the container");
        return (MapPort(pod, cp), probe.Path ?? "/");
    }

    /// <summary>One probe as the kubelet does it (HTTP status, or null and the error when the pod does not answer).</summary>
    public async Task<(int? Status, string Body)> ProbeAsync(SimPod pod, ProbeSpec probe, TimeSpan? timeout = null)
    {
        var (port, path) = ProbeTarget(pod, probe);
        try
        {
            var (s, b) = await pod.HttpGetAsync(port, path, timeout);
            return ((int)s, b);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or OperationCanceledException)
        {
            return (null, e.GetType().Name + ": " + e.Message);
        }
    }

    /// <summary>
    /// The preStop exec command of the YAML for this pod: the server dll mapped to the local build and, in URLs,
    /// only the container-local host (127.0.0.1/localhost) → the pod IP and the containerPort → the test's port.
    /// Returns the argument list after "dotnet".
    /// </summary>
    public List<string> PreStopArgs(SimPod pod)
    {
        var cmd = Set.PreStopExec ?? throw new InvalidDataException("the container has no lifecycle.preStop.exec.command");
        var rest = ServerArgsOf(cmd) ?? throw new InvalidDataException($"preStop does not run CacheCluster.Server.dll: {string.Join(' ', cmd)}");
        var args = rest.Select(a => RewriteLocalUrl(a, pod)).ToList();
        return NodeProcess.BuildArgs(args);
    }

    private static readonly Regex LocalUrl = new(@"^(https?://)(127\.0\.0\.1|localhost|\[::1\])(?::(\d+))?", RegexOptions.Compiled);

    public string RewriteLocalUrl(string s, SimPod pod) =>
        LocalUrl.Replace(s, m => m.Groups[1].Value + pod.Ip + ":" + MapPort(pod, m.Groups[3].Success ? int.Parse(m.Groups[3].Value) : 80));

    /// <summary>Runs the preStop hook against the pod (with the container's environment); exit code (null: killed after <paramref name="timeout"/>), output, duration.</summary>
    public async Task<(int? ExitCode, string Output, TimeSpan Elapsed, string CommandLine)> RunPreStopAsync(SimPod pod, TimeSpan timeout)
    {
        var args = PreStopArgs(pod);
        var env = ContainerEnv(pod).ToDictionary(kv => kv.Key, kv => (string?)kv.Value);
        var line = "dotnet " + string.Join(' ', args);
        Note($"preStop {pod.Name}: {line}");
        var sw = Stopwatch.StartNew();
        await using var p = ManagedProcess.Start("dotnet", args, env, pod.WorkDir);
        var exited = await p.WaitForExitAsync(timeout);
        sw.Stop();
        if (!exited)
        {
            var outp = p.Output;
            await p.KillAsync();
            Note($"preStop {pod.Name}: still running after {timeout.TotalSeconds:F0}s, killed");
            return (null, outp, sw.Elapsed, line);
        }
        Note($"preStop {pod.Name}: exit {p.ExitCode} after {sw.Elapsed.TotalSeconds:F1}s");
        return (p.ExitCode, p.Output, sw.Elapsed, line);
    }

    /// <summary>The value of "--timeout" in the preStop command (seconds), null when absent.</summary>
    public int? PreStopTimeoutSeconds =>
        Set.PreStopExec is { } c && FlagValue(ServerArgsOf(c) ?? c, "--timeout") is { } t && int.TryParse(t, out var n) ? n : null;

    // ---------------------------------------------------------------- cluster views

    /// <summary>
    /// Every pod of <paramref name="pods"/> answers the readiness probe 200 and its /cluster says: state ok; the live
    /// members are exactly these pods, all up and reachable; every shard owned exactly once; no hand-off in progress
    /// or pending; and all agree on the owners. Returns the owner (pod name) of each shard.
    /// </summary>
    public async Task<(bool Ok, string Reason, string[]? Owners)> CheckConvergedAsync(IReadOnlyList<SimPod> pods)
    {
        var ids = pods.Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
        string[]? reference = null;
        foreach (var p in pods)
        {
            if (!p.IsRunning) return (false, $"{p.Name} is not running", null);
            var (rs, rb) = await p.TryAdminGetAsync("/readyz");
            if (rs != HttpStatusCode.OK) return (false, $"{p.Name} /readyz: {(rs == null ? "" : (int)rs + " ")}{rb.Trim()}", null);
            var (v, err) = await p.TryClusterAsync();
            if (v == null) return (false, $"{p.Name} /cluster: {err}", null);
            var why = v.ConvergenceProblem(ids, v.Shards);
            if (why != null) return (false, $"{p.Name} /cluster: {why}: {v.Summary()}", null);
            var owners = v.Owners(v.Shards);
            if (reference == null) reference = owners;
            else if (!owners.SequenceEqual(reference)) return (false, $"{p.Name} disagrees with {pods[0].Name} on shard owners", null);
        }
        return (true, "", reference);
    }

    /// <summary>Waits for <see cref="CheckConvergedAsync"/> to hold on three polls over at least 1.5 s with the same owners.</summary>
    public async Task<string[]> WaitConvergedAsync(IReadOnlyList<SimPod> pods, TimeSpan timeout)
    {
        var sw = Stopwatch.StartNew();
        string last = "no poll yet";
        string? key = null;
        var count = 0;
        var since = TimeSpan.Zero;
        while (sw.Elapsed < timeout)
        {
            var (ok, reason, owners) = await CheckConvergedAsync(pods);
            if (ok)
            {
                var k = string.Join(",", owners!);
                if (k == key) count++;
                else { key = k; count = 1; since = sw.Elapsed; }
                if (count >= 3 && sw.Elapsed - since >= TimeSpan.FromSeconds(1.5))
                {
                    Note($"converged on [{string.Join(",", pods.Select(p => p.Name))}] after {sw.Elapsed.TotalSeconds:F1}s");
                    return owners!;
                }
            }
            else { key = null; count = 0; last = reason; }
            await Task.Delay(250);
        }
        throw new TimeoutException($"the StatefulSet did not converge on [{string.Join(", ", pods.Select(p => p.Name))}] within {timeout.TotalSeconds:F0}s; last: {last}\n{await DescribeAsync()}");
    }

    /// <summary>Polls <paramref name="check"/> every 250 ms; fails with the whole picture on timeout.</summary>
    public async Task<TimeSpan> WaitUntilAsync(string what, TimeSpan timeout, Func<Task<(bool Ok, string State)>> check)
    {
        var (elapsed, last) = await Poll.UntilAsync(timeout, check);
        if (elapsed is { } took)
        {
            Note($"{what}: after {took.TotalSeconds:F1}s");
            return took;
        }
        throw new TimeoutException($"not within {timeout.TotalSeconds:F0}s: {what}; last: {last}\n{await DescribeAsync()}");
    }

    /// <summary>Fails with <paramref name="message"/> and the whole picture (notes, /cluster and log of every pod).</summary>
    public async Task AssertAsync(bool condition, string message)
    {
        if (!condition) Assert.Fail(message + "\n" + await DescribeAsync());
    }

    public async Task<string> DescribeAsync()
    {
        var sb = new StringBuilder();
        sb.AppendLine($"=== StatefulSet simulation of {Manifests.Dir} (hosts file {HostsFile}) ===");
        lock (_notes) foreach (var n in _notes) sb.AppendLine(n);
        try { sb.AppendLine("--- simulated DNS ---").Append(File.ReadAllText(HostsFile)); } catch (IOException) { }
        foreach (var p in _pods)
        {
            sb.AppendLine($"=== {p.Name} {p.Ip} resp={p.RespPort} mc={p.MemcachedPort} admin={p.AdminPort} cluster={p.ClusterPort} advertise={p.Advertise} ===");
            if (p.Process == null) { sb.AppendLine("(never started)"); continue; }
            if (p.IsRunning)
            {
                var (v, err) = await p.TryClusterAsync();
                sb.AppendLine("/cluster: " + (v?.Summary() ?? err));
            }
            else sb.AppendLine($"(exited, code {SafeExit(p.Process)})");
            sb.AppendLine("$ " + p.Process.Process.Description);
            var all = string.Join("\n--- restart ---\n", p.Previous.Select(x => x.Output).Append(p.Process.Output));
            sb.AppendLine(all.Length > 6000 ? "…" + all[^6000..] : all);
        }
        return sb.ToString();
    }

    private static string SafeExit(NodeProcess p)
    {
        try { return p.ExitCode.ToString(); } catch { return "?"; }
    }

    public async ValueTask DisposeAsync()
    {
        await Task.WhenAll(_pods.Where(p => p.Process != null).Select(async p =>
        {
            try { await p.Process!.KillAsync(); } catch { }
            try { await p.Process!.DisposeAsync(); } catch { }
        }));
        foreach (var p in _pods.SelectMany(p => p.Previous))
        {
            try { await p.DisposeAsync(); } catch { }
        }
        _root.Dispose();
    }
}

/// <summary>
/// Polls one httpGet probe of some pods continuously (like a kubelet, but every <c>interval</c>) and records every
/// answer: status (or transport error), time and latency.
/// </summary>
public sealed class ProbeRecorder : IAsyncDisposable
{
    public sealed record Sample(TimeSpan At, int? Status, string Error, double Ms);

    private readonly Dictionary<string, List<Sample>> _samples = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _loops = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    public string What { get; }

    public ProbeRecorder(StatefulSetSimulator sim, ProbeSpec probe, IEnumerable<SimPod> pods, TimeSpan interval)
    {
        What = probe.Which + " " + probe.Path;
        foreach (var p in pods)
        {
            var list = new List<Sample>();
            _samples[p.Name] = list;
            _loops.Add(Task.Run(async () =>
            {
                while (!_stop.IsCancellationRequested)
                {
                    var t = _clock.Elapsed;
                    var (s, b) = await sim.ProbeAsync(p, probe, TimeSpan.FromSeconds(5));
                    var ms = (_clock.Elapsed - t).TotalMilliseconds;
                    lock (list) list.Add(new Sample(t, s, s == null ? b : s == 200 ? "" : b.Trim(), ms));
                    try { await Task.Delay(interval, _stop.Token); } catch (OperationCanceledException) { }
                }
            }));
        }
    }

    public List<Sample> Samples(SimPod pod)
    {
        var list = _samples[pod.Name];
        lock (list) return list.ToList();
    }

    public async Task StopAsync()
    {
        _stop.Cancel();
        try { await Task.WhenAll(_loops).WaitAsync(TimeSpan.FromSeconds(20)); } catch (TimeoutException) { }
    }

    /// <summary>The longest run of consecutive non-200 answers (what a kubelet counts against failureThreshold).</summary>
    public static int LongestFailureRun(IEnumerable<Sample> samples)
    {
        int run = 0, max = 0;
        foreach (var s in samples)
        {
            run = s.Status == 200 ? 0 : run + 1;
            max = Math.Max(max, run);
        }
        return max;
    }

    /// <summary>The answers compressed to runs: "conn-error×3 503×40 200×12".</summary>
    public static string Runs(IEnumerable<Sample> samples)
    {
        var sb = new StringBuilder();
        string? cur = null;
        var n = 0;
        foreach (var s in samples)
        {
            var k = s.Status?.ToString() ?? "no-answer";
            if (k == cur) { n++; continue; }
            if (cur != null) sb.Append(cur).Append('×').Append(n).Append(' ');
            cur = k;
            n = 1;
        }
        if (cur != null) sb.Append(cur).Append('×').Append(n);
        return sb.ToString();
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _stop.Dispose();
    }
}

/// <summary>
/// A client writing new keys (prefix + sequence number) through the pods round-robin, in pipelined batches; remembers
/// what was acknowledged. Every error reply or transport failure is counted; keys whose reply was lost are uncertain.
/// </summary>
public sealed class SimWriter : IAsyncDisposable
{
    private readonly Func<IReadOnlyList<SimPod>> _targets;
    private readonly string _prefix;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly List<(string Key, string Value)> _acked = new();
    private readonly List<string> _errors = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private long _errorCount;

    public SimWriter(Func<IReadOnlyList<SimPod>> targets, string prefix)
    {
        _targets = targets;
        _prefix = prefix;
        _loop = Task.Run(RunAsync);
    }

    public long ErrorCount => Interlocked.Read(ref _errorCount);
    public int AckedCount { get { lock (_acked) return _acked.Count; } }
    public List<(string Key, string Value)> Acked() { lock (_acked) return _acked.ToList(); }
    public string Errors() { lock (_errors) return string.Join("\n  ", _errors); }

    private void Error(string s)
    {
        if (Interlocked.Increment(ref _errorCount) <= 20) lock (_errors) _errors.Add($"+{_clock.Elapsed.TotalSeconds:F1}s {s}");
    }

    private async Task RunAsync()
    {
        var conns = new Dictionary<string, RespClient>();
        long seq = 0;
        var round = 0;
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var pods = _targets();
                var pod = pods[round++ % pods.Count];
                try
                {
                    if (!conns.TryGetValue(pod.Name, out var c)) conns[pod.Name] = c = await pod.ConnectAsync();
                    var batch = Enumerable.Range(0, 20).Select(_ => { var n = ++seq; return ($"{_prefix}{n}", $"v{n}-via-{pod.Name}"); }).ToList();
                    var ms = new MemoryStream();
                    foreach (var (k, v) in batch) ms.Write(RespClient.Encode(RespClient.Args("SET", k, v)));
                    await c.SendRawAsync(ms.ToArray());
                    foreach (var (k, v) in batch)
                    {
                        var r = await c.ReadAsync();
                        if (r.Kind == RespKind.SimpleString && r.Text == "OK") { lock (_acked) _acked.Add((k, v)); }
                        else Error($"SET {k} via {pod.Name}: {r}");
                    }
                }
                catch (Exception e) when (e is IOException or SocketException or TimeoutException or EndOfStreamException or InvalidDataException or ObjectDisposedException)
                {
                    Error($"via {pod.Name}: {e.GetType().Name}: {e.Message}");
                    if (conns.Remove(pod.Name, out var dead)) dead.Dispose();
                    await Task.Delay(100);
                }
                try { await Task.Delay(10, _stop.Token); } catch (OperationCanceledException) { }
            }
        }
        finally
        {
            foreach (var c in conns.Values) c.Dispose();
        }
    }

    public async Task StopAsync()
    {
        _stop.Cancel();
        try { await _loop.WaitAsync(TimeSpan.FromSeconds(30)); } catch (TimeoutException) { }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _stop.Dispose();
    }
}
