using System.Runtime.InteropServices;
using CacheCluster.Cluster.Wire;

namespace CacheCluster.Cluster.Tests.Wire;

public class WireWriterReaderTests
{
    [Fact]
    public void Primitives_round_trip_little_endian()
    {
        var w = new WireWriter(4);
        w.WriteByte(0xAB);
        w.WriteUInt16(0x1234);
        w.WriteInt32(-2);
        w.WriteUInt32(0xDEADBEEF);
        w.WriteInt64(long.MinValue);
        w.WriteUInt64(ulong.MaxValue - 1);
        Assert.Equal(1 + 2 + 4 + 4 + 8 + 8, w.Length);
        Assert.Equal(new byte[] { 0xAB, 0x34, 0x12, 0xFE, 0xFF, 0xFF, 0xFF, 0xEF, 0xBE, 0xAD, 0xDE }, w.Written[..11].ToArray());

        var r = new WireReader(w.ToArray());
        Assert.Equal(0xAB, r.ReadByte());
        Assert.Equal(0x1234, r.ReadUInt16());
        Assert.Equal(-2, r.ReadInt32());
        Assert.Equal(0xDEADBEEF, r.ReadUInt32());
        Assert.Equal(long.MinValue, r.ReadInt64());
        Assert.Equal(ulong.MaxValue - 1, r.ReadUInt64());
        Assert.Equal(0, r.Remaining);
        r.ExpectEnd();
    }

    [Fact]
    public void Strings_keep_null_empty_and_unicode()
    {
        var w = new WireWriter();
        w.WriteString(null);
        w.WriteString("");
        w.WriteString("nœud-1 ✓ 🚀");
        var r = new WireReader(w.ToArray());
        Assert.Null(r.ReadString());
        Assert.Equal("", r.ReadString());
        Assert.Equal("nœud-1 ✓ 🚀", r.ReadString());
        r.ExpectEnd();
    }

    [Fact]
    public void String_longer_than_u16_is_rejected_on_write()
    {
        var w = new WireWriter();
        Assert.Throws<ArgumentException>(() => w.WriteString(new string('x', 0xFFFF)));
        w.Reset();
        w.WriteString(new string('x', 0xFFFE));
        var r = new WireReader(w.ToArray());
        Assert.Equal(0xFFFE, r.ReadString()!.Length);
    }

    [Fact]
    public void Invalid_utf8_is_a_wire_format_error()
    {
        var w = new WireWriter();
        w.WriteUInt16(2);
        w.WriteRaw([0xC3, 0x28]);
        Assert.Throws<WireFormatException>(() => new WireReader(w.ToArray()).ReadString());
    }

    [Fact]
    public void Bytes_and_raw_are_slices_of_the_payload()
    {
        var w = new WireWriter();
        w.WriteBytes("hello"u8);
        w.WriteBytes([]);
        w.WriteRaw("xyz"u8);
        var payload = w.ToArray();
        var r = new WireReader(payload);
        var hello = r.ReadBytes();
        Assert.True(hello.Span.SequenceEqual("hello"u8));
        Assert.True(MemoryMarshal.TryGetArray(hello, out var seg));
        Assert.Same(payload, seg.Array);
        Assert.Equal(4, seg.Offset);
        Assert.True(r.ReadBytes().IsEmpty);
        Assert.True(r.ReadRaw(3).Span.SequenceEqual("xyz"u8));
        r.ExpectEnd();
    }

    [Fact]
    public void Truncation_and_absurd_lengths_throw_wire_format_exception()
    {
        Assert.Throws<WireFormatException>(() => new WireReader(new byte[3]).ReadInt32());
        Assert.Throws<WireFormatException>(() => new WireReader(new byte[7]).ReadUInt64());
        Assert.Throws<WireFormatException>(() => new WireReader(ReadOnlyMemory<byte>.Empty).ReadByte());
        Assert.Throws<WireFormatException>(() => new WireReader(new byte[] { 1 }).ReadUInt16());
        // a u32 length of 2 GB with 4 bytes behind it
        Assert.Throws<WireFormatException>(() => new WireReader(new byte[] { 0, 0, 0, 0x80, 1, 2, 3, 4 }).ReadBytes());
        Assert.Throws<WireFormatException>(() => new WireReader(new byte[] { 0xFF, 0xFF, 0xFF, 0xFE }).ReadBytes());
        Assert.Throws<WireFormatException>(() => new WireReader(new byte[] { 10, 0, 65 }).ReadString());
        Assert.Throws<WireFormatException>(() => new WireReader(new byte[2]).ReadRaw(3));
        Assert.Throws<WireFormatException>(() => new WireReader(new byte[2]).ReadRaw(-1));
        Assert.Throws<WireFormatException>(() => new WireReader(new byte[2]).ExpectEnd());
    }

    [Fact]
    public void Writer_grows_and_resets()
    {
        var w = new WireWriter(1);
        var big = new byte[100_000];
        new Random(7).NextBytes(big);
        for (int i = 0; i < 30; i++)
            w.WriteRaw(big);
        Assert.Equal(3_000_000, w.Length);
        Assert.True(w.Written[^100_000..].SequenceEqual(big));
        w.Reset();
        Assert.Equal(0, w.Length);
        w.WriteInt32(5);
        Assert.Equal(new byte[] { 5, 0, 0, 0 }, w.ToArray());
    }

    [Fact]
    public void Reserve_and_patch_fill_in_counts_later()
    {
        var w = new WireWriter();
        int at = w.Length;
        w.WriteUInt32(0);
        w.Reserve(2).Fill(7);
        w.PatchUInt32(at, 42);
        var r = new WireReader(w.ToArray());
        Assert.Equal(42u, r.ReadUInt32());
        Assert.Equal(7, r.ReadByte());
        Assert.Equal(7, r.ReadByte());
        Assert.Throws<ArgumentOutOfRangeException>(() => w.PatchUInt32(3, 1));
    }
}
