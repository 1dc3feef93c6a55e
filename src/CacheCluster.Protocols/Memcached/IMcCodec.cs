using System.Buffers;
using CacheCluster.Core;
using CacheCluster.Protocols.Resp;

namespace CacheCluster.Protocols.Memcached;

public enum McParseStatus : byte
{
    Complete,    // one request decoded, reader advanced past it
    Incomplete,  // need more bytes; reader left where it was and nothing added to arena or sink
}

/// <summary>
/// One memcached dialect (binary, or text+meta) for one connection: pure bytes ⇄ commands and
/// replies, no sockets, shards or node state. The server's session drives it:
/// TryDecode until Incomplete, dispatch the batch, then Write each request in order.
/// </summary>
public interface IMcCodec
{
    /// <summary>
    /// Decodes one request from the reader. Argument bytes that commands point to (keys) live in
    /// <paramref name="arena"/> until the batch completes; values are copied into owned arrays.
    /// Data requests append their shard commands to <paramref name="sink"/>, routed by <paramref name="map"/>.
    /// A malformed request decodes as Kind = Error (with CloseAfter when the stream cannot be resynchronised).
    /// </summary>
    McParseStatus TryDecode(ref SequenceReader<byte> reader, RequestArena arena, ICommandSink sink, ShardMap map,
        IClock clock, out McRequest request);

    /// <summary>Writes the response (possibly nothing, for quiet requests) of a request.</summary>
    void Write(IBufferWriter<byte> output, in McRequest request, Command[] commands, Reply[] replies);

    /// <summary>Writes a STAT response for a Local Stats request from (name, value) pairs the node gathered.</summary>
    void WriteStats(IBufferWriter<byte> output, in McRequest request, IReadOnlyList<KeyValuePair<string, string>> stats);

    /// <summary>Writes the response to a Local request other than Stats (Noop, Version, Verbosity, Quit, FlushDelayed).</summary>
    void WriteLocal(IBufferWriter<byte> output, in McRequest request, string version);
}

/// <summary>Settings a memcached codec needs.</summary>
public sealed class McCodecOptions
{
    public long MaxItemSize = 1024 * 1024;
    public const int MaxKeyLength = 250;
}
