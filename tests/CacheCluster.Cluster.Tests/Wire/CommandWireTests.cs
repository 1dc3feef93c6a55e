using System.Runtime.InteropServices;
using CacheCluster.Cluster.Wire;
using CacheCluster.Core;

namespace CacheCluster.Cluster.Tests.Wire;

public class CommandWireTests
{
    // ---------------------------------------------------------------- helpers

    static byte[] Encode(in Command c)
    {
        var w = new WireWriter();
        CommandWire.Write(w, c);
        return w.ToArray();
    }

    static byte[] Encode(in Reply r)
    {
        var w = new WireWriter();
        CommandWire.Write(w, r);
        return w.ToArray();
    }

    static Command DecodeCommand(byte[] payload)
    {
        var r = new WireReader(payload);
        var c = new Command();
        CommandWire.Read(ref r, ref c);
        r.ExpectEnd();
        return c;
    }

    static Reply DecodeReply(byte[] payload)
    {
        var r = new WireReader(payload);
        var reply = new Reply();
        CommandWire.Read(ref r, ref reply);
        r.ExpectEnd();
        return reply;
    }

    static byte[] RandomBytes(Random rng, int max)
    {
        var b = new byte[rng.Next(0, max + 1)];
        rng.NextBytes(b);
        return b;
    }

    static long RandomLong(Random rng) => rng.Next(4) switch
    {
        0 => 0,
        1 => rng.NextInt64(long.MinValue, long.MaxValue),
        2 => rng.Next(-1000, 1000),
        _ => long.MaxValue,
    };

    static Command RandomCommand(Random rng, Op op)
    {
        var c = new Command
        {
            Op = op,
            Options = rng.Next(3) == 0 ? CommandOptions.None : (CommandOptions)(uint)rng.NextInt64(0, uint.MaxValue + 1L),
            Key = rng.Next(5) == 0 ? ReadOnlyMemory<byte>.Empty : RandomBytes(rng, 40),
            Key2 = rng.Next(2) == 0 ? ReadOnlyMemory<byte>.Empty : RandomBytes(rng, 40),
            Pattern = rng.Next(2) == 0 ? ReadOnlyMemory<byte>.Empty : RandomBytes(rng, 20),
            Value = rng.Next(4) switch { 0 => null, 1 => [], _ => RandomBytes(rng, 300) },
            Int1 = RandomLong(rng),
            Int2 = RandomLong(rng),
            Int3 = RandomLong(rng),
            Int4 = RandomLong(rng),
            Flags = rng.Next(2) == 0 ? 0 : (uint)rng.NextInt64(0, uint.MaxValue + 1L),
            Cas = rng.Next(2) == 0 ? 0 : (ulong)rng.NextInt64(long.MinValue, long.MaxValue),
        };
        if (op == Op.Restore || rng.Next(6) == 0)
            c.Extra = new EntrySnapshot { Value = RandomBytes(rng, 200), Flags = (uint)rng.Next(), ExpiresAtMs = RandomLong(rng) };
        return c;
    }

    static void AssertSameCommand(in Command expected, in Command actual)
    {
        Assert.Equal(expected.Op, actual.Op);
        Assert.Equal(expected.Options, actual.Options);
        Assert.Equal(expected.Key.ToArray(), actual.Key.ToArray());
        Assert.Equal(expected.Key2.ToArray(), actual.Key2.ToArray());
        Assert.Equal(expected.Pattern.ToArray(), actual.Pattern.ToArray());
        if (expected.Value is null)
            Assert.Null(actual.Value);
        else
            Assert.Equal(expected.Value, actual.Value);
        Assert.Equal(expected.Int1, actual.Int1);
        Assert.Equal(expected.Int2, actual.Int2);
        Assert.Equal(expected.Int3, actual.Int3);
        Assert.Equal(expected.Int4, actual.Int4);
        Assert.Equal(expected.Flags, actual.Flags);
        Assert.Equal(expected.Cas, actual.Cas);
        if (expected.Extra is null)
        {
            Assert.Null(actual.Extra);
        }
        else
        {
            var e = Assert.IsType<EntrySnapshot>(expected.Extra);
            var a = Assert.IsType<EntrySnapshot>(actual.Extra);
            Assert.Equal(e.Value, a.Value);
            if (e.Value.Length > 0)
                Assert.NotSame(e.Value, a.Value);
            Assert.Equal(e.Flags, a.Flags);
            Assert.Equal(e.ExpiresAtMs, a.ExpiresAtMs);
        }
    }

    static void AssertSameReply(in Reply expected, in Reply actual)
    {
        Assert.Equal(expected.Kind, actual.Kind);
        Assert.Equal(expected.Error, actual.Error);
        Assert.Equal(expected.Integer, actual.Integer);
        Assert.Equal(expected.Bulk.ToArray(), actual.Bulk.ToArray());
        Assert.Equal(expected.Text, actual.Text);
        Assert.Equal(expected.Flags, actual.Flags);
        Assert.Equal(expected.Cas, actual.Cas);
        Assert.Equal(expected.Aux, actual.Aux);
        Assert.Equal(expected.Meta, actual.Meta);
        switch (expected.Extra)
        {
            case null:
                Assert.Null(actual.Extra);
                break;
            case List<byte[]> keys:
                var got = Assert.IsType<List<byte[]>>(actual.Extra);
                Assert.Equal(keys.Count, got.Count);
                for (int i = 0; i < keys.Count; i++)
                    Assert.Equal(keys[i], got[i]);
                break;
            case EntrySnapshot entry:
                var e = Assert.IsType<EntrySnapshot>(actual.Extra);
                Assert.Equal(entry.Value, e.Value);
                Assert.Equal(entry.Flags, e.Flags);
                Assert.Equal(entry.ExpiresAtMs, e.ExpiresAtMs);
                break;
            case ShardStats s:
                var st = Assert.IsType<ShardStats>(actual.Extra);
                Assert.Equal(
                    new[] { s.Keys, s.VolatileKeys, s.UsedBytes, s.MaxBytes, s.Hits, s.Misses, s.Expired, s.Evicted, s.TotalItems },
                    new[] { st.Keys, st.VolatileKeys, st.UsedBytes, st.MaxBytes, st.Hits, st.Misses, st.Expired, st.Evicted, st.TotalItems });
                break;
            default:
                Assert.Fail($"unexpected extra {expected.Extra.GetType()}");
                break;
        }
    }

    static Reply SampleReply(Random rng, ReplyKind kind)
    {
        var r = new Reply
        {
            Kind = kind,
            Integer = RandomLong(rng),
            Flags = (uint)rng.Next(),
            Cas = (ulong)rng.NextInt64(),
            Aux = RandomLong(rng),
        };
        switch (kind)
        {
            case ReplyKind.Bulk:
                r.Bulk = RandomBytes(rng, 500);
                r.Meta = McMeta.HitBefore | McMeta.Win;
                break;
            case ReplyKind.Simple:
                r.Text = "string";
                break;
            case ReplyKind.Error:
                r.Error = ErrorCode.WrongType;
                r.Text = "detail ✓";
                break;
            case ReplyKind.Keys:
            case ReplyKind.ScanPage:
                r.Extra = new List<byte[]> { RandomBytes(rng, 30), Array.Empty<byte>(), RandomBytes(rng, 30), "key:1"u8.ToArray() };
                break;
            case ReplyKind.Entry:
                r.Extra = new EntrySnapshot { Value = RandomBytes(rng, 100), Flags = 77, ExpiresAtMs = 1_700_000_000_000 };
                break;
            case ReplyKind.Stats:
                r.Extra = new ShardStats
                {
                    Keys = 1, VolatileKeys = 2, UsedBytes = 3, MaxBytes = long.MaxValue, Hits = 5,
                    Misses = 6, Expired = 7, Evicted = 8, TotalItems = -9,
                };
                break;
            case ReplyKind.Status:
                r.Integer = (long)McStatus.Exists;
                break;
        }
        return r;
    }

    // ---------------------------------------------------------------- commands

    [Fact]
    public void Every_op_round_trips_with_randomized_fields()
    {
        var rng = new Random(20240611);
        foreach (var op in Enum.GetValues<Op>())
        {
            for (int i = 0; i < 25; i++)
            {
                var c = RandomCommand(rng, op);
                AssertSameCommand(c, DecodeCommand(Encode(c)));
            }
        }
    }

    [Fact]
    public void Every_field_at_its_extremes_round_trips()
    {
        var c = new Command
        {
            Op = Op.McIncr,
            Options = (CommandOptions)uint.MaxValue,
            Key = new byte[] { 0 },
            Key2 = new byte[] { 255 },
            Pattern = "*"u8.ToArray(),
            Value = new byte[70_000],
            Int1 = long.MinValue,
            Int2 = long.MaxValue,
            Int3 = -1,
            Int4 = 1,
            Flags = uint.MaxValue,
            Cas = ulong.MaxValue,
            Extra = new EntrySnapshot { Value = [], Flags = uint.MaxValue, ExpiresAtMs = long.MinValue },
        };
        AssertSameCommand(c, DecodeCommand(Encode(c)));
    }

    [Fact]
    public void Null_and_empty_value_are_distinguished()
    {
        var withNull = new Command { Op = Op.Set, Key = "k"u8.ToArray(), Value = null };
        var withEmpty = new Command { Op = Op.Set, Key = "k"u8.ToArray(), Value = [] };
        Assert.Null(DecodeCommand(Encode(withNull)).Value);
        var empty = DecodeCommand(Encode(withEmpty)).Value;
        Assert.NotNull(empty);
        Assert.Empty(empty);
    }

    [Fact]
    public void Common_commands_are_small()
    {
        // op + mask + u32 length + key
        Assert.Equal(1 + 2 + 4 + 3, Encode(Command.For(Op.Get, "foo"u8.ToArray())).Length);
        Assert.Equal(3, Encode(new Command { Op = Op.DbSize }).Length);
        Assert.Equal(3, Encode(Reply.Ok).Length);
        Assert.Equal(3 + 4 + 5, Encode(Reply.Value("hello"u8.ToArray())).Length);
    }

    [Fact]
    public void Keys_are_slices_of_the_payload_and_value_is_a_new_array()
    {
        var c = new Command
        {
            Op = Op.RenameLocal,
            Key = "source"u8.ToArray(),
            Key2 = "destination"u8.ToArray(),
            Pattern = "pat*"u8.ToArray(),
            Value = "the value"u8.ToArray(),
        };
        var payload = Encode(c);
        var d = DecodeCommand(payload);
        foreach (var slice in new[] { d.Key, d.Key2, d.Pattern })
        {
            Assert.True(MemoryMarshal.TryGetArray(slice, out var seg));
            Assert.Same(payload, seg.Array);
        }
        Assert.NotNull(d.Value);
        Assert.NotSame(c.Value, d.Value);
        // the value does not alias the payload: scribbling over the payload leaves it intact
        Array.Fill(payload, (byte)0xEE);
        Assert.Equal("the value"u8.ToArray(), d.Value);
        Assert.True(d.Key.Span.SequenceEqual(Enumerable.Repeat((byte)0xEE, 6).ToArray()));
    }

    [Fact]
    public void Read_overwrites_every_field()
    {
        var stale = new Command
        {
            Op = Op.Set, Options = CommandOptions.Nx, Key = new byte[] { 1 }, Key2 = new byte[] { 2 }, Pattern = new byte[] { 3 },
            Value = [4], Int1 = 5, Int2 = 6, Int3 = 7, Int4 = 8, Flags = 9, Cas = 10,
            Extra = new EntrySnapshot { Value = [1] },
        };
        var payload = Encode(new Command { Op = Op.DbSize });
        var r = new WireReader(payload);
        CommandWire.Read(ref r, ref stale);
        AssertSameCommand(new Command { Op = Op.DbSize }, stale);

        var staleReply = new Reply
        {
            Kind = ReplyKind.Bulk, Error = ErrorCode.Internal, Integer = 1, Bulk = new byte[] { 1 }, Text = "x",
            Extra = new ShardStats(), Flags = 1, Cas = 1, Aux = 1, Meta = McMeta.Stale,
        };
        var rr = new WireReader(Encode(Reply.Nil));
        CommandWire.Read(ref rr, ref staleReply);
        AssertSameReply(Reply.Nil, staleReply);
    }

    [Fact]
    public void Unsupported_extra_types_are_rejected_on_write()
    {
        var w = new WireWriter();
        Assert.Throws<NotSupportedException>(() => CommandWire.Write(w, new Command { Op = Op.Get, Extra = "nope" }));
        Assert.Throws<NotSupportedException>(() => CommandWire.Write(w, new Command { Op = Op.Get, Extra = new ShardStats() }));
        Assert.Throws<NotSupportedException>(() => CommandWire.Write(w, new Reply { Kind = ReplyKind.Keys, Extra = new List<string>() }));
        Assert.Throws<NotSupportedException>(() => CommandWire.Write(w, new Reply { Kind = ReplyKind.Ok, Extra = 42 }));
    }

    [Fact]
    public void Several_commands_in_one_payload()
    {
        var rng = new Random(5);
        var commands = Enum.GetValues<Op>().Select(op => RandomCommand(rng, op)).ToArray();
        var w = new WireWriter();
        w.WriteInt32(commands.Length);
        foreach (var c in commands)
            CommandWire.Write(w, c);
        var r = new WireReader(w.ToArray());
        int n = r.ReadInt32();
        Assert.Equal(commands.Length, n);
        for (int i = 0; i < n; i++)
        {
            var c = new Command();
            CommandWire.Read(ref r, ref c);
            AssertSameCommand(commands[i], c);
        }
        r.ExpectEnd();
    }

    // ---------------------------------------------------------------- replies

    [Fact]
    public void Every_reply_kind_round_trips()
    {
        var rng = new Random(99);
        foreach (var kind in Enum.GetValues<ReplyKind>())
        {
            var r = SampleReply(rng, kind);
            AssertSameReply(r, DecodeReply(Encode(r)));
        }
    }

    [Fact]
    public void Every_extra_type_round_trips_whatever_the_kind()
    {
        var extras = new object?[]
        {
            null,
            new List<byte[]>(),
            new List<byte[]> { new byte[] { 1, 2, 3 }, Array.Empty<byte>() },
            new List<byte[]>(Enumerable.Range(0, 1000).Select(i => BitConverter.GetBytes(i))),
            new EntrySnapshot { Value = [], Flags = 0, ExpiresAtMs = 0 },
            new EntrySnapshot { Value = new byte[10_000], Flags = 3, ExpiresAtMs = -1 },
            new ShardStats(),
            new ShardStats { Keys = long.MinValue, TotalItems = long.MaxValue, Hits = 17 },
        };
        foreach (var extra in extras)
        {
            var r = new Reply { Kind = ReplyKind.ScanPage, Integer = 12345, Extra = extra };
            AssertSameReply(r, DecodeReply(Encode(r)));
        }
    }

    [Fact]
    public void Key_list_items_are_new_arrays_and_bulk_is_a_slice()
    {
        var reply = new Reply { Kind = ReplyKind.Bulk, Bulk = "bulk-bytes"u8.ToArray(), Extra = new List<byte[]> { "k1"u8.ToArray() } };
        var payload = Encode(reply);
        var d = DecodeReply(payload);
        Assert.True(MemoryMarshal.TryGetArray(d.Bulk, out var seg));
        Assert.Same(payload, seg.Array);
        var keys = Assert.IsType<List<byte[]>>(d.Extra);
        Array.Fill(payload, (byte)0);
        Assert.Equal("k1"u8.ToArray(), keys[0]);
    }

    [Fact]
    public void Text_null_and_empty_are_distinguished()
    {
        Assert.Null(DecodeReply(Encode(new Reply { Kind = ReplyKind.Simple, Text = null })).Text);
        Assert.Equal("", DecodeReply(Encode(new Reply { Kind = ReplyKind.Simple, Text = "" })).Text);
        var longText = new string('é', 100_000);   // beyond a u16 string
        Assert.Equal(longText, DecodeReply(Encode(new Reply { Kind = ReplyKind.Error, Error = ErrorCode.Internal, Text = longText })).Text);
    }

    [Fact]
    public void Every_error_code_and_mc_meta_flag_round_trips()
    {
        foreach (var code in Enum.GetValues<ErrorCode>())
        {
            var r = new Reply { Kind = ReplyKind.Error, Error = code, Text = code.ToString() };
            AssertSameReply(r, DecodeReply(Encode(r)));
        }
        McMeta all = McMeta.None;
        foreach (var flag in Enum.GetValues<McMeta>())
        {
            all |= flag;
            var r = new Reply { Kind = ReplyKind.Bulk, Bulk = "v"u8.ToArray(), Flags = 5, Cas = 9, Integer = -1, Aux = 30, Meta = flag };
            AssertSameReply(r, DecodeReply(Encode(r)));
        }
        var every = new Reply { Kind = ReplyKind.Bulk, Bulk = "v"u8.ToArray(), Meta = all, Aux = long.MaxValue, Cas = ulong.MaxValue, Flags = uint.MaxValue };
        AssertSameReply(every, DecodeReply(Encode(every)));
        var mc = Reply.Mc(McStatus.Stored, cas: 42);
        AssertSameReply(mc, DecodeReply(Encode(mc)));
    }

    // ---------------------------------------------------------------- malformed input

    public static IEnumerable<object[]> EncodedSamples()
    {
        var rng = new Random(3);
        yield return new object[] { "set", true, Encode(new Command { Op = Op.Set, Options = CommandOptions.HasExpiry | CommandOptions.Nx, Key = "key"u8.ToArray(), Value = "value"u8.ToArray(), Int1 = 123456789, Flags = 3 }) };
        yield return new object[] { "restore", true, Encode(new Command { Op = Op.Restore, Key = "k"u8.ToArray(), Extra = new EntrySnapshot { Value = "vv"u8.ToArray(), Flags = 1, ExpiresAtMs = 2 } }) };
        yield return new object[] { "everything", true, Encode(RandomCommand(rng, Op.McIncr)) };
        yield return new object[] { "mcget", true, Encode(new Command { Op = Op.McGet, Key = "k"u8.ToArray(), Cas = 7, Int1 = 1, Int3 = 2, Int4 = 3, Key2 = "x"u8.ToArray(), Pattern = "p"u8.ToArray(), Value = [] }) };
        yield return new object[] { "bulk", false, Encode(new Reply { Kind = ReplyKind.Bulk, Bulk = "abc"u8.ToArray(), Flags = 1, Cas = 2, Integer = 3, Aux = 4, Meta = McMeta.Stale }) };
        yield return new object[] { "error", false, Encode(new Reply { Kind = ReplyKind.Error, Error = ErrorCode.NotInteger, Text = "bad" }) };
        yield return new object[] { "keys", false, Encode(new Reply { Kind = ReplyKind.Keys, Extra = new List<byte[]> { "a"u8.ToArray(), "bc"u8.ToArray() } }) };
        yield return new object[] { "entry", false, Encode(new Reply { Kind = ReplyKind.Entry, Extra = new EntrySnapshot { Value = "v"u8.ToArray(), Flags = 2, ExpiresAtMs = 3 } }) };
        yield return new object[] { "stats", false, Encode(new Reply { Kind = ReplyKind.Stats, Extra = new ShardStats { Keys = 1 } }) };
    }

    [Theory]
    [MemberData(nameof(EncodedSamples))]
    public void Truncation_at_every_byte_throws_wire_format_exception(string name, bool isCommand, byte[] encoded)
    {
        Assert.NotNull(name);
        for (int cut = 0; cut < encoded.Length; cut++)
        {
            var truncated = encoded.AsMemory(0, cut);
            var ex = Record.Exception(() =>
            {
                var r = new WireReader(truncated);
                if (isCommand)
                {
                    var c = new Command();
                    CommandWire.Read(ref r, ref c);
                }
                else
                {
                    var reply = new Reply();
                    CommandWire.Read(ref r, ref reply);
                }
            });
            Assert.IsType<WireFormatException>(ex);
        }
        // and the whole thing decodes
        var full = new WireReader(encoded);
        if (isCommand)
        {
            var c = new Command();
            CommandWire.Read(ref full, ref c);
        }
        else
        {
            var reply = new Reply();
            CommandWire.Read(ref full, ref reply);
        }
        full.ExpectEnd();
    }

    [Fact]
    public void Bad_enum_values_are_rejected()
    {
        byte maxOp = Enum.GetValues<Op>().Max(o => (byte)o);
        var cmd = Encode(new Command { Op = Op.Get });
        cmd[0] = (byte)(maxOp + 1);
        Assert.Throws<WireFormatException>(() => DecodeCommand(cmd));
        cmd[0] = 255;
        Assert.Throws<WireFormatException>(() => DecodeCommand(cmd));

        byte maxKind = Enum.GetValues<ReplyKind>().Max(k => (byte)k);
        var reply = Encode(Reply.Ok);
        reply[0] = (byte)(maxKind + 1);
        Assert.Throws<WireFormatException>(() => DecodeReply(reply));

        byte maxError = Enum.GetValues<ErrorCode>().Max(e => (byte)e);
        var err = Encode(Reply.Fail(ErrorCode.WrongType));
        Assert.Equal((byte)ErrorCode.WrongType, err[3]);
        err[3] = (byte)(maxError + 1);
        Assert.Throws<WireFormatException>(() => DecodeReply(err));

        var meta = Encode(new Reply { Kind = ReplyKind.Bulk, Meta = McMeta.Win });
        Assert.Equal((byte)McMeta.Win, meta[^1]);
        meta[^1] = 0x80;
        Assert.Throws<WireFormatException>(() => DecodeReply(meta));
    }

    [Fact]
    public void Unknown_presence_bits_and_extra_tags_are_rejected()
    {
        var cmd = Encode(new Command { Op = Op.Get });
        cmd[2] = 0x80;   // high byte of the mask: bit 15
        Assert.Throws<WireFormatException>(() => DecodeCommand(cmd));

        var reply = Encode(Reply.Ok);
        reply[2] = 0x40;
        Assert.Throws<WireFormatException>(() => DecodeReply(reply));

        var keys = Encode(new Reply { Kind = ReplyKind.Keys, Extra = new List<byte[]>() });
        Assert.Equal(1, keys[3]);   // tag
        keys[3] = 9;
        Assert.Throws<WireFormatException>(() => DecodeReply(keys));

        var restore = Encode(new Command { Op = Op.Restore, Extra = new EntrySnapshot { Value = [] } });
        Assert.Equal(2, restore[3]);
        restore[3] = 1;   // a key list is not a command extra
        Assert.Throws<WireFormatException>(() => DecodeCommand(restore));
    }

    [Fact]
    public void Absurd_list_count_is_rejected_without_allocating_it()
    {
        var w = new WireWriter();
        w.WriteByte((byte)ReplyKind.Keys);
        w.WriteUInt16(1 << 4);
        w.WriteByte(1);
        w.WriteUInt32(0x7FFF_FFFF);
        w.WriteUInt32(0);
        Assert.Throws<WireFormatException>(() => DecodeReply(w.ToArray()));
    }

    [Fact]
    public void Random_garbage_never_throws_anything_but_wire_format_exception()
    {
        var rng = new Random(11);
        int decoded = 0;
        for (int i = 0; i < 20_000; i++)
        {
            var junk = RandomBytes(rng, 64);
            if (junk.Length > 0)
                junk[0] = (byte)rng.Next(0, 50);      // mostly valid enum values, to get past the first check
            if (junk.Length > 2)
                junk[2] = 0;                           // and mostly known mask bits
            foreach (bool asCommand in new[] { true, false })
            {
                try
                {
                    var r = new WireReader(junk);
                    if (asCommand)
                    {
                        var c = new Command();
                        CommandWire.Read(ref r, ref c);
                    }
                    else
                    {
                        var reply = new Reply();
                        CommandWire.Read(ref r, ref reply);
                    }
                    decoded++;
                }
                catch (WireFormatException)
                {
                }
            }
        }
        Assert.True(decoded > 0);
    }
}
