using System.Buffers;
using CacheCluster.Core;
using CacheCluster.Protocols.Memcached;
using CacheCluster.Protocols.Memcached.Binary;
using static CacheCluster.Protocols.Tests.Memcached.Binary.Frames;

namespace CacheCluster.Protocols.Tests.Memcached.Binary;

/// <summary>Decoding and answering requests without values allocates nothing (keys go to the arena).</summary>
public class McBinaryAllocationTests
{
    [Fact]
    public void Decode_and_write_of_value_free_requests_allocate_nothing()
    {
        var h = new BinHarness();
        var stream = Cat(
            Get(McBinaryOpcode.Get, "a", 1), Get(McBinaryOpcode.GetKQ, "b", 2), WithExpiry(McBinaryOpcode.GatK, "c", 10, 3),
            WithExpiry(McBinaryOpcode.Touch, "d", 10, 4), Request(McBinaryOpcode.DeleteQ, "e", opaque: 5),
            Incr(McBinaryOpcode.Increment, "f", 1, 0, 0, opaque: 6), Request(McBinaryOpcode.Noop, opaque: 7),
            Request(McBinaryOpcode.Flush, opaque: 8), Request((McBinaryOpcode)0x50, "x", opaque: 9),
            Request(McBinaryOpcode.Get, "y", U32(0), opaque: 10));
        var data = Bytewise(stream); // the multi-segment path too
        var requests = new McRequest[16];
        var replies = new Reply[64];
        var value = B("some value");
        for (int i = 0; i < replies.Length; i++) replies[i] = new Reply { Kind = ReplyKind.Bulk, Bulk = value, Flags = 1, Cas = 2 };
        var writer = new FixedWriter(64 * 1024);

        long Run()
        {
            h.Arena.Reset();
            h.Sink.Clear();
            writer.Reset();
            long before = GC.GetAllocatedBytesForCurrentThread();
            var reader = new SequenceReader<byte>(data);
            int n = 0;
            while (h.Codec.TryDecode(ref reader, h.Arena, h.Sink, h.Map, h.Clock, out var r) == McParseStatus.Complete)
            {
                requests[n++] = r;
                if (r.CloseAfter) break;
            }
            for (int i = 0; i < n; i++)
            {
                if (requests[i].Kind == McRequestKind.Local) h.Codec.WriteLocal(writer, requests[i], "1.6.21");
                else h.Codec.Write(writer, requests[i], h.Sink.Commands, replies);
            }
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.Equal(10, n);
            Assert.True(writer.Written.Length > 0);
            return allocated;
        }

        for (int i = 0; i < 3; i++) Run(); // warm up: JIT, arena chunk, sink growth
        Assert.Equal(0, Run());
    }
}
