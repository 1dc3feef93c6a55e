namespace CacheCluster.Core;

/// <summary>memcached's accounting of an item's size, which its -I item size limit applies to.</summary>
public static class MemcachedItem
{
    /// <summary>ITEM_ntotal on 64-bit memcached 1.6: header 48 + key + 1 + flags (4 when non-zero) + data + "\r\n" + CAS 8.</summary>
    public static long Size(int keyLength, uint flags, long dataLength) =>
        48L + keyLength + 1 + (flags != 0 ? 4 : 0) + dataLength + 2 + 8;
}
