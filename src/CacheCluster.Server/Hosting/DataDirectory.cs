using System.Globalization;

namespace CacheCluster.Server.Hosting;

/// <summary>
/// The node's data directory and the facts fixed for its life (the shard count), kept in a
/// small metadata file until the SQLite journal's metadata table takes over.
/// </summary>
public static class DataDirectory
{
    public const string MetaFile = "cachecluster.meta";

    public static void Prepare(NodeOptions options)
    {
        try
        {
            Directory.CreateDirectory(options.DataDir);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new NodeOptionsLoader.OptionsException($"cannot create data directory {options.DataDir}: {ex.Message}");
        }
        var path = Path.Combine(options.DataDir, MetaFile);
        if (File.Exists(path))
        {
            var recorded = ReadShards(path);
            if (recorded != options.Shards)
                throw new NodeOptionsLoader.OptionsException(
                    $"data directory {options.DataDir} was created with --shards {recorded}; it cannot be opened with --shards {options.Shards}");
            return;
        }
        File.WriteAllText(path, $"shards={options.Shards}\nnode-id={options.NodeId}\nschema=1\n");
    }

    static int ReadShards(string path)
    {
        foreach (var line in File.ReadAllLines(path))
        {
            if (line.StartsWith("shards=", StringComparison.Ordinal) &&
                int.TryParse(line.AsSpan(7), NumberStyles.None, CultureInfo.InvariantCulture, out int n))
                return n;
        }
        throw new NodeOptionsLoader.OptionsException($"{path} is damaged: no shard count recorded");
    }
}
