using System.Text.Json;

namespace CacheCluster.Server.Hosting;

/// <summary>
/// Merges the sources of settings, later ones winning: defaults, the JSON config file
/// (keys = flag names, e.g. {"resp-port": 6400}), CACHECLUSTER_* environment variables, flags.
/// </summary>
public static class NodeOptionsLoader
{
    public sealed class OptionsException(string message) : Exception(message);

    public static NodeOptions Load(string? configFile, IReadOnlyDictionary<string, string> flags,
        Func<string, string?>? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        var options = new NodeOptions();
        var fromFile = configFile is null ? new Dictionary<string, string>() : ReadConfig(configFile);
        foreach (var spec in NodeOptionSpec.All)
        {
            string? value = null, source = null;
            if (fromFile.TryGetValue(spec.Name, out var f)) (value, source) = (f, $"{configFile}: {spec.Name}");
            if (environment(spec.EnvVar) is { } e) (value, source) = (e, spec.EnvVar);
            if (flags.TryGetValue(spec.Name, out var c)) (value, source) = (c, spec.Flag);
            if (value is null) continue;
            if (spec.Apply(value, options) is { } error)
                throw new OptionsException($"invalid {source}: {error}");
        }
        if (!options.ClusterEnabled && (options.Seeds.Count > 0 || options.Discovery == "dns"))
            throw new OptionsException("--seeds and --discovery dns need --cluster-port (the port of the node links)");
        if (options.Discovery == "dns" && string.IsNullOrEmpty(options.DnsName))
            throw new OptionsException("--discovery dns needs --dns-name (e.g. the StatefulSet's headless service)");
        return options;
    }

    static Dictionary<string, string> ReadConfig(string path)
    {
        if (!File.Exists(path)) throw new OptionsException($"config file {path} not found");
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(File.ReadAllText(path), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException ex)
        {
            throw new OptionsException($"config file {path} is not valid JSON: {ex.Message}");
        }
        var result = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new OptionsException($"config file {path} must hold a JSON object");
            foreach (var p in doc.RootElement.EnumerateObject())
            {
                if (Array.FindIndex(NodeOptionSpec.All, s => s.Name.Equals(p.Name, StringComparison.OrdinalIgnoreCase)) < 0)
                    throw new OptionsException($"config file {path}: unknown setting '{p.Name}'");
                result[p.Name] = p.Value.ValueKind switch
                {
                    JsonValueKind.String => p.Value.GetString()!,
                    JsonValueKind.Array => string.Join(",", p.Value.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.String ? e.GetString() : e.GetRawText())),
                    _ => p.Value.GetRawText(),
                };
            }
        }
        return result;
    }
}
