using System.Buffers;
using CacheCluster.Protocols.Memcached.Binary;
using static CacheCluster.Protocols.Tests.Memcached.Binary.Frames;

namespace CacheCluster.Protocols.Tests.Memcached.Binary;

public class McBinaryHeaderTests
{
    static readonly byte[] Sample =
    [
        0x80, 0x01, 0x01, 0x02, 0x08, 0x00, 0x03, 0x04,
        0x00, 0x01, 0x02, 0x0B, 0xDE, 0xAD, 0xBE, 0xEF,
        0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
    ];

    [Fact]
    public void Parse_reads_every_field_big_endian()
    {
        var h = McBinaryHeader.Parse(Sample);
        Assert.Equal(0x80, h.Magic);
        Assert.Equal(0x01, h.Opcode);
        Assert.Equal(0x0102, h.KeyLength);
        Assert.Equal(8, h.ExtrasLength);
        Assert.Equal(0, h.DataType);
        Assert.Equal(0x0304, h.Status);
        Assert.Equal(0x0001020Bu, h.BodyLength);
        Assert.Equal(0xDEADBEEFu, h.Opaque);
        Assert.Equal(0x0102030405060708ul, h.Cas);
        Assert.Equal(24 + 8 + 0x0102, h.PrefixLength);
        Assert.Equal(24 + 0x0001020BL, h.FrameLength);
        Assert.Equal(0x0001020BL - 8 - 0x0102, h.ValueLength);
    }

    [Fact]
    public void WriteTo_round_trips_parse()
    {
        var h = McBinaryHeader.Parse(Sample);
        var copy = new byte[24];
        h.WriteTo(copy);
        Assert.Equal(Sample, copy);
    }

    [Fact]
    public void ValueLength_is_negative_when_key_and_extras_exceed_the_body()
    {
        var h = McBinaryHeader.Parse(Request(McBinaryOpcode.Get, "abc", bodyLength: 2));
        Assert.Equal(-1, h.ValueLength);
    }

    [Fact]
    public void TryPeek_needs_24_bytes_and_never_advances()
    {
        for (int n = 0; n < 24; n++)
        {
            var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(Sample, 0, n));
            Assert.False(McBinaryHeader.TryPeek(ref reader, out _));
            Assert.Equal(0, reader.Consumed);
        }
        var whole = new SequenceReader<byte>(new ReadOnlySequence<byte>(Sample));
        Assert.True(McBinaryHeader.TryPeek(ref whole, out var h));
        Assert.Equal(0, whole.Consumed);
        Assert.Equal(0xDEADBEEFu, h.Opaque);
    }

    [Fact]
    public void TryPeek_reads_a_header_spread_over_segments()
    {
        var reader = new SequenceReader<byte>(Bytewise(Sample));
        Assert.True(McBinaryHeader.TryPeek(ref reader, out var h));
        Assert.Equal(0, reader.Consumed);
        Assert.Equal(0x0102030405060708ul, h.Cas);
        Assert.Equal(0x0102, h.KeyLength);
    }

    [Fact]
    public void Opcodes_fold_quiet_variants_like_memcached()
    {
        (McBinaryOpcode Quiet, McBinaryOpcode Loud)[] pairs =
        [
            (McBinaryOpcode.GetQ, McBinaryOpcode.Get), (McBinaryOpcode.GetKQ, McBinaryOpcode.GetK),
            (McBinaryOpcode.SetQ, McBinaryOpcode.Set), (McBinaryOpcode.AddQ, McBinaryOpcode.Add),
            (McBinaryOpcode.ReplaceQ, McBinaryOpcode.Replace), (McBinaryOpcode.DeleteQ, McBinaryOpcode.Delete),
            (McBinaryOpcode.IncrementQ, McBinaryOpcode.Increment), (McBinaryOpcode.DecrementQ, McBinaryOpcode.Decrement),
            (McBinaryOpcode.QuitQ, McBinaryOpcode.Quit), (McBinaryOpcode.FlushQ, McBinaryOpcode.Flush),
            (McBinaryOpcode.AppendQ, McBinaryOpcode.Append), (McBinaryOpcode.PrependQ, McBinaryOpcode.Prepend),
            (McBinaryOpcode.GatQ, McBinaryOpcode.Gat), (McBinaryOpcode.GatKQ, McBinaryOpcode.GatK),
        ];
        foreach (var (quiet, loud) in pairs)
        {
            Assert.True(McBinaryOpcodes.IsQuiet(quiet), quiet.ToString());
            Assert.Equal(loud, McBinaryOpcodes.Loud(quiet));
            Assert.False(McBinaryOpcodes.IsQuiet(loud), loud.ToString());
            Assert.Equal(loud, McBinaryOpcodes.Loud(loud));
        }
        foreach (var other in new[] { McBinaryOpcode.Noop, McBinaryOpcode.Version, McBinaryOpcode.Stat, McBinaryOpcode.Touch, McBinaryOpcode.Verbosity })
            Assert.False(McBinaryOpcodes.IsQuiet(other));
    }

    [Fact]
    public void Opcode_values_match_protocol_binary_h()
    {
        byte[] expected = [0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
            0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x20, 0x21, 0x22, 0x23, 0x24];
        McBinaryOpcode[] ops =
        [
            McBinaryOpcode.Get, McBinaryOpcode.Set, McBinaryOpcode.Add, McBinaryOpcode.Replace, McBinaryOpcode.Delete,
            McBinaryOpcode.Increment, McBinaryOpcode.Decrement, McBinaryOpcode.Quit, McBinaryOpcode.Flush, McBinaryOpcode.GetQ,
            McBinaryOpcode.Noop, McBinaryOpcode.Version, McBinaryOpcode.GetK, McBinaryOpcode.GetKQ, McBinaryOpcode.Append,
            McBinaryOpcode.Prepend, McBinaryOpcode.Stat, McBinaryOpcode.SetQ, McBinaryOpcode.AddQ, McBinaryOpcode.ReplaceQ,
            McBinaryOpcode.DeleteQ, McBinaryOpcode.IncrementQ, McBinaryOpcode.DecrementQ, McBinaryOpcode.QuitQ,
            McBinaryOpcode.FlushQ, McBinaryOpcode.AppendQ, McBinaryOpcode.PrependQ, McBinaryOpcode.Verbosity,
            McBinaryOpcode.Touch, McBinaryOpcode.Gat, McBinaryOpcode.GatQ, McBinaryOpcode.SaslListMechs,
            McBinaryOpcode.SaslAuth, McBinaryOpcode.SaslStep, McBinaryOpcode.GatK, McBinaryOpcode.GatKQ,
        ];
        for (int i = 0; i < ops.Length; i++) Assert.Equal(expected[i], (byte)ops[i]);
    }

    [Fact]
    public void Status_codes_and_texts_match_memcached()
    {
        Assert.Equal(0x01, (int)McBinaryStatus.KeyNotFound);
        Assert.Equal(0x02, (int)McBinaryStatus.KeyExists);
        Assert.Equal(0x03, (int)McBinaryStatus.TooLarge);
        Assert.Equal(0x04, (int)McBinaryStatus.InvalidArguments);
        Assert.Equal(0x05, (int)McBinaryStatus.NotStored);
        Assert.Equal(0x06, (int)McBinaryStatus.NonNumeric);
        Assert.Equal(0x81, (int)McBinaryStatus.UnknownCommand);
        Assert.Equal(0x82, (int)McBinaryStatus.OutOfMemory);
        Assert.Equal(0x84, (int)McBinaryStatus.InternalError);
        Assert.Equal("Not found", McBinaryStatusText.Of(McBinaryStatus.KeyNotFound));
        Assert.Equal("Data exists for key.", McBinaryStatusText.Of(McBinaryStatus.KeyExists));
        Assert.Equal("Too large.", McBinaryStatusText.Of(McBinaryStatus.TooLarge));
        Assert.Equal("Invalid arguments", McBinaryStatusText.Of(McBinaryStatus.InvalidArguments));
        Assert.Equal("Not stored.", McBinaryStatusText.Of(McBinaryStatus.NotStored));
        Assert.Equal("Non-numeric server-side value for incr or decr", McBinaryStatusText.Of(McBinaryStatus.NonNumeric));
        Assert.Equal("Unknown command", McBinaryStatusText.Of(McBinaryStatus.UnknownCommand));
        Assert.Equal("Out of memory", McBinaryStatusText.Of(McBinaryStatus.OutOfMemory));
        Assert.Equal("Internal error", McBinaryStatusText.Of(McBinaryStatus.InternalError));
        Assert.Equal("Auth failure.", McBinaryStatusText.Of(McBinaryStatus.AuthError));
        Assert.Equal("", McBinaryStatusText.Of(McBinaryStatus.Success));
    }
}
