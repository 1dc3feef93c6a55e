using System.Buffers;
using System.Runtime.InteropServices;
using CacheCluster.Protocols.Resp;
using static CacheCluster.Protocols.Tests.Resp.Resp;

namespace CacheCluster.Protocols.Tests.Resp;

public class RequestArenaTests
{
    private static byte[] Pattern(int length, int seed)
    {
        var bytes = new byte[length];
        for (int i = 0; i < length; i++) bytes[i] = (byte)(seed * 31 + i * 7);
        return bytes;
    }

    [Fact]
    public void EarlierArgumentsStayValidAcrossManyChunks()
    {
        var arena = new RequestArena();
        var expected = new List<byte[]>();
        var memories = new List<ReadOnlyMemory<byte>>();
        var random = new Random(42);
        for (int i = 0; i < 5000; i++)
        {
            // Mostly small, some exactly at the limits, some dedicated.
            int length = (i % 50) switch
            {
                0 => RequestArena.DedicatedThreshold,
                1 => RequestArena.DedicatedThreshold + 1,
                2 => 0,
                3 => RequestArena.ChunkSize - 1,
                _ => random.Next(1, 700),
            };
            byte[] data = Pattern(length, i);
            int index = i % 2 == 0 ? arena.Append(data) : arena.Append(Chopped(data, 97));
            Assert.Equal(i, index);
            expected.Add(data);
            memories.Add(arena.Memory(index));
        }
        Assert.Equal(5000, arena.ArgCount);
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.True(expected[i].AsSpan().SequenceEqual(memories[i].Span), $"memory of arg {i}");
            Assert.True(expected[i].AsSpan().SequenceEqual(arena.Span(i)), $"span of arg {i}");
            Assert.Equal(expected[i].Length, arena.Length(i));
        }
    }

    [Fact]
    public void ArgumentLargerThanThresholdIsDedicatedAndHandedOver()
    {
        var arena = new RequestArena();
        byte[] data = Pattern(RequestArena.DedicatedThreshold + 1, 1);
        int index = arena.Append(data);
        Assert.True(arena.IsDedicated(index));
        Assert.True(MemoryMarshal.TryGetArray(arena.Memory(index), out ArraySegment<byte> segment));
        byte[] owned = arena.ToArray(index);
        Assert.Same(segment.Array, owned);
        Assert.Equal(data, owned);
        Assert.NotSame(data, owned);
    }

    [Fact]
    public void SmallArgumentToArrayIsAnExactCopy()
    {
        var arena = new RequestArena();
        arena.Append(Pattern(10, 0));
        int index = arena.Append(Pattern(RequestArena.DedicatedThreshold, 2));
        Assert.False(arena.IsDedicated(index));
        byte[] a = arena.ToArray(index), b = arena.ToArray(index);
        Assert.NotSame(a, b);
        Assert.Equal(Pattern(RequestArena.DedicatedThreshold, 2), a);
        Assert.Equal(RequestArena.DedicatedThreshold, a.Length);
    }

    [Fact]
    public void EmptyArgument()
    {
        var arena = new RequestArena();
        int index = arena.Append(ReadOnlySpan<byte>.Empty);
        Assert.Equal(0, arena.Length(index));
        Assert.Empty(arena.ToArray(index));
        Assert.True(arena.Memory(index).IsEmpty);
        Assert.Equal(1, arena.Append(ReadOnlySequence<byte>.Empty) );
    }

    [Fact]
    public void ResetForgetsArgumentsAndReusesChunks()
    {
        var arena = new RequestArena();
        arena.Append(Pattern(100, 1));
        Assert.True(MemoryMarshal.TryGetArray(arena.Memory(0), out ArraySegment<byte> before));
        arena.Reset();
        Assert.Equal(0, arena.ArgCount);
        Assert.Throws<ArgumentOutOfRangeException>(() => arena.Span(0).Length);
        int index = arena.Append(Pattern(50, 2));
        Assert.Equal(0, index);
        Assert.True(MemoryMarshal.TryGetArray(arena.Memory(0), out ArraySegment<byte> after));
        Assert.Same(before.Array, after.Array); // kept chunk, not a new rent
        Assert.Equal(0, after.Offset);
        Assert.Equal(Pattern(50, 2), arena.ToArray(0));
    }

    [Fact]
    public void ResetAfterBigBatchStillWorks()
    {
        var arena = new RequestArena();
        for (int round = 0; round < 3; round++)
        {
            for (int i = 0; i < 100_000; i++) arena.Append(Pattern(i % 64, i));
            Assert.Equal(100_000, arena.ArgCount);
            Assert.Equal(Pattern(99_999 % 64, 99_999), arena.ToArray(99_999));
            arena.Reset();
        }
        arena.Dispose();
        arena.Append(Pattern(3, 3));
        Assert.Equal(Pattern(3, 3), arena.ToArray(0));
    }

    [Fact]
    public void TruncateRemovesArgsAndReclaimsChunkSpace()
    {
        var arena = new RequestArena();
        arena.Append(Pattern(100, 1));
        arena.Append(Pattern(RequestArena.DedicatedThreshold + 10, 2));
        // Enough to move on to further chunks.
        for (int i = 0; i < 20; i++) arena.Append(Pattern(4000, 10 + i));
        arena.Truncate(2);
        Assert.Equal(2, arena.ArgCount);
        Assert.Throws<ArgumentOutOfRangeException>(() => arena.Length(2));

        int index = arena.Append(Pattern(10, 3));
        Assert.Equal(2, index);
        Assert.True(MemoryMarshal.TryGetArray(arena.Memory(0), out ArraySegment<byte> first));
        Assert.True(MemoryMarshal.TryGetArray(arena.Memory(2), out ArraySegment<byte> next));
        Assert.Same(first.Array, next.Array);
        Assert.Equal(100, next.Offset); // written right after arg 0 again
        Assert.Equal(Pattern(100, 1), arena.ToArray(0));
        Assert.Equal(Pattern(RequestArena.DedicatedThreshold + 10, 2), arena.ToArray(1));

        // Freed chunks are reused for what comes next.
        for (int i = 0; i < 20; i++) arena.Append(Pattern(4000, 50 + i));
        for (int i = 0; i < 20; i++) Assert.Equal(Pattern(4000, 50 + i), arena.ToArray(3 + i));
        arena.Truncate(0);
        Assert.Equal(0, arena.ArgCount);
    }

    [Fact]
    public void TruncateOfOnlyDedicatedAndEmptyArgs()
    {
        var arena = new RequestArena();
        arena.Append(Pattern(10, 1));
        arena.Append(Pattern(RequestArena.DedicatedThreshold * 3, 2));
        arena.Append(ReadOnlySpan<byte>.Empty);
        arena.Truncate(1);
        int index = arena.Append(Pattern(5, 3));
        Assert.True(MemoryMarshal.TryGetArray(arena.Memory(index), out ArraySegment<byte> seg));
        Assert.Equal(10, seg.Offset);
    }

    [Fact]
    public void IndexOutOfRangeThrows()
    {
        var arena = new RequestArena();
        arena.Append(Pattern(3, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => arena.Span(1).Length);
        Assert.Throws<ArgumentOutOfRangeException>(() => arena.Memory(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => arena.ToArray(5));
    }

    [Fact]
    public void ArgumentListViewsOneRequest()
    {
        var arena = new RequestArena();
        arena.Append(B("OTHER"));
        arena.Append(B("get"));
        arena.Append(B("key"));
        arena.Append(Pattern(RequestArena.DedicatedThreshold + 1, 9));
        var args = new ArgumentList(arena, 1, 3);
        Assert.Equal(3, args.Count);
        Assert.Equal(1, args.First);
        Assert.Same(arena, args.Arena);
        Assert.Equal("get", S(args[0]));
        Assert.Equal("key", S(args.Memory(1).Span));
        Assert.Equal(B("key"), args.ToArray(1));
        Assert.Equal(3, args.Length(1));
        Assert.Equal(RequestArena.DedicatedThreshold + 1, args.Length(2));
        Assert.Same(arena.ToArray(3), args.ToArray(2));
        Assert.Throws<ArgumentOutOfRangeException>(() => args[3].Length);
        Assert.Throws<ArgumentOutOfRangeException>(() => args.Memory(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ArgumentList(arena, 2, 3));
        Assert.Equal(0, default(ArgumentList).Count);
    }

    [Theory]
    [InlineData("GET", "GET", true)]
    [InlineData("get", "GET", true)]
    [InlineData("gEt", "GET", true)]
    [InlineData("GETX", "GET", false)]
    [InlineData("GE", "GET", false)]
    [InlineData("", "GET", false)]
    [InlineData("ex", "EX", true)]
    [InlineData("px", "EX", false)]
    [InlineData("G\u00c5T", "GET", false)]
    [InlineData("G\u00e5T", "G\u00c5T", false)] // no folding outside ASCII
    [InlineData("@", "`", false)]
    [InlineData("[", "{", false)]
    public void IsMatchesAsciiCaseInsensitively(string arg, string name, bool expected)
    {
        var arena = new RequestArena();
        arena.Append(B(arg));
        var args = new ArgumentList(arena, 0, 1);
        Assert.Equal(expected, args.Is(0, B(name)));
    }
}
