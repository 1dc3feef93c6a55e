using System.Buffers;
using CacheCluster.Core;
using CacheCluster.Protocols.Memcached;
using CacheCluster.Protocols.Memcached.Binary;
using static CacheCluster.Protocols.Tests.Memcached.Binary.Frames;

namespace CacheCluster.Protocols.Tests.Memcached.Binary;

/// <summary>Frames memcached refuses, and how: dispatch_bin_command's checks, in its order.</summary>
public class McBinaryMalformedTests
{
    readonly BinHarness _h = new();

    McRequest DecodeError(byte[] data, long consumed, McBinaryStatus status, bool close)
    {
        var req = _h.Decode(new ReadOnlySequence<byte>(data), consumed);
        Assert.Equal(McRequestKind.Error, req.Kind);
        Assert.Equal((ushort)status, req.Status);
        Assert.Equal(McBinaryStatusText.Of(status), req.ErrorText);
        Assert.Equal(close, req.CloseAfter);
        Assert.Equal(0, req.Count);
        Assert.Equal(0, _h.Sink.Count);
        Assert.Equal(0, _h.Arena.ArgCount);
        return req;
    }

    [Theory]
    [InlineData(0x81)]
    [InlineData(0x00)]
    [InlineData((byte)'g')]
    public void Wrong_magic_closes_without_a_response(byte magic)
    {
        var frame = Request(McBinaryOpcode.Get, "k", magic: magic, opaque: 5);
        var req = _h.Decode(new ReadOnlySequence<byte>(frame), 24);
        Assert.Equal(McRequestKind.Error, req.Kind);
        Assert.True(req.CloseAfter);
        Assert.Equal(0, req.Status);
        Assert.Null(req.ErrorText);
        Assert.Equal(0, _h.Sink.Count);
        Assert.Empty(Responses.Written(o => _h.Codec.Write(o, req, _h.Sink.Commands, new Reply[1])));
    }

    [Fact]
    public void Wrong_magic_needs_a_whole_header_first()
    {
        var frame = Request(McBinaryOpcode.Get, "k", magic: 0x42);
        Assert.Equal(McParseStatus.Incomplete, _h.TryDecode(new ReadOnlySequence<byte>(frame, 0, 23), out _, out long consumed));
        Assert.Equal(0, consumed);
    }

    [Fact]
    public void Key_and_extras_longer_than_the_body_is_unknown_command_and_close()
    {
        // keylen + extlen > bodylen: write_bin_error(UNKNOWN_COMMAND) and close_after_write
        var frame = Request(McBinaryOpcode.Set, "abcd", Cat(U32(0), U32(0)), bodyLength: 11);
        var req = DecodeError(frame, frame.Length, McBinaryStatus.UnknownCommand, close: true);
        Assert.Equal((byte)McBinaryOpcode.Set, req.Opcode);
    }

    [Fact]
    public void Key_longer_than_body_is_unknown_command_and_close()
    {
        var frame = Request(McBinaryOpcode.Get, "abc", bodyLength: 2);
        DecodeError(frame, frame.Length, McBinaryStatus.UnknownCommand, close: true);
    }

    [Fact]
    public void Length_checks_wait_for_header_extras_and_key()
    {
        var frame = Request(McBinaryOpcode.Get, "abc", bodyLength: 2);
        for (int n = 0; n < frame.Length; n++)
        {
            Assert.Equal(McParseStatus.Incomplete, _h.TryDecode(new ReadOnlySequence<byte>(frame, 0, n), out _, out long consumed));
            Assert.Equal(0, consumed);
        }
    }

    [Fact]
    public void Key_over_250_bytes_is_invalid_arguments_and_close()
    {
        var frame = Get(McBinaryOpcode.Get, new string('k', 251), opaque: 8);
        var req = DecodeError(frame, frame.Length, McBinaryStatus.InvalidArguments, close: true);
        Assert.Equal(8u, req.Opaque);
    }

    [Fact]
    public void Key_over_250_bytes_on_an_unknown_opcode_is_still_invalid_arguments()
    {
        var frame = Request((McBinaryOpcode)0x55, new string('k', 300));
        DecodeError(frame, frame.Length, McBinaryStatus.InvalidArguments, close: true);
    }

    public static TheoryData<string, byte[]> BadShapes => new()
    {
        { "get with extras", Request(McBinaryOpcode.Get, "k", U32(0)) },
        { "get without key", Request(McBinaryOpcode.Get) },
        { "get with a value", Request(McBinaryOpcode.GetK, "k", value: B("v")) },
        { "getq without key", Request(McBinaryOpcode.GetQ) },
        { "set without extras", Request(McBinaryOpcode.Set, "k", value: B("v")) },
        { "set with 4 extras", Request(McBinaryOpcode.Set, "k", U32(0), B("v")) },
        { "setq with 12 extras", Request(McBinaryOpcode.SetQ, "k", Cat(U32(0), U32(0), U32(0)), B("v")) },
        { "add without key", Request(McBinaryOpcode.Add, "", Cat(U32(0), U32(0)), B("v")) },
        { "replace without key", Request(McBinaryOpcode.ReplaceQ, "", Cat(U32(0), U32(0))) },
        { "append with extras", Request(McBinaryOpcode.Append, "k", U32(0), B("v")) },
        { "prepend without key", Request(McBinaryOpcode.PrependQ, "", value: B("v")) },
        { "delete with extras", Request(McBinaryOpcode.Delete, "k", U32(0)) },
        { "delete with a value", Request(McBinaryOpcode.DeleteQ, "k", value: B("v")) },
        { "delete without key", Request(McBinaryOpcode.Delete) },
        { "incr with 16 extras", Request(McBinaryOpcode.Increment, "k", Cat(U64(1), U64(0))) },
        { "decr without key", Request(McBinaryOpcode.Decrement, "", Cat(U64(1), U64(0), U32(0))) },
        { "incrq with a value", Request(McBinaryOpcode.IncrementQ, "k", Cat(U64(1), U64(0), U32(0)), B("v")) },
        { "touch without extras", Request(McBinaryOpcode.Touch, "k") },
        { "touch without key", Request(McBinaryOpcode.Touch, "", U32(0)) },
        { "gat with 8 extras", Request(McBinaryOpcode.Gat, "k", U64(0)) },
        { "gatkq without key", Request(McBinaryOpcode.GatKQ, "", U32(0)) },
        { "flush with a key", Request(McBinaryOpcode.Flush, "k") },
        { "flush with 8 extras", Request(McBinaryOpcode.Flush, extras: U64(0)) },
        { "flushq with a value", Request(McBinaryOpcode.FlushQ, value: B("v")) },
        { "noop with a key", Request(McBinaryOpcode.Noop, "k") },
        { "version with extras", Request(McBinaryOpcode.Version, extras: U32(0)) },
        { "quit with a value", Request(McBinaryOpcode.Quit, value: B("v")) },
        { "quitq with a key", Request(McBinaryOpcode.QuitQ, "k") },
        { "stat with extras", Request(McBinaryOpcode.Stat, "items", U32(0)) },
        { "sasl list with a key", Request(McBinaryOpcode.SaslListMechs, "PLAIN") },
        { "sasl auth without key", Request(McBinaryOpcode.SaslAuth, value: B("secret")) },
        { "sasl step with extras", Request(McBinaryOpcode.SaslStep, "PLAIN", U32(0)) },
    };

    [Theory]
    [MemberData(nameof(BadShapes))]
    public void Lengths_the_opcode_does_not_allow_are_invalid_arguments_and_close(string name, byte[] frame)
    {
        // handle_binary_protocol_error: EINVAL, then close_after_write; memcached has read header, extras and key
        var h = McBinaryHeader.Parse(frame);
        var req = DecodeError(frame, h.PrefixLength, McBinaryStatus.InvalidArguments, close: true);
        Assert.True(req.Opcode == frame[1], name);
    }

    [Theory]
    [InlineData(0x1b)] // VERBOSITY: not implemented by memcached 1.6
    [InlineData(0x1f)] // HELLO
    [InlineData(0x25)]
    [InlineData(0x2e)]
    [InlineData(0x30)]
    [InlineData(0xff)]
    public void Unknown_opcodes_answer_unknown_command_skip_the_body_and_keep_the_connection(byte opcode)
    {
        var frame = Request((McBinaryOpcode)opcode, "key", U32(1), B("value"), opaque: 99);
        var next = Get(McBinaryOpcode.Get, "after");
        var req = _h.Decode(new ReadOnlySequence<byte>(Cat(frame, next)), frame.Length);
        Assert.Equal(McRequestKind.Error, req.Kind);
        Assert.Equal((ushort)McBinaryStatus.UnknownCommand, req.Status);
        Assert.Equal("Unknown command", req.ErrorText);
        Assert.False(req.CloseAfter);
        Assert.Equal(99u, req.Opaque);
        Assert.Equal(opcode, req.Opcode);
        Assert.Equal(0, _h.Sink.Count);
        // the stream stays in step
        var after = _h.Decode(next);
        _h.Single(after, Op.McGet, "after");
    }

    [Fact]
    public void Unknown_opcode_waits_for_its_whole_body()
    {
        var frame = Request((McBinaryOpcode)0x1b, extras: U32(1));
        Assert.Equal(McParseStatus.Incomplete, _h.TryDecode(new ReadOnlySequence<byte>(frame, 0, frame.Length - 1), out _, out long consumed));
        Assert.Equal(0, consumed);
        DecodeError(frame, frame.Length, McBinaryStatus.UnknownCommand, close: false);
    }

    [Theory]
    [InlineData(McBinaryOpcode.SaslListMechs, "", "")]
    [InlineData(McBinaryOpcode.SaslAuth, "PLAIN", "\0user\0pass")]
    [InlineData(McBinaryOpcode.SaslStep, "PLAIN", "")]
    public void Sasl_answers_like_a_memcached_built_without_sasl(McBinaryOpcode op, string key, string value)
    {
        var frame = Request(op, key, value: B(value));
        DecodeError(frame, frame.Length, McBinaryStatus.UnknownCommand, close: false);
    }

    [Fact]
    public void Set_value_over_the_item_size_is_too_large_and_drops_the_old_item()
    {
        var h = new BinHarness(maxItemSize: 100);
        var frame = Request(McBinaryOpcode.Set, "big", Cat(U32(0), U32(0)), new byte[101], opaque: 6);
        var req = h.Decode(frame);
        // process_bin_update: "Avoid stale data persisting in cache because we failed alloc" (SET only)
        Assert.Equal(McRequestKind.Data, req.Kind);
        var c = h.Single(req, Op.McDelete, "big");
        Assert.Equal(0ul, c.Cas);
        Assert.Equal((ushort)McBinaryStatus.TooLarge, req.Status);
        Assert.Equal("Too large.", req.ErrorText);
        Assert.False(req.CloseAfter);
    }

    [Fact]
    public void SetQ_value_over_the_item_size_is_too_large_too()
    {
        var h = new BinHarness(maxItemSize: 10);
        var req = h.Decode(Request(McBinaryOpcode.SetQ, "big", Cat(U32(0), U32(0)), new byte[11]));
        h.Single(req, Op.McDelete, "big");
        Assert.True(req.Quiet);
        Assert.Equal((ushort)McBinaryStatus.TooLarge, req.Status);
    }

    [Theory]
    [InlineData(McBinaryOpcode.Add, true)]
    [InlineData(McBinaryOpcode.ReplaceQ, true)]
    [InlineData(McBinaryOpcode.Append, false)]
    [InlineData(McBinaryOpcode.PrependQ, false)]
    public void Other_stores_over_the_item_size_are_too_large_without_a_command(McBinaryOpcode op, bool hasExtras)
    {
        var h = new BinHarness(maxItemSize: 10);
        var frame = Request(op, "big", hasExtras ? Cat(U32(0), U32(0)) : null, new byte[11]);
        var req = h.Decode(frame);
        Assert.Equal(McRequestKind.Error, req.Kind);
        Assert.Equal((ushort)McBinaryStatus.TooLarge, req.Status);
        Assert.Equal("Too large.", req.ErrorText);
        Assert.False(req.CloseAfter);
        Assert.Equal(0, h.Sink.Count);
    }

    [Fact]
    public void A_set_body_too_large_to_buffer_is_answered_from_its_header_and_closes()
    {
        var h = new BinHarness(maxItemSize: 100);
        uint body = (uint)(h.Codec.MaxBodyLength + 1);
        // only header, extras and key are sent: the codec must not wait for the rest
        var prefix = Request(McBinaryOpcode.Set, "huge", Cat(U32(0), U32(0)), bodyLength: body);
        var req = h.Decode(new ReadOnlySequence<byte>(prefix), prefix.Length);
        Assert.Equal(McRequestKind.Data, req.Kind);
        h.Single(req, Op.McDelete, "huge");
        Assert.Equal((ushort)McBinaryStatus.TooLarge, req.Status);
        Assert.True(req.CloseAfter);
    }

    [Theory]
    [InlineData(McBinaryOpcode.Append, false, McBinaryStatus.TooLarge)]
    [InlineData(McBinaryOpcode.AddQ, true, McBinaryStatus.TooLarge)]
    [InlineData(McBinaryOpcode.Gat, false, McBinaryStatus.InvalidArguments)]
    [InlineData(McBinaryOpcode.Stat, false, McBinaryStatus.InvalidArguments)]
    [InlineData((McBinaryOpcode)0x77, false, McBinaryStatus.UnknownCommand)]
    public void An_absurd_body_length_is_refused_and_closes(McBinaryOpcode op, bool storeExtras, McBinaryStatus status)
    {
        byte[]? extras = storeExtras ? Cat(U32(0), U32(0)) : op == McBinaryOpcode.Gat ? U32(0) : null;
        var prefix = Request(op, "k", extras, bodyLength: uint.MaxValue);
        var req = DecodeError(prefix, prefix.Length, status, close: true);
        Assert.Equal((byte)op, req.Opcode);
    }

    [Fact]
    public void Absurd_body_check_comes_after_the_shape_check()
    {
        // a GET can never carry a body longer than its key: that is a shape error first
        var prefix = Request(McBinaryOpcode.Get, "k", bodyLength: uint.MaxValue);
        DecodeError(prefix, prefix.Length, McBinaryStatus.InvalidArguments, close: true);
    }

    [Fact]
    public void Max_body_length_allows_an_oversized_value_to_be_answered_without_closing()
    {
        var h = new BinHarness(maxItemSize: 1024 * 1024);
        Assert.True(h.Codec.MaxBodyLength >= 2 * 1024 * 1024);
        var frame = Request(McBinaryOpcode.Set, "toobig", Cat(U32(10), U32(10)), new byte[1024 * 1024 + 1]);
        var req = h.Decode(frame);
        Assert.Equal((ushort)McBinaryStatus.TooLarge, req.Status);
        Assert.False(req.CloseAfter);
    }

    [Fact]
    public void Codec_rejects_a_nonpositive_item_size()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new McBinaryCodec(new McCodecOptions { MaxItemSize = 0 }));
        Assert.Throws<ArgumentNullException>(() => new McBinaryCodec(null!));
    }
}
