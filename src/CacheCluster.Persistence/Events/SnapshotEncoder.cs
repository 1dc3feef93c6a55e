using CacheCluster.Storage;

namespace CacheCluster.Persistence.Events;

/// <summary>
/// A whole store as snapshot records: the header, then every entry least recent first (a replay
/// rebuilds the LRU order), cut into chunks of about <see cref="ChunkBytes"/>. Used for journal
/// snapshots and for streaming a shard to its new owner.
/// </summary>
public static class SnapshotEncoder
{
    // below the large-object threshold, and what the shared array pool keeps per chunk stays small
    public const int ChunkBytes = 60 * 1024;

    public static List<RecordBuffer> Encode(CacheStore store, long epoch)
    {
        var chunks = new List<RecordBuffer>();
        var chunk = new RecordBuffer(64 * 1024);
        EventCodec.WriteSnapshotHeader(chunk, epoch, store.NextCas, store.Count);
        for (int h = store.LeastRecent; h >= 0; h = store.MoreRecent(h))
        {
            EventCodec.WriteEntry(chunk, store, h);
            if (chunk.Length >= ChunkBytes)
            {
                chunks.Add(chunk);
                chunk = new RecordBuffer(64 * 1024);
            }
        }
        chunks.Add(chunk);
        return chunks;
    }
}
