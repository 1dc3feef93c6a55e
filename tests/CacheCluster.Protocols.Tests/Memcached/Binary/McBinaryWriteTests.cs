using CacheCluster.Core;
using CacheCluster.Protocols.Memcached;
using CacheCluster.Protocols.Memcached.Binary;
using static CacheCluster.Protocols.Tests.Memcached.Binary.Frames;

namespace CacheCluster.Protocols.Tests.Memcached.Binary;

/// <summary>Responses to data requests, from fabricated shard replies.</summary>
public class McBinaryWriteTests
{
    const uint Opaque = 0xCAFEBABE;
    readonly BinHarness _h = new(maxItemSize: 64);

    /// <summary>Decodes <paramref name="frame"/>, gives each of its commands <paramref name="reply"/>, and writes the response.</summary>
    byte[] Answer(byte[] frame, Reply reply)
    {
        var req = _h.Decode(frame);
        var replies = new Reply[Math.Max(_h.Sink.Count, 1)];
        for (int i = req.First; i < req.First + req.Count; i++) replies[i] = reply;
        return Responses.Written(o => _h.Codec.Write(o, req, _h.Sink.Commands, replies));
    }

    static Reply Hit(string value, uint flags, ulong cas) =>
        new() { Kind = ReplyKind.Bulk, Bulk = B(value), Flags = flags, Cas = cas, Integer = -1 };

    static Reply Fail(ErrorCode code) => Reply.Fail(code);

    static void AssertError(byte[] bytes, McBinaryOpcode op, McBinaryStatus status, string text)
    {
        var r = Responses.One(bytes);
        Responses.AssertEcho(r, op, Opaque);
        Assert.Equal((ushort)status, r.Status);
        Assert.Equal(0ul, r.Cas);
        Assert.Empty(r.Extras);
        Assert.Empty(r.Key);
        Assert.Equal(text, r.Text);
    }

    static void AssertEmptySuccess(byte[] bytes, McBinaryOpcode op, ulong cas)
    {
        var r = Responses.One(bytes);
        Responses.AssertEcho(r, op, Opaque);
        Assert.Equal(0, r.Status);
        Assert.Equal(cas, r.Cas);
        Assert.Empty(r.Extras);
        Assert.Empty(r.Key);
        Assert.Empty(r.Value);
    }

    // ---- get family

    [Fact]
    public void Get_hit_is_exactly_flags_extras_value_and_cas()
    {
        var bytes = Answer(Get(McBinaryOpcode.Get, "key", Opaque), Hit("value!", 0x01020304, 0x1112131415161718));
        Assert.Equal(
            "81" + "00" + "0000" + "04" + "00" + "0000" + "0000000A" + "CAFEBABE" + "1112131415161718" +
            "01020304" + Convert.ToHexString(B("value!")),
            Convert.ToHexString(bytes));
    }

    [Theory]
    [InlineData(McBinaryOpcode.Get, false)]
    [InlineData(McBinaryOpcode.GetQ, false)]
    [InlineData(McBinaryOpcode.GetK, true)]
    [InlineData(McBinaryOpcode.GetKQ, true)]
    public void Get_hits_are_sent_even_when_quiet_and_carry_the_key_for_K_forms(McBinaryOpcode op, bool withKey)
    {
        var r = Responses.One(Answer(Get(op, "somekey", Opaque), Hit("data", 42, 9)));
        Responses.AssertEcho(r, op, Opaque);
        Assert.Equal(0, r.Status);
        Assert.Equal(9ul, r.Cas);
        Assert.Equal(42u, r.Flags);
        Assert.Equal(withKey ? "somekey" : "", S(r.Key));
        Assert.Equal("data", r.Text);
    }

    [Theory]
    [InlineData(McBinaryOpcode.Gat, false)]
    [InlineData(McBinaryOpcode.GatQ, false)]
    [InlineData(McBinaryOpcode.GatK, true)]
    [InlineData(McBinaryOpcode.GatKQ, true)]
    public void Gat_hits_answer_like_gets(McBinaryOpcode op, bool withKey)
    {
        var r = Responses.One(Answer(WithExpiry(op, "g", 10, Opaque), Hit("v", 7, 55)));
        Responses.AssertEcho(r, op, Opaque);
        Assert.Equal(0, r.Status);
        Assert.Equal(55ul, r.Cas);
        Assert.Equal(7u, r.Flags);
        Assert.Equal(withKey ? "g" : "", S(r.Key));
        Assert.Equal("v", r.Text);
    }

    [Fact]
    public void Get_hit_with_an_empty_value()
    {
        var r = Responses.One(Answer(Get(McBinaryOpcode.Get, "e", Opaque), Hit("", 0, 1)));
        Assert.Equal(4, r.Extras.Length);
        Assert.Empty(r.Value);
    }

    [Theory]
    [InlineData(McBinaryOpcode.Get)]
    [InlineData(McBinaryOpcode.Gat)]
    public void Miss_is_not_found_with_text(McBinaryOpcode op)
    {
        byte[] frame = op == McBinaryOpcode.Get ? Get(op, "nope", Opaque) : WithExpiry(op, "nope", 1, Opaque);
        AssertError(Answer(frame, Reply.Nil), op, McBinaryStatus.KeyNotFound, "Not found");
    }

    [Theory]
    [InlineData(McBinaryOpcode.GetK)]
    [InlineData(McBinaryOpcode.GatK)]
    public void K_form_miss_echoes_the_key_without_text(McBinaryOpcode op)
    {
        byte[] frame = op == McBinaryOpcode.GetK ? Get(op, "nope", Opaque) : WithExpiry(op, "nope", 1, Opaque);
        var bytes = Answer(frame, Reply.Nil);
        // write_bin_miss_response: status KEY_ENOENT, keylen = bodylen = nkey, no extras, CAS 0
        Assert.Equal(
            "81" + ((byte)op).ToString("X2") + "0004" + "00" + "00" + "0001" + "00000004" + "CAFEBABE" + "0000000000000000" +
            Convert.ToHexString(B("nope")),
            Convert.ToHexString(bytes));
    }

    [Theory]
    [InlineData(McBinaryOpcode.GetQ)]
    [InlineData(McBinaryOpcode.GetKQ)]
    [InlineData(McBinaryOpcode.GatQ)]
    [InlineData(McBinaryOpcode.GatKQ)]
    public void Quiet_miss_sends_nothing(McBinaryOpcode op)
    {
        byte[] frame = op is McBinaryOpcode.GetQ or McBinaryOpcode.GetKQ ? Get(op, "nope", Opaque) : WithExpiry(op, "nope", 1, Opaque);
        Assert.Empty(Answer(frame, Reply.Nil));
    }

    [Fact]
    public void Touch_success_carries_flags_extras_and_cas_but_no_value()
    {
        // process_bin_get_or_touch: TOUCH answers like GET minus the value
        var touched = Reply.Mc(McStatus.Touched, 77);
        touched.Flags = 0xABCD;
        var r = Responses.One(Answer(WithExpiry(McBinaryOpcode.Touch, "t", 5, Opaque), touched));
        Responses.AssertEcho(r, McBinaryOpcode.Touch, Opaque);
        Assert.Equal(0, r.Status);
        Assert.Equal(77ul, r.Cas);
        Assert.Equal(0xABCDu, r.Flags);
        Assert.Empty(r.Key);
        Assert.Empty(r.Value);
    }

    [Fact]
    public void Touch_answered_with_the_item_drops_the_value()
    {
        var r = Responses.One(Answer(WithExpiry(McBinaryOpcode.Touch, "t", 5, Opaque), Hit("payload", 3, 4)));
        Assert.Equal(3u, r.Flags);
        Assert.Equal(4ul, r.Cas);
        Assert.Empty(r.Value);
    }

    [Fact]
    public void Touch_miss_is_not_found()
    {
        AssertError(Answer(WithExpiry(McBinaryOpcode.Touch, "t", 5, Opaque), Reply.Mc(McStatus.NotFound)),
            McBinaryOpcode.Touch, McBinaryStatus.KeyNotFound, "Not found");
    }

    [Theory]
    [InlineData(McBinaryOpcode.Get)]
    [InlineData(McBinaryOpcode.GetKQ)]
    [InlineData(McBinaryOpcode.GatQ)]
    public void Get_errors_are_sent_even_when_quiet(McBinaryOpcode op)
    {
        byte[] frame = op is McBinaryOpcode.GatQ ? WithExpiry(op, "k", 1, Opaque) : Get(op, "k", Opaque);
        AssertError(Answer(frame, Fail(ErrorCode.OutOfMemory)), op, McBinaryStatus.OutOfMemory, "Out of memory");
        AssertError(Answer(frame, Fail(ErrorCode.Internal)), op, McBinaryStatus.InternalError, "Internal error");
    }

    // ---- stores

    [Theory]
    [InlineData(McBinaryOpcode.Set)]
    [InlineData(McBinaryOpcode.Add)]
    [InlineData(McBinaryOpcode.Replace)]
    public void Stored_is_an_empty_success_with_the_new_cas(McBinaryOpcode op)
    {
        var bytes = Answer(Store(op, "k", "v", opaque: Opaque), Reply.Mc(McStatus.Stored, 0x0102030405060708));
        Assert.Equal(
            "81" + ((byte)op).ToString("X2") + "0000" + "00" + "00" + "0000" + "00000000" + "CAFEBABE" + "0102030405060708",
            Convert.ToHexString(bytes));
    }

    [Theory]
    [InlineData(McBinaryOpcode.Append)]
    [InlineData(McBinaryOpcode.Prepend)]
    public void Concat_stored_is_an_empty_success_with_the_new_cas(McBinaryOpcode op)
    {
        AssertEmptySuccess(Answer(Concat(op, "k", "v", opaque: Opaque), Reply.Mc(McStatus.Stored, 12)), op, 12);
    }

    [Theory]
    [InlineData(McBinaryOpcode.SetQ)]
    [InlineData(McBinaryOpcode.AddQ)]
    [InlineData(McBinaryOpcode.ReplaceQ)]
    [InlineData(McBinaryOpcode.AppendQ)]
    [InlineData(McBinaryOpcode.PrependQ)]
    public void Quiet_stored_sends_nothing(McBinaryOpcode op)
    {
        byte[] frame = op is McBinaryOpcode.AppendQ or McBinaryOpcode.PrependQ ? Concat(op, "k", "v") : Store(op, "k", "v");
        Assert.Empty(Answer(frame, Reply.Mc(McStatus.Stored, 3)));
    }

    public static TheoryData<string, byte[], McStatus, McBinaryStatus, string> StoreRefusals => new()
    {
        // complete_update_bin: NOT_STORED is worded per command
        { "set not stored", Store(McBinaryOpcode.Set, "k", "v", opaque: Opaque), McStatus.NotStored, McBinaryStatus.NotStored, "Not stored." },
        { "add not stored", Store(McBinaryOpcode.Add, "k", "v", opaque: Opaque), McStatus.NotStored, McBinaryStatus.KeyExists, "Data exists for key." },
        { "addq not stored", Store(McBinaryOpcode.AddQ, "k", "v", opaque: Opaque), McStatus.NotStored, McBinaryStatus.KeyExists, "Data exists for key." },
        { "replace not stored", Store(McBinaryOpcode.Replace, "k", "v", opaque: Opaque), McStatus.NotStored, McBinaryStatus.KeyNotFound, "Not found" },
        { "replaceq not stored", Store(McBinaryOpcode.ReplaceQ, "k", "v", opaque: Opaque), McStatus.NotStored, McBinaryStatus.KeyNotFound, "Not found" },
        { "append not stored", Concat(McBinaryOpcode.Append, "k", "v", opaque: Opaque), McStatus.NotStored, McBinaryStatus.NotStored, "Not stored." },
        { "prependq not stored", Concat(McBinaryOpcode.PrependQ, "k", "v", opaque: Opaque), McStatus.NotStored, McBinaryStatus.NotStored, "Not stored." },
        { "add with cas not stored", Store(McBinaryOpcode.Add, "k", "v", cas: 5, opaque: Opaque), McStatus.NotStored, McBinaryStatus.NotStored, "Not stored." },
        { "set exists", Store(McBinaryOpcode.Set, "k", "v", cas: 5, opaque: Opaque), McStatus.Exists, McBinaryStatus.KeyExists, "Data exists for key." },
        { "setq exists", Store(McBinaryOpcode.SetQ, "k", "v", cas: 5, opaque: Opaque), McStatus.Exists, McBinaryStatus.KeyExists, "Data exists for key." },
        { "set cas not found", Store(McBinaryOpcode.Set, "k", "v", cas: 5, opaque: Opaque), McStatus.NotFound, McBinaryStatus.KeyNotFound, "Not found" },
        { "add cas not found", Store(McBinaryOpcode.Add, "k", "v", cas: 5, opaque: Opaque), McStatus.NotFound, McBinaryStatus.KeyNotFound, "Not found" },
        { "append exists", Concat(McBinaryOpcode.Append, "k", "v", cas: 5, opaque: Opaque), McStatus.Exists, McBinaryStatus.KeyExists, "Data exists for key." },
        { "set odd status", Store(McBinaryOpcode.Set, "k", "v", opaque: Opaque), McStatus.Deleted, McBinaryStatus.InternalError, "Internal error" },
    };

    [Theory]
    [MemberData(nameof(StoreRefusals))]
    public void Store_refusals_are_worded_like_memcached(string name, byte[] frame, McStatus outcome, McBinaryStatus status, string text)
    {
        var bytes = Answer(frame, Reply.Mc(outcome, 99));
        Assert.True(bytes.Length > 0, name);
        AssertError(bytes, (McBinaryOpcode)frame[1], status, text);
    }

    public static TheoryData<byte[], ErrorCode, McBinaryStatus, string> StoreErrors => new()
    {
        { Store(McBinaryOpcode.Set, "k", "v", opaque: Opaque), ErrorCode.OutOfMemory, McBinaryStatus.OutOfMemory, "Out of memory allocating item" },
        { Store(McBinaryOpcode.AddQ, "k", "v", opaque: Opaque), ErrorCode.OutOfMemory, McBinaryStatus.OutOfMemory, "Out of memory allocating item" },
        { Concat(McBinaryOpcode.Append, "k", "v", opaque: Opaque), ErrorCode.OutOfMemory, McBinaryStatus.OutOfMemory, "Out of memory allocating item" },
        { Concat(McBinaryOpcode.Append, "k", "v", opaque: Opaque), ErrorCode.StringTooLong, McBinaryStatus.NotStored, "Not stored." },
        { Concat(McBinaryOpcode.PrependQ, "k", "v", opaque: Opaque), ErrorCode.StringTooLong, McBinaryStatus.NotStored, "Not stored." },
        { Store(McBinaryOpcode.Set, "k", "v", opaque: Opaque), ErrorCode.StringTooLong, McBinaryStatus.TooLarge, "Too large." },
        { Store(McBinaryOpcode.ReplaceQ, "k", "v", opaque: Opaque), ErrorCode.Internal, McBinaryStatus.InternalError, "Internal error" },
        { Store(McBinaryOpcode.Set, "k", "v", opaque: Opaque), ErrorCode.WrongType, McBinaryStatus.InternalError, "Internal error" },
    };

    [Theory]
    [MemberData(nameof(StoreErrors))]
    public void Store_shard_errors_are_mapped_and_always_sent(byte[] frame, ErrorCode code, McBinaryStatus status, string text)
    {
        AssertError(Answer(frame, Fail(code)), (McBinaryOpcode)frame[1], status, text);
    }

    [Theory]
    [InlineData(McBinaryOpcode.Set)]
    [InlineData(McBinaryOpcode.SetQ)]
    public void Set_too_large_answers_too_large_whatever_the_delete_replied(McBinaryOpcode op)
    {
        var frame = Request(op, "big", Cat(U32(0), U32(0)), new byte[65], Opaque);
        AssertError(Answer(frame, Reply.Mc(McStatus.Deleted)), op, McBinaryStatus.TooLarge, "Too large.");
        AssertError(Answer(frame, Reply.Mc(McStatus.NotFound)), op, McBinaryStatus.TooLarge, "Too large.");
    }

    [Fact]
    public void Append_too_large_answers_too_large()
    {
        var req = _h.Decode(Request(McBinaryOpcode.AppendQ, "big", value: new byte[65], opaque: Opaque));
        AssertError(Responses.Written(o => _h.Codec.Write(o, req, [], [])), McBinaryOpcode.AppendQ, McBinaryStatus.TooLarge, "Too large.");
    }

    // ---- delete

    [Fact]
    public void Deleted_is_an_empty_success()
    {
        AssertEmptySuccess(Answer(Request(McBinaryOpcode.Delete, "k", opaque: Opaque), Reply.Mc(McStatus.Deleted)), McBinaryOpcode.Delete, 0);
        Assert.Empty(Answer(Request(McBinaryOpcode.DeleteQ, "k", opaque: Opaque), Reply.Mc(McStatus.Deleted)));
    }

    [Theory]
    [InlineData(McBinaryOpcode.Delete, McStatus.NotFound, McBinaryStatus.KeyNotFound, "Not found")]
    [InlineData(McBinaryOpcode.DeleteQ, McStatus.NotFound, McBinaryStatus.KeyNotFound, "Not found")]
    [InlineData(McBinaryOpcode.Delete, McStatus.Exists, McBinaryStatus.KeyExists, "Data exists for key.")]
    [InlineData(McBinaryOpcode.DeleteQ, McStatus.Exists, McBinaryStatus.KeyExists, "Data exists for key.")]
    public void Delete_refusals(McBinaryOpcode op, McStatus outcome, McBinaryStatus status, string text)
    {
        AssertError(Answer(Request(op, "k", opaque: Opaque, cas: 3), Reply.Mc(outcome)), op, status, text);
    }

    [Fact]
    public void Delete_error_is_internal()
    {
        AssertError(Answer(Request(McBinaryOpcode.DeleteQ, "k", opaque: Opaque), Fail(ErrorCode.Internal)),
            McBinaryOpcode.DeleteQ, McBinaryStatus.InternalError, "Internal error");
    }

    // ---- incr / decr

    [Theory]
    [InlineData(McBinaryOpcode.Increment)]
    [InlineData(McBinaryOpcode.Decrement)]
    public void Counter_value_is_an_8_byte_big_endian_body_with_cas(McBinaryOpcode op)
    {
        var reply = new Reply { Kind = ReplyKind.Integer, Integer = unchecked((long)0xFFFFFFFFFFFFFFFE), Cas = 0x99 };
        var bytes = Answer(Incr(op, "n", 1, 0, 0, opaque: Opaque), reply);
        Assert.Equal(
            "81" + ((byte)op).ToString("X2") + "0000" + "00" + "00" + "0000" + "00000008" + "CAFEBABE" + "0000000000000099" +
            "FFFFFFFFFFFFFFFE",
            Convert.ToHexString(bytes));
    }

    [Theory]
    [InlineData(McBinaryOpcode.IncrementQ)]
    [InlineData(McBinaryOpcode.DecrementQ)]
    public void Quiet_counter_success_sends_nothing(McBinaryOpcode op)
    {
        Assert.Empty(Answer(Incr(op, "n", 1, 0, 0, opaque: Opaque), new Reply { Kind = ReplyKind.Integer, Integer = 5, Cas = 1 }));
    }

    public static TheoryData<McBinaryOpcode, Reply, McBinaryStatus, string> CounterFailures => new()
    {
        { McBinaryOpcode.Increment, Reply.Mc(McStatus.NotFound), McBinaryStatus.KeyNotFound, "Not found" },
        { McBinaryOpcode.IncrementQ, Reply.Mc(McStatus.NotFound), McBinaryStatus.KeyNotFound, "Not found" },
        { McBinaryOpcode.Decrement, Reply.Mc(McStatus.Exists), McBinaryStatus.KeyExists, "Data exists for key." },
        { McBinaryOpcode.DecrementQ, Reply.Mc(McStatus.NotStored), McBinaryStatus.NotStored, "Not stored." },
        { McBinaryOpcode.Increment, Reply.Fail(ErrorCode.NonNumeric), McBinaryStatus.NonNumeric, "Non-numeric server-side value for incr or decr" },
        { McBinaryOpcode.DecrementQ, Reply.Fail(ErrorCode.NonNumeric), McBinaryStatus.NonNumeric, "Non-numeric server-side value for incr or decr" },
        { McBinaryOpcode.Increment, Reply.Fail(ErrorCode.OutOfMemory), McBinaryStatus.OutOfMemory, "Out of memory incrementing value" },
        { McBinaryOpcode.Decrement, Reply.Fail(ErrorCode.Internal), McBinaryStatus.InternalError, "Internal error" },
        { McBinaryOpcode.Increment, Reply.Nil, McBinaryStatus.InternalError, "Internal error" },
    };

    [Theory]
    [MemberData(nameof(CounterFailures))]
    public void Counter_failures_are_always_sent(McBinaryOpcode op, Reply reply, McBinaryStatus status, string text)
    {
        AssertError(Answer(Incr(op, "n", 1, 0, 0, opaque: Opaque), reply), op, status, text);
    }

    // ---- flush

    [Fact]
    public void Flush_is_an_empty_success_once_for_all_shards()
    {
        AssertEmptySuccess(Answer(Request(McBinaryOpcode.Flush, opaque: Opaque), Reply.Ok), McBinaryOpcode.Flush, 0);
    }

    [Fact]
    public void FlushQ_sends_nothing()
    {
        Assert.Empty(Answer(Request(McBinaryOpcode.FlushQ, opaque: Opaque), Reply.Ok));
    }

    [Fact]
    public void Flush_reports_a_failed_shard_even_when_quiet()
    {
        var req = _h.Decode(Request(McBinaryOpcode.FlushQ, opaque: Opaque));
        var replies = new Reply[req.Count];
        for (int i = 0; i < replies.Length; i++) replies[i] = Reply.Ok;
        replies[5] = Reply.Fail(ErrorCode.Internal);
        AssertError(Responses.Written(o => _h.Codec.Write(o, req, _h.Sink.Commands, replies)),
            McBinaryOpcode.FlushQ, McBinaryStatus.InternalError, "Internal error");
    }

    // ---- value copy

    [Fact]
    public void A_large_value_is_written_identically_through_small_buffers()
    {
        var value = new byte[10_000];
        new Random(11).NextBytes(value);
        var reply = new Reply { Kind = ReplyKind.Bulk, Bulk = value, Flags = 1, Cas = 2 };
        var req = _h.Decode(Get(McBinaryOpcode.GetK, "key", Opaque));
        var replies = new Reply[] { reply };
        var whole = Responses.Written(o => _h.Codec.Write(o, req, _h.Sink.Commands, replies));
        var stingy = new StingyWriter();
        _h.Codec.Write(stingy, req, _h.Sink.Commands, replies);
        Assert.Equal(whole, stingy.Written);
        Assert.True(stingy.Spans > 2);
        var r = Responses.One(whole);
        Assert.Equal(value, r.Value);
        Assert.Equal("key", S(r.Key));
    }

    [Fact]
    public void Responses_to_a_pipeline_follow_request_order()
    {
        var stream = Cat(
            Get(McBinaryOpcode.GetKQ, "a", 1), Get(McBinaryOpcode.GetKQ, "b", 2), Store(McBinaryOpcode.SetQ, "c", "v", opaque: 3),
            Store(McBinaryOpcode.Add, "d", "v", opaque: 4));
        var reader = new System.Buffers.SequenceReader<byte>(new System.Buffers.ReadOnlySequence<byte>(stream));
        var requests = new List<McRequest>();
        while (_h.Codec.TryDecode(ref reader, _h.Arena, _h.Sink, _h.Map, _h.Clock, out var r) == McParseStatus.Complete) requests.Add(r);
        var replies = new[] { Hit("A", 0, 1), Reply.Nil, Reply.Mc(McStatus.Stored, 5), Reply.Mc(McStatus.NotStored) };
        var output = Responses.Written(o =>
        {
            foreach (var r in requests) _h.Codec.Write(o, r, _h.Sink.Commands, replies);
        });
        var all = Responses.Parse(output);
        Assert.Equal(2, all.Count);
        Assert.Equal(1u, all[0].Opaque);
        Assert.Equal("a", S(all[0].Key));
        Assert.Equal(4u, all[1].Opaque);
        Assert.Equal((ushort)McBinaryStatus.KeyExists, all[1].Status);
    }
}
