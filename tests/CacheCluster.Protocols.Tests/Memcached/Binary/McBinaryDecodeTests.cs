using CacheCluster.Core;
using CacheCluster.Protocols.Memcached;
using CacheCluster.Protocols.Memcached.Binary;
using static CacheCluster.Protocols.Tests.Memcached.Binary.Frames;

namespace CacheCluster.Protocols.Tests.Memcached.Binary;

public class McBinaryDecodeTests
{
    readonly BinHarness _h = new();

    [Theory]
    [InlineData(McBinaryOpcode.Get, false)]
    [InlineData(McBinaryOpcode.GetQ, true)]
    [InlineData(McBinaryOpcode.GetK, false)]
    [InlineData(McBinaryOpcode.GetKQ, true)]
    public void Get_family_is_one_McGet_routed_by_key(McBinaryOpcode op, bool quiet)
    {
        var req = _h.Decode(Get(op, "user:42", opaque: 0xA1B2C3D4));
        var c = _h.Single(req, Op.McGet, "user:42");
        Assert.Equal(CommandOptions.None, c.Options);
        Assert.Null(c.Value);
        Assert.Equal((byte)op, req.Opcode);
        Assert.Equal(0xA1B2C3D4u, req.Opaque);
        Assert.Equal(quiet, req.Quiet);
        Assert.False(req.CloseAfter);
        Assert.Equal("user:42", S(req.Key.Span));
        Assert.Equal(1, _h.Arena.ArgCount);
    }

    [Theory]
    [InlineData(McBinaryOpcode.Gat, false)]
    [InlineData(McBinaryOpcode.GatQ, true)]
    [InlineData(McBinaryOpcode.GatK, false)]
    [InlineData(McBinaryOpcode.GatKQ, true)]
    public void Gat_family_is_McGat_with_absolute_expiry(McBinaryOpcode op, bool quiet)
    {
        var req = _h.Decode(WithExpiry(op, "k", 100, opaque: 7));
        var c = _h.Single(req, Op.McGat, "k");
        Assert.Equal(BinHarness.T0 + 100_000, c.Int1);
        Assert.Equal(quiet, req.Quiet);
        Assert.Equal(7u, req.Opaque);
        Assert.Equal("k", S(req.Key.Span));
    }

    [Fact]
    public void Gat_with_zero_expiration_clears_the_ttl()
    {
        var c = _h.Single(_h.Decode(WithExpiry(McBinaryOpcode.Gat, "k", 0)), Op.McGat, "k");
        Assert.Equal(0, c.Int1);
    }

    [Fact]
    public void Touch_is_McTouch_with_absolute_expiry()
    {
        var req = _h.Decode(WithExpiry(McBinaryOpcode.Touch, "t", 5));
        var c = _h.Single(req, Op.McTouch, "t");
        Assert.Equal(BinHarness.T0 + 5_000, c.Int1);
        Assert.False(req.Quiet);
    }

    [Fact]
    public void Gat_ignores_a_body_beyond_the_key_but_consumes_it()
    {
        // memcached checks only extlen == 4 && keylen != 0 for TOUCH/GAT
        var frame = Request(McBinaryOpcode.Gat, "k", U32(0), B("junk"));
        var c = _h.Single(_h.Decode(frame), Op.McGat, "k");
        Assert.Null(c.Value);
    }

    [Theory]
    [InlineData(McBinaryOpcode.Set, CommandOptions.None, false)]
    [InlineData(McBinaryOpcode.SetQ, CommandOptions.None, true)]
    [InlineData(McBinaryOpcode.Add, CommandOptions.Nx, false)]
    [InlineData(McBinaryOpcode.AddQ, CommandOptions.Nx, true)]
    [InlineData(McBinaryOpcode.Replace, CommandOptions.Xx, false)]
    [InlineData(McBinaryOpcode.ReplaceQ, CommandOptions.Xx, true)]
    public void Store_family_is_McStore_with_flags_expiry_and_owned_value(McBinaryOpcode op, CommandOptions options, bool quiet)
    {
        var frame = Store(op, "key", "hello world", flags: 0xDEADBEEF, exptime: 60, opaque: 9);
        var req = _h.Decode(frame);
        var c = _h.Single(req, Op.McStore, "key");
        Assert.Equal(options, c.Options);
        Assert.Equal("hello world", S(c.Value));
        Assert.Equal(0xDEADBEEFu, c.Flags);
        Assert.Equal(BinHarness.T0 + 60_000, c.Int1);
        Assert.Equal(0ul, c.Cas);
        Assert.Equal(quiet, req.Quiet);
        Assert.Equal(0, req.Status);
        // the value is an exact-size array of its own, not a view of the frame
        Assert.Equal(11, c.Value!.Length);
        frame[^1] = (byte)'X';
        Assert.Equal("hello world", S(c.Value));
    }

    [Theory]
    [InlineData(McBinaryOpcode.Set)]
    [InlineData(McBinaryOpcode.Add)]
    [InlineData(McBinaryOpcode.Replace)]
    public void Store_with_cas_is_a_plain_compare_and_swap(McBinaryOpcode op)
    {
        // process_bin_update: a nonzero CAS makes the command NREAD_CAS, whatever set/add/replace it was
        var c = _h.Single(_h.Decode(Store(op, "key", "v", cas: 0x1122334455667788)), Op.McStore, "key");
        Assert.Equal(CommandOptions.None, c.Options);
        Assert.Equal(0x1122334455667788ul, c.Cas);
    }

    [Fact]
    public void Store_accepts_an_empty_value()
    {
        var c = _h.Single(_h.Decode(Store(McBinaryOpcode.Set, "e", "")), Op.McStore, "e");
        Assert.NotNull(c.Value);
        Assert.Empty(c.Value!);
    }

    [Fact]
    public void Store_of_an_item_that_exactly_fits_the_item_size_is_accepted()
    {
        // memcached limits the whole item: 48 header + key + 1 + data + 2 + 8 CAS (+4 with non-zero flags)
        var h = new BinHarness(maxItemSize: 200);
        int fits = 200 - 48 - 1 - 1 - 2 - 8;
        var req = h.Decode(Request(McBinaryOpcode.Set, "k", Cat(U32(0), U32(0)), new byte[fits]));
        Assert.Equal(fits, h.Single(req, Op.McStore, "k").Value!.Length);
        var over = new BinHarness(maxItemSize: 200).Decode(Request(McBinaryOpcode.Set, "k", Cat(U32(7), U32(0)), new byte[fits]));
        Assert.Equal(McRequestKind.Data, over.Kind);
        Assert.Equal((ushort)McBinaryStatus.TooLarge, over.Status); // flags cost 4 more bytes: too large
    }

    [Fact]
    public void Store_of_a_large_value_keeps_every_byte()
    {
        var value = new byte[70_000];
        new Random(5).NextBytes(value);
        var req = _h.Decode(Request(McBinaryOpcode.Set, "big", Cat(U32(1), U32(0)), value));
        Assert.Equal(value, _h.Single(req, Op.McStore, "big").Value);
    }

    [Theory]
    [InlineData(McBinaryOpcode.Append, CommandOptions.Append, false)]
    [InlineData(McBinaryOpcode.AppendQ, CommandOptions.Append, true)]
    [InlineData(McBinaryOpcode.Prepend, CommandOptions.Prepend, false)]
    [InlineData(McBinaryOpcode.PrependQ, CommandOptions.Prepend, true)]
    public void Append_and_prepend_are_McStore_with_their_option_and_cas(McBinaryOpcode op, CommandOptions options, bool quiet)
    {
        var req = _h.Decode(Concat(op, "k", "tail", cas: 77));
        var c = _h.Single(req, Op.McStore, "k");
        Assert.Equal(options, c.Options);
        Assert.Equal("tail", S(c.Value));
        Assert.Equal(77ul, c.Cas);
        Assert.Equal(0u, c.Flags);
        Assert.Equal(0, c.Int1);
        Assert.Equal(quiet, req.Quiet);
    }

    [Theory]
    [InlineData(McBinaryOpcode.Delete, false)]
    [InlineData(McBinaryOpcode.DeleteQ, true)]
    public void Delete_is_McDelete_with_cas(McBinaryOpcode op, bool quiet)
    {
        var req = _h.Decode(Request(op, "gone", cas: 5));
        var c = _h.Single(req, Op.McDelete, "gone");
        Assert.Equal(5ul, c.Cas);
        Assert.Equal(CommandOptions.None, c.Options);
        Assert.Equal(quiet, req.Quiet);
    }

    [Theory]
    [InlineData(McBinaryOpcode.Increment, CommandOptions.Create, false)]
    [InlineData(McBinaryOpcode.IncrementQ, CommandOptions.Create, true)]
    [InlineData(McBinaryOpcode.Decrement, CommandOptions.Create | CommandOptions.Decrement, false)]
    [InlineData(McBinaryOpcode.DecrementQ, CommandOptions.Create | CommandOptions.Decrement, true)]
    public void Incr_family_is_McIncr_with_delta_initial_and_expiry(McBinaryOpcode op, CommandOptions options, bool quiet)
    {
        var req = _h.Decode(Incr(op, "n", delta: 0xFFFFFFFFFFFFFFF0, initial: 0x8000000000000001, exptime: 30, cas: 3));
        var c = _h.Single(req, Op.McIncr, "n");
        Assert.Equal(options, c.Options);
        Assert.Equal(0xFFFFFFFFFFFFFFF0ul, (ulong)c.Int1);
        Assert.Equal(0x8000000000000001ul, (ulong)c.Int2);
        Assert.Equal(BinHarness.T0 + 30_000, c.Int3);
        Assert.Equal(3ul, c.Cas);
        Assert.Equal(quiet, req.Quiet);
    }

    [Theory]
    [InlineData(McBinaryOpcode.Increment, CommandOptions.None)]
    [InlineData(McBinaryOpcode.Decrement, CommandOptions.Decrement)]
    public void Incr_with_expiration_all_ones_does_not_create(McBinaryOpcode op, CommandOptions options)
    {
        var c = _h.Single(_h.Decode(Incr(op, "n", 1, 10, 0xFFFFFFFF)), Op.McIncr, "n");
        Assert.Equal(options, c.Options);
        Assert.Equal(0, c.Int3);
    }

    [Fact]
    public void Incr_with_zero_expiration_creates_a_never_expiring_item()
    {
        var c = _h.Single(_h.Decode(Incr(McBinaryOpcode.Increment, "n", 1, 10, 0)), Op.McIncr, "n");
        Assert.Equal(CommandOptions.Create, c.Options);
        Assert.Equal(0, c.Int3);
        Assert.Equal(10, c.Int2);
    }

    [Theory]
    [InlineData(McBinaryOpcode.Flush, false)]
    [InlineData(McBinaryOpcode.FlushQ, true)]
    public void Flush_without_extras_is_broadcast_to_every_shard(McBinaryOpcode op, bool quiet)
    {
        var req = _h.Decode(Request(op, opaque: 4));
        Assert.Equal(McRequestKind.Data, req.Kind);
        Assert.Equal(BinHarness.ShardCount, req.Count);
        for (int s = 0; s < BinHarness.ShardCount; s++)
        {
            Assert.Equal(Op.Flush, _h.Sink[req.First + s].Op);
            Assert.Equal(s, _h.Sink.ShardAt(req.First + s));
        }
        Assert.Equal(quiet, req.Quiet);
        Assert.Equal(0, _h.Arena.ArgCount);
    }

    [Fact]
    public void Flush_with_zero_expiration_is_immediate()
    {
        var req = _h.Decode(Request(McBinaryOpcode.Flush, extras: U32(0)));
        Assert.Equal(McRequestKind.Data, req.Kind);
        Assert.Equal(BinHarness.ShardCount, req.Count);
    }

    [Theory]
    [InlineData(McBinaryOpcode.Flush, false)]
    [InlineData(McBinaryOpcode.FlushQ, true)]
    public void Flush_with_a_relative_delay_is_local(McBinaryOpcode op, bool quiet)
    {
        var req = _h.Decode(Request(op, extras: U32(90)));
        Assert.Equal(McRequestKind.Local, req.Kind);
        Assert.Equal(McLocal.FlushDelayed, req.Local);
        Assert.Equal(90, req.Number);
        Assert.Equal(0, req.Count);
        Assert.Equal(0, _h.Sink.Count);
        Assert.Equal(quiet, req.Quiet);
    }

    [Fact]
    public void Flush_with_an_absolute_time_becomes_a_delay()
    {
        long nowS = BinHarness.T0 / 1000;
        var req = _h.Decode(Request(McBinaryOpcode.Flush, extras: U32((uint)(nowS + 500))));
        Assert.Equal(McLocal.FlushDelayed, req.Local);
        Assert.Equal(500, req.Number);
    }

    [Fact]
    public void Flush_with_an_absolute_time_in_the_past_is_immediate()
    {
        long nowS = BinHarness.T0 / 1000;
        var req = _h.Decode(Request(McBinaryOpcode.Flush, extras: U32((uint)(nowS - 10))));
        Assert.Equal(McRequestKind.Data, req.Kind);
        Assert.Equal(BinHarness.ShardCount, req.Count);
    }

    [Fact]
    public void Noop_is_local()
    {
        var req = _h.Decode(Request(McBinaryOpcode.Noop, opaque: 11));
        Assert.Equal(McRequestKind.Local, req.Kind);
        Assert.Equal(McLocal.Noop, req.Local);
        Assert.Equal(11u, req.Opaque);
        Assert.False(req.CloseAfter);
        Assert.Equal(0, _h.Sink.Count);
    }

    [Fact]
    public void Version_is_local()
    {
        var req = _h.Decode(Request(McBinaryOpcode.Version));
        Assert.Equal(McRequestKind.Local, req.Kind);
        Assert.Equal(McLocal.Version, req.Local);
    }

    [Theory]
    [InlineData(McBinaryOpcode.Quit, false)]
    [InlineData(McBinaryOpcode.QuitQ, true)]
    public void Quit_is_local_and_closes(McBinaryOpcode op, bool quiet)
    {
        var req = _h.Decode(Request(op));
        Assert.Equal(McRequestKind.Local, req.Kind);
        Assert.Equal(McLocal.Quit, req.Local);
        Assert.True(req.CloseAfter);
        Assert.Equal(quiet, req.Quiet);
    }

    [Theory]
    [InlineData("", null)]
    [InlineData("settings", "settings")]
    [InlineData("items", "items")]
    [InlineData("detail dump", "detail dump")]
    [InlineData("reset", "reset")]
    public void Stat_is_local_with_its_group(string key, string? group)
    {
        var req = _h.Decode(Request(McBinaryOpcode.Stat, key, opaque: 3));
        Assert.Equal(McRequestKind.Local, req.Kind);
        Assert.Equal(McLocal.Stats, req.Local);
        Assert.Equal(group, req.Group);
        Assert.Equal(3u, req.Opaque);
        Assert.Equal(0, _h.Sink.Count);
        Assert.Equal(0, _h.Arena.ArgCount);
    }

    [Fact]
    public void Binary_keys_are_kept_byte_for_byte()
    {
        byte[] key = [0x00, 0xFF, 0x80, 0x0A, 0x0D, 0x20];
        var req = _h.Decode(Request(McBinaryOpcode.Get, keyBytes: key));
        Assert.Equal(key, _h.Sink[req.First].Key.ToArray());
        Assert.Equal(_h.Map.ShardOf(key), _h.Sink.ShardAt(req.First));
    }

    [Fact]
    public void A_250_byte_key_is_accepted()
    {
        string key = new('k', 250);
        _h.Single(_h.Decode(Get(McBinaryOpcode.Get, key)), Op.McGet, key);
    }

    [Fact]
    public void Pipelined_requests_decode_in_order_with_consecutive_commands()
    {
        var stream = Cat(
            Get(McBinaryOpcode.GetKQ, "a", opaque: 1),
            Store(McBinaryOpcode.SetQ, "b", "v", opaque: 2),
            Request(McBinaryOpcode.Noop, opaque: 3),
            Incr(McBinaryOpcode.Decrement, "c", 2, 0, 0, opaque: 4));
        var reader = new System.Buffers.SequenceReader<byte>(new System.Buffers.ReadOnlySequence<byte>(stream));
        var got = new List<McRequest>();
        while (_h.Codec.TryDecode(ref reader, _h.Arena, _h.Sink, _h.Map, _h.Clock, out var r) == McParseStatus.Complete) got.Add(r);
        Assert.Equal(stream.Length, reader.Consumed);
        Assert.Equal([1u, 2u, 3u, 4u], got.Select(r => r.Opaque).ToArray());
        Assert.Equal([0, 1, 2, 2], got.Select(r => r.First).ToArray());
        Assert.Equal([1, 1, 0, 1], got.Select(r => r.Count).ToArray());
        Assert.Equal(Op.McGet, _h.Sink[0].Op);
        Assert.Equal(Op.McStore, _h.Sink[1].Op);
        Assert.Equal(Op.McIncr, _h.Sink[2].Op);
        Assert.Equal("c", S(_h.Sink[2].Key.Span));
        // keys stay valid while later requests are appended
        Assert.Equal("a", S(_h.Sink[0].Key.Span));
        Assert.Equal("b", S(_h.Sink[1].Key.Span));
    }
}
