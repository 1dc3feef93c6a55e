using System.Globalization;
using CacheCluster.Persistence;
using Microsoft.Extensions.Logging;

namespace CacheCluster.Server.Hosting;

/// <summary>
/// The node's data directory: created if missing, then its journal database is opened and
/// checked (shard count, schema version, integrity) before anything listens. Directories made by
/// version 0.1 recorded the shard count in a small file; it is checked once and then retired.
/// </summary>
public static class DataDirectory
{
    public const string LegacyMetaFile = "cachecluster.meta";

    public static NodeJournal Open(NodeOptions options, ILogger log)
    {
        try
        {
            Directory.CreateDirectory(options.DataDir);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new NodeOptionsLoader.OptionsException($"cannot create data directory {options.DataDir}: {ex.Message}");
        }
        var legacy = Path.Combine(options.DataDir, LegacyMetaFile);
        if (File.Exists(legacy))
        {
            var recorded = ReadShards(legacy);
            if (recorded != options.Shards)
                throw new NodeOptionsLoader.OptionsException(
                    $"data directory {options.DataDir} was created with --shards {recorded}; it cannot be opened with --shards {options.Shards}");
        }
        try
        {
            var journal = NodeJournal.Open(new NodeJournalOptions
            {
                DataDir = options.DataDir,
                Shards = options.Shards,
                NodeId = options.NodeId,
                Durability = options.Durability,
                SnapshotEvents = options.SnapshotEvents,
            }, log);
            if (File.Exists(legacy)) File.Delete(legacy);
            return journal;
        }
        catch (PersistenceException ex)
        {
            throw new NodeOptionsLoader.OptionsException(ex.Message);
        }
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
