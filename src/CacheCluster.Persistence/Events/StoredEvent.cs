using System.Buffers.Binary;
using CacheCluster.Storage;

namespace CacheCluster.Persistence.Events;

/// <summary>
/// One decoded event or snapshot record, as views into the stored bytes (no copies). Decoding
/// checks every length against the record, so damaged bytes raise <see cref="CorruptDataException"/>
/// instead of reading past the end; an unknown type byte is reported, never guessed at.
/// </summary>
public readonly ref struct StoredEvent
{
    public readonly EventType Type;
    public readonly ValueKind Kind;
    public readonly uint Flags;
    public readonly ulong Cas;
    public readonly long ExpiresAt;       // Set, Expire
    public readonly long Epoch;           // Epoch, SnapshotHeader
    public readonly ulong NextCas;        // SnapshotHeader
    public readonly long Entries;         // SnapshotHeader
    public readonly ReadOnlySpan<byte> Key;
    public readonly ReadOnlySpan<byte> Value;

    StoredEvent(EventType type, ValueKind kind, uint flags, ulong cas, long expiresAt, long epoch, ulong nextCas, long entries,
        ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        Type = type; Kind = kind; Flags = flags; Cas = cas; ExpiresAt = expiresAt; Epoch = epoch;
        NextCas = nextCas; Entries = entries; Key = key; Value = value;
    }

    public static StoredEvent Decode(ReadOnlySpan<byte> r)
    {
        if (r.Length == 0) throw new CorruptDataException("empty event record");
        var type = (EventType)r[0];
        switch (type)
        {
            case EventType.Set:
            {
                Need(r, 26, type);
                var kind = (ValueKind)r[1];
                if (kind != ValueKind.String) throw new CorruptDataException($"unknown value kind {(byte)kind} in a Set event");
                var key = Slice(r, 22, type, out int p);
                var value = Slice(r, p, type, out int end);
                if (end != r.Length) throw new CorruptDataException($"{r.Length - end} stray bytes after a Set event");
                return new StoredEvent(type, kind, BinaryPrimitives.ReadUInt32LittleEndian(r[2..]),
                    BinaryPrimitives.ReadUInt64LittleEndian(r[6..]), BinaryPrimitives.ReadInt64LittleEndian(r[14..]), 0, 0, 0, key, value);
            }
            case EventType.Delete:
            {
                var key = Slice(r, 1, type, out int end);
                Exact(r, end, type);
                return new StoredEvent(type, 0, 0, 0, 0, 0, 0, 0, key, default);
            }
            case EventType.Expire:
            {
                Need(r, 13, type);
                var key = Slice(r, 9, type, out int end);
                Exact(r, end, type);
                return new StoredEvent(type, 0, 0, 0, BinaryPrimitives.ReadInt64LittleEndian(r[1..]), 0, 0, 0, key, default);
            }
            case EventType.Flush:
                Exact(r, 1, type);
                return new StoredEvent(type, 0, 0, 0, 0, 0, 0, 0, default, default);
            case EventType.Epoch:
                Exact(r, 9, type);
                return new StoredEvent(type, 0, 0, 0, 0, BinaryPrimitives.ReadInt64LittleEndian(r[1..]), 0, 0, default, default);
            case EventType.SnapshotHeader:
                Exact(r, 26, type);
                if (r[1] != EventCodec.SnapshotVersion) throw new CorruptDataException($"snapshot format version {r[1]} is not supported (this build reads {EventCodec.SnapshotVersion})");
                return new StoredEvent(type, 0, 0, 0, 0, BinaryPrimitives.ReadInt64LittleEndian(r[2..]),
                    BinaryPrimitives.ReadUInt64LittleEndian(r[10..]), BinaryPrimitives.ReadInt64LittleEndian(r[18..]), default, default);
            default:
                throw new CorruptDataException($"unknown event type {(byte)type} (damaged, or written by a newer version)");
        }
    }

    static void Need(ReadOnlySpan<byte> r, int n, EventType t)
    {
        if (r.Length < n) throw new CorruptDataException($"{t} event cut short ({r.Length} bytes)");
    }

    static void Exact(ReadOnlySpan<byte> r, int n, EventType t)
    {
        if (r.Length != n) throw new CorruptDataException($"{t} event has {r.Length} bytes, expected {n}");
    }

    /// <summary>A u32-length-prefixed field at <paramref name="at"/>.</summary>
    static ReadOnlySpan<byte> Slice(ReadOnlySpan<byte> r, int at, EventType t, out int end)
    {
        Need(r, at + 4, t);
        int n = BinaryPrimitives.ReadInt32LittleEndian(r[at..]);
        if (n < 0 || n > r.Length - at - 4) throw new CorruptDataException($"{t} event field length {n} exceeds the record");
        end = at + 4 + n;
        return r.Slice(at + 4, n);
    }
}
