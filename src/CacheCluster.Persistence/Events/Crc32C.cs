using System.Buffers.Binary;
using System.Numerics;

namespace CacheCluster.Persistence.Events;

/// <summary>
/// CRC-32C (Castagnoli) with the CPU's instruction. Every journal row and snapshot chunk ends
/// with the checksum of its records: SQLite does not checksum its pages, and a flipped byte in a
/// value would otherwise replay as different data instead of being reported.
/// </summary>
public static class Crc32C
{
    public static uint Compute(ReadOnlySpan<byte> data)
    {
        uint crc = ~0u;
        while (data.Length >= 8)
        {
            crc = BitOperations.Crc32C(crc, BinaryPrimitives.ReadUInt64LittleEndian(data));
            data = data[8..];
        }
        foreach (byte b in data) crc = BitOperations.Crc32C(crc, b);
        return ~crc;
    }

    /// <summary>Splits a stored payload into its records and checks the trailing checksum.</summary>
    public static ReadOnlySpan<byte> Verify(ReadOnlySpan<byte> payload, string what)
    {
        if (payload.Length < 4) throw new CorruptDataException($"{what} is {payload.Length} bytes, too short for its checksum");
        var body = payload[..^4];
        uint stored = BinaryPrimitives.ReadUInt32LittleEndian(payload[^4..]);
        if (Compute(body) != stored) throw new CorruptDataException($"{what} fails its checksum");
        return body;
    }
}
