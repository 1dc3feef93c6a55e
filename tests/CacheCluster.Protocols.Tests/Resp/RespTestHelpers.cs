using System.Buffers;
using System.Text;
using CacheCluster.Protocols.Resp;

namespace CacheCluster.Protocols.Tests.Resp;

/// <summary>A hand-built sequence segment, to give the parser data split anywhere.</summary>
internal sealed class TestSegment : ReadOnlySequenceSegment<byte>
{
    public TestSegment(ReadOnlyMemory<byte> memory, TestSegment? previous)
    {
        Memory = memory;
        if (previous != null)
        {
            RunningIndex = previous.RunningIndex + previous.Memory.Length;
            previous.Next = this;
        }
    }
}

/// <summary>What parsing a whole stream produced: requests (null entry = Empty), and how it stopped.</summary>
internal sealed record ParseOutcome(List<string[]?> Requests, RespParseStatus Final, string? Error, long Consumed)
{
    public string Describe() =>
        string.Join(" | ", Requests.Select(r => r == null ? "<empty>" : string.Join(",", r))) + $" => {Final} {Error} @{Consumed}";
}

internal static class Resp
{
    // Latin-1 keeps every byte 0..255 as one char, so binary args compare exactly.
    public static byte[] B(string latin1) => Encoding.Latin1.GetBytes(latin1);

    public static string S(ReadOnlySpan<byte> bytes) => Encoding.Latin1.GetString(bytes);

    /// <summary>A multibulk request for the given args.</summary>
    public static byte[] Command(params string[] args)
    {
        var sb = new StringBuilder();
        sb.Append('*').Append(args.Length).Append("\r\n");
        foreach (string a in args) sb.Append('$').Append(a.Length).Append("\r\n").Append(a).Append("\r\n");
        return B(sb.ToString());
    }

    public static byte[] Concat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();

    /// <summary>A sequence made of the given parts, one segment each (empty parts allowed).</summary>
    public static ReadOnlySequence<byte> Segments(params byte[][] parts)
    {
        if (parts.Length == 0) return ReadOnlySequence<byte>.Empty;
        var first = new TestSegment(parts[0], null);
        TestSegment last = first;
        for (int i = 1; i < parts.Length; i++) last = new TestSegment(parts[i], last);
        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    /// <summary><paramref name="data"/> cut into segments of <paramref name="size"/> bytes.</summary>
    public static ReadOnlySequence<byte> Chopped(byte[] data, int size)
    {
        var parts = new List<byte[]>();
        for (int i = 0; i < data.Length; i += size) parts.Add(data[i..Math.Min(data.Length, i + size)]);
        if (parts.Count == 0) parts.Add([]);
        return Segments(parts.ToArray());
    }

    /// <summary>
    /// Parses everything in <paramref name="sequence"/> like a connection would for one read batch,
    /// checking the Incomplete contract (reader and arena untouched) and that earlier args survive
    /// later appends. Stops at Incomplete or Error.
    /// </summary>
    public static ParseOutcome ParseAll(ReadOnlySequence<byte> sequence, RequestArena arena)
    {
        var reader = new SequenceReader<byte>(sequence);
        var lists = new List<ArgumentList?>();
        RespParseStatus status;
        string? error;
        while (true)
        {
            long before = reader.Consumed;
            int argsBefore = arena.ArgCount;
            status = RespRequestParser.TryParse(ref reader, arena, out ArgumentList args, out error);
            if (status == RespParseStatus.Complete)
            {
                Assert.True(reader.Consumed > before);
                Assert.True(args.Count > 0);
                Assert.Equal(argsBefore, args.First);
                lists.Add(args);
            }
            else if (status == RespParseStatus.Empty)
            {
                Assert.True(reader.Consumed > before);
                Assert.Equal(argsBefore, arena.ArgCount);
                lists.Add(null);
            }
            else
            {
                if (status == RespParseStatus.Incomplete)
                {
                    Assert.Equal(before, reader.Consumed);
                    Assert.Null(error);
                }
                else
                {
                    Assert.NotNull(error);
                }
                Assert.Equal(argsBefore, arena.ArgCount);
                break;
            }
        }
        // Materialize only now: arguments must still be intact after everything else was appended.
        var requests = lists.Select(l => l is { } a ? Enumerable.Range(0, a.Count).Select(i => S(a[i])).ToArray() : null).ToList();
        // Where the reader stops on an error is unspecified, so it is not part of the outcome.
        return new ParseOutcome(requests, status, error, status == RespParseStatus.Error ? -1 : reader.Consumed);
    }

    /// <summary>
    /// Feeds <paramref name="stream"/> to the parser in pieces ending at <paramref name="cuts"/>, like
    /// successive socket reads: unconsumed bytes are kept and re-presented with the next piece, each
    /// batch optionally chopped into segments, the arena reset between batches.
    /// </summary>
    public static ParseOutcome Feed(byte[] stream, IEnumerable<int> cuts, int segmentSize = int.MaxValue)
    {
        var arena = new RequestArena();
        var requests = new List<string[]?>();
        var pending = new List<byte>();
        int offset = 0;
        long consumedTotal = 0;
        foreach (int cut in cuts.Append(stream.Length))
        {
            pending.AddRange(stream[offset..cut]);
            offset = cut;
            byte[] batch = pending.ToArray();
            ParseOutcome outcome = ParseAll(Chopped(batch, Math.Max(1, Math.Min(segmentSize, Math.Max(1, batch.Length)))), arena);
            requests.AddRange(outcome.Requests);
            if (outcome.Final == RespParseStatus.Error) return outcome with { Requests = requests };
            consumedTotal += outcome.Consumed;
            pending.RemoveRange(0, (int)outcome.Consumed);
            arena.Reset();
        }
        return new ParseOutcome(requests, RespParseStatus.Incomplete, null, consumedTotal);
    }

    /// <summary>Parses a complete stream in one contiguous segment.</summary>
    public static ParseOutcome Whole(byte[] stream) => ParseAll(new ReadOnlySequence<byte>(stream), new RequestArena());
}
