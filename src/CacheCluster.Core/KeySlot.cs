namespace CacheCluster.Core;

/// <summary>
/// The Redis Cluster key → slot function: CRC16 (XMODEM) of the key, or of its first non-empty
/// {hash tag}, mod 16384. Using Redis's function keeps CLUSTER KEYSLOT identical to Redis.
/// </summary>
public static class KeySlot
{
    public const int SlotCount = 16384;

    static readonly ushort[] Table = BuildTable();

    static ushort[] BuildTable()
    {
        var t = new ushort[256];
        for (int i = 0; i < 256; i++)
        {
            int crc = i << 8;
            for (int b = 0; b < 8; b++)
                crc = (crc & 0x8000) != 0 ? (crc << 1) ^ 0x1021 : crc << 1;
            t[i] = (ushort)crc;
        }
        return t;
    }

    public static ushort Crc16(ReadOnlySpan<byte> data)
    {
        ushort crc = 0;
        var table = Table;
        foreach (byte b in data)
            crc = (ushort)((crc << 8) ^ table[((crc >> 8) ^ b) & 0xFF]);
        return crc;
    }

    public static int Of(ReadOnlySpan<byte> key)
    {
        int open = key.IndexOf((byte)'{');
        if (open >= 0)
        {
            int close = key.Slice(open + 1).IndexOf((byte)'}');
            if (close > 0) // a non-empty tag: hash only the tag
                key = key.Slice(open + 1, close);
        }
        return Crc16(key) & (SlotCount - 1);
    }
}
