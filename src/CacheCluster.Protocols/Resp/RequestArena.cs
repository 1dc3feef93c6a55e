using System.Buffers;
using System.Runtime.CompilerServices;

[assembly: InternalsVisibleTo("CacheCluster.Protocols.Tests")]

namespace CacheCluster.Protocols.Resp;

/// <summary>
/// Storage for the argument bytes of one read batch of pipelined requests.
/// Small arguments are packed into pooled 16 KB chunks that are never moved or resized once
/// handed out, so a <see cref="ReadOnlyMemory{T}"/> to an earlier argument stays valid while later
/// arguments are appended. Arguments larger than <see cref="DedicatedThreshold"/> get their own
/// exact-size unpooled array, so a big value can be stored by the engine without another copy.
/// Everything handed out is valid until <see cref="Reset"/>. Not thread-safe: one per connection.
/// </summary>
public sealed class RequestArena : IDisposable
{
    /// <summary>Size of a pooled chunk.</summary>
    public const int ChunkSize = 16 * 1024;

    /// <summary>Arguments longer than this get a dedicated array (bounds the waste at a chunk's end to 25%).</summary>
    public const int DedicatedThreshold = 4 * 1024;

    // Chunks kept across Reset so a steady connection does not touch the pool at all.
    private const int KeptChunks = 2;

    // After a huge batch, drop the big entry table instead of holding it for the connection's life.
    private const int MaxRetainedEntries = 64 * 1024;

    private struct Entry
    {
        public byte[] Array;
        public int Offset;
        public int Length;
        public bool Dedicated;
    }

    private Entry[] _entries = new Entry[64];
    private int _count;

    // _chunks[0.._chunkCount) are in use (the last one is being filled); _chunks[_chunkCount.._owned)
    // are spares we still own (kept by Reset or freed by Truncate).
    private byte[][] _chunks = new byte[4][];
    private int _chunkCount;
    private int _owned;
    private int _writePos;

    /// <summary>Number of arguments currently stored.</summary>
    public int ArgCount => _count;

    /// <summary>The bytes of argument <paramref name="index"/>.</summary>
    public ReadOnlySpan<byte> Span(int index)
    {
        ref Entry e = ref Get(index);
        return new ReadOnlySpan<byte>(e.Array, e.Offset, e.Length);
    }

    /// <summary>The bytes of argument <paramref name="index"/>; valid until <see cref="Reset"/>.</summary>
    public ReadOnlyMemory<byte> Memory(int index)
    {
        ref Entry e = ref Get(index);
        return new ReadOnlyMemory<byte>(e.Array, e.Offset, e.Length);
    }

    /// <summary>Length in bytes of argument <paramref name="index"/>.</summary>
    public int Length(int index) => Get(index).Length;

    /// <summary>True if the argument lives in its own exact-size array (see <see cref="ToArray"/>).</summary>
    public bool IsDedicated(int index) => Get(index).Dedicated;

    /// <summary>
    /// An exact-size array holding argument <paramref name="index"/>. For a dedicated argument
    /// (longer than <see cref="DedicatedThreshold"/>) this is the arena's own array, returned without
    /// copying: the caller then owns it and must not read that argument through the arena afterwards
    /// if it mutates the array. Otherwise a new copy.
    /// </summary>
    public byte[] ToArray(int index)
    {
        ref Entry e = ref Get(index);
        if (e.Dedicated) return e.Array;
        if (e.Length == 0) return System.Array.Empty<byte>();
        return new ReadOnlySpan<byte>(e.Array, e.Offset, e.Length).ToArray();
    }

    /// <summary>Copies <paramref name="bytes"/> in as a new argument and returns its index.</summary>
    public int Append(ReadOnlySpan<byte> bytes)
    {
        Span<byte> dest = Reserve(bytes.Length, out int index);
        bytes.CopyTo(dest);
        return index;
    }

    /// <summary>Copies <paramref name="bytes"/> in as a new argument and returns its index.</summary>
    public int Append(ReadOnlySequence<byte> bytes)
    {
        if (bytes.IsSingleSegment) return Append(bytes.FirstSpan);
        Span<byte> dest = Reserve(checked((int)bytes.Length), out int index);
        bytes.CopyTo(dest);
        return index;
    }

    /// <summary>
    /// Forgets every argument and returns pooled chunks (keeping a couple for reuse).
    /// Call only when nothing still uses memory handed out since the last reset.
    /// </summary>
    public void Reset()
    {
        // Drop references to dedicated arrays so they can be collected.
        if (_entries.Length > MaxRetainedEntries) _entries = new Entry[64];
        else System.Array.Clear(_entries, 0, _count);
        _count = 0;
        ReleaseChunksFrom(KeptChunks);
        _chunkCount = 0;
        _writePos = 0;
    }

    /// <summary>Returns every chunk to the pool. The arena may still be used afterwards.</summary>
    public void Dispose()
    {
        Reset();
        ReleaseChunksFrom(0);
    }

    /// <summary>
    /// Removes the arguments from index <paramref name="argCount"/> on and reclaims their chunk space.
    /// Used by the parser to undo a partially parsed request.
    /// </summary>
    internal void Truncate(int argCount)
    {
        if ((uint)argCount > (uint)_count) throw new ArgumentOutOfRangeException(nameof(argCount));
        // The first removed chunk-backed argument marks where the chunk write position was.
        for (int i = argCount; i < _count; i++)
        {
            ref Entry e = ref _entries[i];
            if (e.Dedicated || e.Length == 0) continue;
            int chunk = _chunkCount - 1;
            while (!ReferenceEquals(_chunks[chunk], e.Array)) chunk--;
            _chunkCount = chunk + 1; // later chunks become spares
            _writePos = e.Offset;
            break;
        }
        System.Array.Clear(_entries, argCount, _count - argCount);
        _count = argCount;
    }

    /// <summary>Adds an argument of <paramref name="length"/> bytes and returns where to write them.</summary>
    internal Span<byte> Reserve(int length, out int index)
    {
        if (_count == _entries.Length) System.Array.Resize(ref _entries, _entries.Length * 2);
        index = _count;
        ref Entry e = ref _entries[_count++];
        if (length == 0)
        {
            e = new Entry { Array = System.Array.Empty<byte>() };
            return default;
        }
        if (length > DedicatedThreshold)
        {
            byte[] own = GC.AllocateUninitializedArray<byte>(length);
            e = new Entry { Array = own, Length = length, Dedicated = true };
            return own;
        }
        if (_chunkCount == 0 || ChunkSize - _writePos < length) NextChunk();
        byte[] chunk = _chunks[_chunkCount - 1];
        e = new Entry { Array = chunk, Offset = _writePos, Length = length };
        _writePos += length;
        return new Span<byte>(chunk, e.Offset, length);
    }

    private void NextChunk()
    {
        if (_chunkCount == _owned)
        {
            if (_owned == _chunks.Length) System.Array.Resize(ref _chunks, _chunks.Length * 2);
            _chunks[_owned++] = ArrayPool<byte>.Shared.Rent(ChunkSize);
        }
        _chunkCount++;
        _writePos = 0;
    }

    private void ReleaseChunksFrom(int keep)
    {
        for (int i = keep; i < _owned; i++)
        {
            ArrayPool<byte>.Shared.Return(_chunks[i]);
            _chunks[i] = null!;
        }
        if (_owned > keep) _owned = keep;
        if (_chunkCount > _owned) _chunkCount = _owned;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ref Entry Get(int index)
    {
        if ((uint)index >= (uint)_count) ThrowIndex(index);
        return ref _entries[index];
    }

    private static void ThrowIndex(int index) =>
        throw new ArgumentOutOfRangeException(nameof(index), index, "No such argument in the arena.");
}
