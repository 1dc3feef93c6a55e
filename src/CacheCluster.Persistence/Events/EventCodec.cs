using System.Buffers.Binary;
using CacheCluster.Storage;

namespace CacheCluster.Persistence.Events;

/// <summary>
/// Writes the binary form of each event (format version 1, little endian):
/// <code>
/// Set            1 | kind u8 | flags u32 | cas u64 | expiresAt i64 | keyLen u32 | key | valueLen u32 | value
/// Delete         2 | keyLen u32 | key
/// Expire         3 | expiresAt i64 | keyLen u32 | key
/// Flush          4
/// Epoch          5 | epoch i64
/// SnapshotHeader 64 | version u8 | epoch i64 | nextCas u64 | entries i64
/// </code>
/// Expiry is absolute Unix milliseconds, so a replay at any later time knows what has expired.
/// Stored payloads (a journal row: a run of events; a snapshot chunk: header and Set records) are
/// the records each prefixed with its u32 length, followed by the CRC-32C of all of them.
/// </summary>
public static class EventCodec
{
    public const string Manifest = "cc1";      // journal.manifest: the codec version that wrote the row
    public const byte SnapshotVersion = 1;
    const int SetFixed = 1 + 1 + 4 + 8 + 8 + 4 + 4;

    public static void WriteSet(RecordBuffer buf, ReadOnlySpan<byte> key, ValueKind kind, ReadOnlySpan<byte> value, uint flags, ulong cas, long expiresAt)
    {
        var s = buf.Begin(SetFixed + key.Length + value.Length);
        s[0] = (byte)EventType.Set;
        s[1] = (byte)kind;
        BinaryPrimitives.WriteUInt32LittleEndian(s[2..], flags);
        BinaryPrimitives.WriteUInt64LittleEndian(s[6..], cas);
        BinaryPrimitives.WriteInt64LittleEndian(s[14..], expiresAt);
        BinaryPrimitives.WriteInt32LittleEndian(s[22..], key.Length);
        key.CopyTo(s[26..]);
        int p = 26 + key.Length;
        BinaryPrimitives.WriteInt32LittleEndian(s[p..], value.Length);
        value.CopyTo(s[(p + 4)..]);
        buf.End(SetFixed + key.Length + value.Length);
    }

    /// <summary>Entry <paramref name="h"/> of <paramref name="store"/> as a Set event.</summary>
    public static void WriteEntry(RecordBuffer buf, CacheStore store, int h)
    {
        var kind = store.KindOf(h);
        if (kind != ValueKind.String) throw new NotSupportedException($"no event encoding for {kind} values yet");
        WriteSet(buf, store.KeyOf(h), kind, store.StringOf(h), store.FlagsOf(h), store.CasOf(h), store.ExpiresAtOf(h));
    }

    public static void WriteDelete(RecordBuffer buf, ReadOnlySpan<byte> key)
    {
        var s = buf.Begin(5 + key.Length);
        s[0] = (byte)EventType.Delete;
        BinaryPrimitives.WriteInt32LittleEndian(s[1..], key.Length);
        key.CopyTo(s[5..]);
        buf.End(5 + key.Length);
    }

    public static void WriteExpire(RecordBuffer buf, ReadOnlySpan<byte> key, long expiresAt)
    {
        var s = buf.Begin(13 + key.Length);
        s[0] = (byte)EventType.Expire;
        BinaryPrimitives.WriteInt64LittleEndian(s[1..], expiresAt);
        BinaryPrimitives.WriteInt32LittleEndian(s[9..], key.Length);
        key.CopyTo(s[13..]);
        buf.End(13 + key.Length);
    }

    public static void WriteFlush(RecordBuffer buf)
    {
        buf.Begin(1)[0] = (byte)EventType.Flush;
        buf.End(1);
    }

    public static void WriteEpoch(RecordBuffer buf, long epoch)
    {
        var s = buf.Begin(9);
        s[0] = (byte)EventType.Epoch;
        BinaryPrimitives.WriteInt64LittleEndian(s[1..], epoch);
        buf.End(9);
    }

    public static void WriteSnapshotHeader(RecordBuffer buf, long epoch, ulong nextCas, long entries)
    {
        var s = buf.Begin(26);
        s[0] = (byte)EventType.SnapshotHeader;
        s[1] = SnapshotVersion;
        BinaryPrimitives.WriteInt64LittleEndian(s[2..], epoch);
        BinaryPrimitives.WriteUInt64LittleEndian(s[10..], nextCas);
        BinaryPrimitives.WriteInt64LittleEndian(s[18..], entries);
        buf.End(26);
    }
}
