using CacheCluster.Core;
using CacheCluster.Protocols.Resp.Commands;
using static CacheCluster.Protocols.Tests.Commands.DecoderHarness;

namespace CacheCluster.Protocols.Tests.Commands;

/// <summary>What RespDecoder produces for valid requests: request kinds, ops, options, numbers and shard routing.</summary>
public class RespDecoderTests
{
    private readonly DecoderHarness _h = new();

    /// <summary>Two keys that live on different shards.</summary>
    private (string A, string B) KeysOnDifferentShards()
    {
        for (int i = 1; i < 1000; i++)
        {
            string other = "key" + i;
            if (_h.Map.ShardOf(B("key0")) != _h.Map.ShardOf(B(other))) return ("key0", other);
        }
        throw new InvalidOperationException("no keys on different shards");
    }

    // ---------------------------------------------------------------- names, routing

    [Theory]
    [InlineData("GET")]
    [InlineData("get")]
    [InlineData("gEt")]
    [InlineData("Get")]
    public void Command_names_are_case_insensitive(string name)
    {
        var req = _h.Decode(name, "k");
        _h.Single(req, Op.Get, "k");
        Assert.Equal(RespCommandId.Get, req.Def!.Id);
    }

    [Theory]
    [InlineData("k")]
    [InlineData("user:1000")]
    [InlineData("{user1000}.following")]
    [InlineData("")]
    [InlineData("a\0b")]
    [InlineData("\u00ff\u00fe")]
    public void Single_key_commands_route_by_ShardMap_ShardOf(string key)
    {
        var req = _h.Decode("GET", key);
        _h.Single(req, Op.Get, key);
    }

    [Fact]
    public void Every_shard_is_reachable_by_some_key()
    {
        var shards = new HashSet<int>();
        for (int i = 0; i < 500; i++)
        {
            var req = _h.Decode("GET", "k" + i);
            shards.Add(_h.CommandsOf(req)[0].Shard);
        }
        Assert.Equal(DecoderHarness.ShardCount, shards.Count);
    }

    [Fact]
    public void Hash_tags_route_keys_to_the_same_shard()
    {
        var a = _h.Decode("GET", "{user1000}.following");
        var b = _h.Decode("GET", "{user1000}.followers");
        Assert.Equal(_h.CommandsOf(a)[0].Shard, _h.CommandsOf(b)[0].Shard);
        Assert.Equal(_h.Map.ShardOf(B("user1000")), _h.CommandsOf(a)[0].Shard);
    }

    [Fact]
    public void Inline_requests_decode_like_multibulk_ones()
    {
        var req = _h.DecodeBytes(B("set greeting \"hello world\" ex 10\r\n"));
        var c = _h.Single(req, Op.Set, "greeting");
        Assert.Equal("hello world", S(c.Value));
        Assert.Equal(CommandOptions.HasExpiry, c.Options);
        Assert.Equal(_h.Now + 10_000, c.Int1);
    }

    [Fact]
    public void Pipelined_requests_record_their_own_command_ranges()
    {
        var r1 = _h.Decode("SET", "a", "1");
        var r2 = _h.Decode("MGET", "a", "b", "c");
        var r3 = _h.Decode("PING");
        var r4 = _h.Decode("DEL", "x", "y");
        Assert.Equal((0, 1), (r1.First, r1.Count));
        Assert.Equal((1, 3), (r2.First, r2.Count));
        Assert.Equal((4, 0), (r3.First, r3.Count));
        Assert.Equal((4, 2), (r4.First, r4.Count));
        Assert.Equal(6, _h.Sink.Count);
    }

    [Fact]
    public void Requests_keep_their_arguments()
    {
        var req = _h.Decode("SET", "k", "v");
        Assert.Equal(3, req.Args.Count);
        Assert.Equal("k", S(req.Args[1]));
    }

    // ---------------------------------------------------------------- connection commands

    [Theory]
    [InlineData("PING")]
    [InlineData("ping", "hi")]
    [InlineData("ECHO", "x")]
    [InlineData("HELLO", "3")]
    [InlineData("CLIENT", "SETNAME", "me")]
    [InlineData("COMMAND")]
    [InlineData("INFO")]
    [InlineData("CONFIG", "GET", "maxmemory")]
    [InlineData("TIME")]
    [InlineData("CLUSTER", "KEYSLOT", "k")]
    [InlineData("SELECT", "0")]
    [InlineData("QUIT")]
    [InlineData("RESET")]
    [InlineData("AUTH", "pw")]
    [InlineData("OBJECT", "HELP")]
    [InlineData("MEMORY", "HELP")]
    public void Connection_and_help_commands_are_local(params string[] args)
    {
        var req = _h.Decode(args);
        Assert.Equal(RequestKind.Local, req.Kind);
        Assert.Equal(0, req.Count);
        Assert.Equal(0, _h.Sink.Count);
    }

    // ---------------------------------------------------------------- strings

    [Fact]
    public void Set_plain()
    {
        var c = _h.Single(_h.Decode("SET", "k", "v"), Op.Set, "k");
        Assert.Equal("v", S(c.Value));
        Assert.Equal(CommandOptions.None, c.Options);
        Assert.Equal(0, c.Int1);
    }

    [Fact]
    public void Set_value_is_an_owned_copy()
    {
        var c = _h.Single(_h.Decode("SET", "k", "value"), Op.Set, "k");
        byte[] value = c.Value!;
        _h.Arena.Reset();
        _h.Decode("SET", "other", "zzzzz");
        Assert.Equal("value", S(value));
    }

    [Fact]
    public void Set_of_a_large_value_hands_over_the_arena_array()
    {
        string big = new('x', 10_000);
        var c = _h.Single(_h.Decode("SET", "k", big), Op.Set, "k");
        Assert.Equal(10_000, c.Value!.Length);
        Assert.Equal(big, S(c.Value));
    }

    public static TheoryData<string[], CommandOptions, long> SetOptionCases => new()
    {
        { ["NX"], CommandOptions.Nx, 0 },
        { ["nx"], CommandOptions.Nx, 0 },
        { ["XX"], CommandOptions.Xx, 0 },
        { ["GET"], CommandOptions.ReturnOld, 0 },
        { ["KEEPTTL"], CommandOptions.KeepTtl, 0 },
        { ["keepttl", "xx"], CommandOptions.KeepTtl | CommandOptions.Xx, 0 },
        { ["EX", "10"], CommandOptions.HasExpiry, T0 + 10_000 },
        { ["ex", "10"], CommandOptions.HasExpiry, T0 + 10_000 },
        { ["PX", "1500"], CommandOptions.HasExpiry, T0 + 1_500 },
        { ["EXAT", "1800000000"], CommandOptions.HasExpiry, 1_800_000_000_000 },
        { ["PXAT", "1800000000123"], CommandOptions.HasExpiry, 1_800_000_000_123 },
        { ["PXAT", "1"], CommandOptions.HasExpiry, 1 },
        { ["PXAT", "9223372036854775807"], CommandOptions.HasExpiry, long.MaxValue },
        { ["NX", "GET", "EX", "5"], CommandOptions.Nx | CommandOptions.ReturnOld | CommandOptions.HasExpiry, T0 + 5_000 },
        { ["XX", "KEEPTTL", "GET"], CommandOptions.Xx | CommandOptions.KeepTtl | CommandOptions.ReturnOld, 0 },
        { ["EX", "10", "EX", "20"], CommandOptions.HasExpiry, T0 + 20_000 },   // a repeated option: the last wins
        { ["NX", "NX"], CommandOptions.Nx, 0 },
        { ["GET", "GET"], CommandOptions.ReturnOld, 0 },
    };

    [Theory]
    [MemberData(nameof(SetOptionCases))]
    public void Set_options(string[] options, CommandOptions expected, long expiresAt)
    {
        var c = _h.Single(_h.Decode(["SET", "k", "v", .. options]), Op.Set, "k");
        Assert.Equal(expected, c.Options);
        Assert.Equal(expiresAt, c.Int1);
        Assert.Equal("v", S(c.Value));
    }

    [Fact]
    public void Relative_expiry_is_taken_from_the_decoder_clock()
    {
        _h.Clock.Advance(12_345);
        var c = _h.Single(_h.Decode("SET", "k", "v", "PX", "100"), Op.Set, "k");
        Assert.Equal(T0 + 12_345 + 100, c.Int1);
    }

    [Fact]
    public void Setnx_setex_psetex_getset()
    {
        var nx = _h.Single(_h.Decode("SETNX", "k", "v"), Op.SetNxCount, "k");
        Assert.Equal("v", S(nx.Value));

        var ex = _h.Single(_h.Decode("SETEX", "k", "10", "v"), Op.Set, "k");
        Assert.Equal(CommandOptions.HasExpiry, ex.Options);
        Assert.Equal(T0 + 10_000, ex.Int1);
        Assert.Equal("v", S(ex.Value));

        var px = _h.Single(_h.Decode("PSETEX", "k", "1500", "v"), Op.Set, "k");
        Assert.Equal(CommandOptions.HasExpiry, px.Options);
        Assert.Equal(T0 + 1_500, px.Int1);

        var gs = _h.Single(_h.Decode("GETSET", "k", "new"), Op.Set, "k");
        Assert.Equal(CommandOptions.ReturnOld, gs.Options);
        Assert.Equal("new", S(gs.Value));
    }

    [Fact]
    public void Getdel_and_getex_options()
    {
        _h.Single(_h.Decode("GETDEL", "k"), Op.GetDel, "k");

        var plain = _h.Single(_h.Decode("GETEX", "k"), Op.GetEx, "k");
        Assert.Equal(CommandOptions.None, plain.Options);

        var ex = _h.Single(_h.Decode("GETEX", "k", "EX", "10"), Op.GetEx, "k");
        Assert.Equal(CommandOptions.HasExpiry, ex.Options);
        Assert.Equal(T0 + 10_000, ex.Int1);

        var pxat = _h.Single(_h.Decode("getex", "k", "pxat", "1800000000000"), Op.GetEx, "k");
        Assert.Equal(CommandOptions.HasExpiry, pxat.Options);
        Assert.Equal(1_800_000_000_000, pxat.Int1);

        var persist = _h.Single(_h.Decode("GETEX", "k", "PERSIST"), Op.GetEx, "k");
        Assert.Equal(CommandOptions.Persist, persist.Options);
    }

    [Fact]
    public void Mget_is_an_array_of_gets_routed_per_key()
    {
        var req = _h.Decode("MGET", "a", "b", "{a}c", "a");
        Assert.Equal(RequestKind.Array, req.Kind);
        var cmds = _h.CommandsOf(req);
        Assert.Equal(["a", "b", "{a}c", "a"], cmds.Select(x => S(x.Command.Key.Span)).ToArray());
        foreach (var (shard, c) in cmds)
        {
            Assert.Equal(Op.Get, c.Op);
            Assert.Equal(CommandOptions.NilOnWrongType, c.Options);
            Assert.Equal(_h.Map.ShardOf(c.Key.Span), shard);
        }
    }

    [Fact]
    public void Mset_is_all_ok_over_one_set_per_pair()
    {
        var req = _h.Decode("MSET", "a", "1", "b", "2", "c", "3");
        Assert.Equal(RequestKind.AllOk, req.Kind);
        var cmds = _h.CommandsOf(req);
        Assert.Equal(3, cmds.Count);
        Assert.Equal(["a=1", "b=2", "c=3"], cmds.Select(x => S(x.Command.Key.Span) + "=" + S(x.Command.Value)).ToArray());
        foreach (var (shard, c) in cmds)
        {
            Assert.Equal(Op.Set, c.Op);
            Assert.Equal(CommandOptions.None, c.Options);
            Assert.Equal(_h.Map.ShardOf(c.Key.Span), shard);
        }
    }

    [Fact]
    public void Msetnx_is_coordinated_by_the_connection()
    {
        var req = _h.Decode("MSETNX", "a", "1", "b", "2");
        Assert.Equal(RequestKind.Coordinated, req.Kind);
        Assert.Equal(0, req.Count);
    }

    [Theory]
    [InlineData(new[] { "INCR", "n" }, 1L)]
    [InlineData(new[] { "DECR", "n" }, -1L)]
    [InlineData(new[] { "INCRBY", "n", "5" }, 5L)]
    [InlineData(new[] { "INCRBY", "n", "-5" }, -5L)]
    [InlineData(new[] { "INCRBY", "n", "9223372036854775807" }, long.MaxValue)]
    [InlineData(new[] { "INCRBY", "n", "-9223372036854775808" }, long.MinValue)]
    [InlineData(new[] { "DECRBY", "n", "5" }, -5L)]
    [InlineData(new[] { "DECRBY", "n", "-5" }, 5L)]
    [InlineData(new[] { "DECRBY", "n", "9223372036854775807" }, -long.MaxValue)]
    [InlineData(new[] { "incr", "n" }, 1L)]
    public void Counters_become_incrby_with_a_delta(string[] args, long delta)
    {
        var c = _h.Single(_h.Decode(args), Op.IncrBy, "n");
        Assert.Equal(delta, c.Int1);
    }

    [Fact]
    public void Incrbyfloat_passes_the_increment_text_through()
    {
        var c = _h.Single(_h.Decode("INCRBYFLOAT", "f", "5.0e3"), Op.IncrByFloat, "f");
        Assert.Equal("5.0e3", S(c.Value));
    }

    [Fact]
    public void Append_strlen_getrange_substr_setrange()
    {
        Assert.Equal("tail", S(_h.Single(_h.Decode("APPEND", "k", "tail"), Op.Append, "k").Value));
        _h.Single(_h.Decode("STRLEN", "k"), Op.StrLen, "k");

        var gr = _h.Single(_h.Decode("GETRANGE", "k", "-3", "-1"), Op.GetRange, "k");
        Assert.Equal((-3L, -1L), (gr.Int1, gr.Int2));
        var sub = _h.Single(_h.Decode("SUBSTR", "k", "0", "9223372036854775807"), Op.GetRange, "k");
        Assert.Equal((0L, long.MaxValue), (sub.Int1, sub.Int2));

        var sr = _h.Single(_h.Decode("SETRANGE", "k", "6", "Redis"), Op.SetRange, "k");
        Assert.Equal(6, sr.Int1);
        Assert.Equal("Redis", S(sr.Value));
        var sr0 = _h.Single(_h.Decode("SETRANGE", "k", "0", ""), Op.SetRange, "k");
        Assert.Equal(0, sr0.Int1);
        Assert.Empty(sr0.Value!);
    }

    // ---------------------------------------------------------------- keys

    [Theory]
    [InlineData("DEL", Op.Del)]
    [InlineData("UNLINK", Op.Del)]
    [InlineData("EXISTS", Op.Exists)]
    [InlineData("TOUCH", Op.Touch)]
    [InlineData("del", Op.Del)]
    public void Multi_key_commands_sum_one_command_per_key(string name, Op op)
    {
        var req = _h.Decode(name, "a", "b", "c", "a");
        Assert.Equal(RequestKind.Sum, req.Kind);
        var cmds = _h.CommandsOf(req);
        Assert.Equal(["a", "b", "c", "a"], cmds.Select(x => S(x.Command.Key.Span)).ToArray());
        foreach (var (shard, c) in cmds)
        {
            Assert.Equal(op, c.Op);
            Assert.Equal(_h.Map.ShardOf(c.Key.Span), shard);
        }
    }

    [Theory]
    [InlineData(new[] { "EXPIRE", "k", "10" }, T0 + 10_000, CommandOptions.None)]
    [InlineData(new[] { "EXPIRE", "k", "-5" }, T0 - 5_000, CommandOptions.None)]
    [InlineData(new[] { "EXPIRE", "k", "0" }, T0, CommandOptions.None)]
    [InlineData(new[] { "PEXPIRE", "k", "1500" }, T0 + 1_500, CommandOptions.None)]
    [InlineData(new[] { "EXPIREAT", "k", "1800000000" }, 1_800_000_000_000, CommandOptions.None)]
    [InlineData(new[] { "EXPIREAT", "k", "-1" }, -1_000, CommandOptions.None)]
    [InlineData(new[] { "PEXPIREAT", "k", "5" }, 5L, CommandOptions.None)]
    [InlineData(new[] { "EXPIRE", "k", "10", "nx" }, T0 + 10_000, CommandOptions.Nx)]
    [InlineData(new[] { "EXPIRE", "k", "10", "XX" }, T0 + 10_000, CommandOptions.Xx)]
    [InlineData(new[] { "EXPIRE", "k", "10", "GT" }, T0 + 10_000, CommandOptions.Gt)]
    [InlineData(new[] { "EXPIRE", "k", "10", "lt" }, T0 + 10_000, CommandOptions.Lt)]
    [InlineData(new[] { "EXPIRE", "k", "10", "XX", "GT" }, T0 + 10_000, CommandOptions.Xx | CommandOptions.Gt)]
    [InlineData(new[] { "EXPIRE", "k", "10", "LT", "XX" }, T0 + 10_000, CommandOptions.Xx | CommandOptions.Lt)]
    [InlineData(new[] { "EXPIRE", "k", "10", "NX", "NX" }, T0 + 10_000, CommandOptions.Nx)]
    [InlineData(new[] { "PEXPIREAT", "k", "9223372036854775807" }, long.MaxValue, CommandOptions.None)]
    public void Expire_family_becomes_an_absolute_deadline(string[] args, long expiresAt, CommandOptions options)
    {
        var c = _h.Single(_h.Decode(args), Op.Expire, "k");
        Assert.Equal(expiresAt, c.Int1);
        Assert.Equal(options, c.Options);
    }

    [Theory]
    [InlineData("TTL", TtlMode.Seconds)]
    [InlineData("PTTL", TtlMode.Milliseconds)]
    [InlineData("EXPIRETIME", TtlMode.AbsoluteSeconds)]
    [InlineData("PEXPIRETIME", TtlMode.AbsoluteMilliseconds)]
    public void Ttl_family_carries_its_mode(string name, TtlMode mode)
    {
        var c = _h.Single(_h.Decode(name, "k"), Op.Ttl, "k");
        Assert.Equal((long)mode, c.Int1);
    }

    [Fact]
    public void Persist_and_type()
    {
        _h.Single(_h.Decode("PERSIST", "k"), Op.Persist, "k");
        _h.Single(_h.Decode("TYPE", "k"), Op.Type, "k");
    }

    [Fact]
    public void Rename_within_a_shard_is_a_single_local_rename()
    {
        var c = _h.Single(_h.Decode("RENAME", "{t}a", "{t}b"), Op.RenameLocal, "{t}a");
        Assert.Equal("{t}b", S(c.Key2.Span));
        Assert.Equal(CommandOptions.None, c.Options);

        var nx = _h.Single(_h.Decode("RENAMENX", "{t}a", "{t}b"), Op.RenameLocal, "{t}a");
        Assert.Equal(CommandOptions.Nx, nx.Options);

        var same = _h.Single(_h.Decode("RENAME", "k", "k"), Op.RenameLocal, "k");
        Assert.Equal("k", S(same.Key2.Span));
    }

    [Fact]
    public void Rename_across_shards_is_coordinated()
    {
        var (a, b) = KeysOnDifferentShards();
        var req = _h.Decode("RENAME", a, b);
        Assert.Equal(RequestKind.Coordinated, req.Kind);
        Assert.Equal(0, req.Count);
        Assert.Equal(RequestKind.Coordinated, _h.Decode("RENAMENX", a, b).Kind);
    }

    [Fact]
    public void Copy_within_a_shard_is_a_single_local_copy()
    {
        var c = _h.Single(_h.Decode("COPY", "{t}a", "{t}b"), Op.CopyLocal, "{t}a");
        Assert.Equal("{t}b", S(c.Key2.Span));
        Assert.Equal(CommandOptions.None, c.Options);

        var r = _h.Single(_h.Decode("COPY", "{t}a", "{t}b", "replace"), Op.CopyLocal, "{t}a");
        Assert.Equal(CommandOptions.Replace, r.Options);

        var db = _h.Single(_h.Decode("COPY", "{t}a", "{t}b", "DB", "0", "REPLACE"), Op.CopyLocal, "{t}a");
        Assert.Equal(CommandOptions.Replace, db.Options);
    }

    [Fact]
    public void Copy_across_shards_is_coordinated()
    {
        var (a, b) = KeysOnDifferentShards();
        var req = _h.Decode("COPY", a, b, "REPLACE");
        Assert.Equal(RequestKind.Coordinated, req.Kind);
        Assert.Equal(0, req.Count);
    }

    [Theory]
    [InlineData("ENCODING", Op.ObjectEncoding)]
    [InlineData("encoding", Op.ObjectEncoding)]
    [InlineData("REFCOUNT", Op.ObjectRefCount)]
    [InlineData("IdleTime", Op.ObjectIdleTime)]
    [InlineData("FREQ", Op.ObjectFreq)]
    public void Object_subcommands_route_by_their_key(string sub, Op op)
    {
        _h.Single(_h.Decode("OBJECT", sub, "mykey"), op, "mykey");
    }

    [Fact]
    public void Memory_usage_routes_by_its_key()
    {
        _h.Single(_h.Decode("MEMORY", "USAGE", "mykey"), Op.MemoryUsage, "mykey");
        _h.Single(_h.Decode("memory", "usage", "mykey", "SAMPLES", "5"), Op.MemoryUsage, "mykey");
    }

    // ---------------------------------------------------------------- whole keyspace

    private void AssertBroadcast(in RespRequest req, RequestKind kind, Op op)
    {
        Assert.Equal(kind, req.Kind);
        var cmds = _h.CommandsOf(req);
        Assert.Equal(Enumerable.Range(0, DecoderHarness.ShardCount), cmds.Select(x => x.Shard));
        Assert.All(cmds, x => Assert.Equal(op, x.Command.Op));
    }

    [Fact]
    public void Dbsize_sums_over_every_shard()
    {
        AssertBroadcast(_h.Decode("DBSIZE"), RequestKind.SumDbSize, Op.DbSize);
    }

    [Theory]
    [InlineData("FLUSHDB")]
    [InlineData("FLUSHALL")]
    [InlineData("FLUSHDB", "ASYNC")]
    [InlineData("flushall", "sync")]
    public void Flush_goes_to_every_shard(params string[] args)
    {
        AssertBroadcast(_h.Decode(args), RequestKind.FlushOk, Op.Flush);
    }

    [Fact]
    public void Keys_goes_to_every_shard_with_the_pattern()
    {
        var req = _h.Decode("KEYS", "h?llo");
        AssertBroadcast(req, RequestKind.KeysConcat, Op.Keys);
        Assert.All(_h.CommandsOf(req), x => Assert.Equal("h?llo", S(x.Command.Pattern.Span)));
    }

    [Fact]
    public void Randomkey_asks_every_shard()
    {
        AssertBroadcast(_h.Decode("RANDOMKEY"), RequestKind.RandomPick, Op.RandomKey);
    }

    [Fact]
    public void Scan_from_zero_starts_at_shard_zero_with_default_count()
    {
        var req = _h.Decode("SCAN", "0");
        Assert.Equal(RequestKind.ScanPage, req.Kind);
        Assert.Equal(0, req.Shard);
        var (shard, c) = Assert.Single(_h.CommandsOf(req));
        Assert.Equal(0, shard);
        Assert.Equal(Op.Scan, c.Op);
        Assert.Equal(0, c.Int1);
        Assert.Equal(10, c.Int2);
        Assert.True(c.Pattern.IsEmpty);
        Assert.Equal(CommandOptions.None, c.Options);
    }

    [Fact]
    public void Scan_cursor_carries_shard_in_the_low_14_bits()
    {
        long cursor = (5L << RespDecoder.ScanShardBits) | 3;
        var req = _h.Decode("scan", cursor.ToString(System.Globalization.CultureInfo.InvariantCulture), "count", "100", "match", "user:*", "type", "STRING");
        Assert.Equal(RequestKind.ScanPage, req.Kind);
        Assert.Equal(3, req.Shard);
        var (shard, c) = Assert.Single(_h.CommandsOf(req));
        Assert.Equal(3, shard);
        Assert.Equal(5, c.Int1);
        Assert.Equal(100, c.Int2);
        Assert.Equal("user:*", S(c.Pattern.Span));
        Assert.Equal(CommandOptions.TypeFilter | CommandOptions.HasPattern, c.Options);
        Assert.Equal("string", S(c.Value));
    }

    [Fact]
    public void Scan_match_star_needs_no_matcher()
    {
        var (_, c) = Assert.Single(_h.CommandsOf(_h.Decode("SCAN", "0", "MATCH", "*")));
        Assert.True(c.Pattern.IsEmpty);
        Assert.Equal(CommandOptions.None, c.Options & CommandOptions.HasPattern);
    }

    [Fact]
    public void Scan_match_empty_pattern_still_filters()
    {
        var (_, c) = Assert.Single(_h.CommandsOf(_h.Decode("SCAN", "0", "MATCH", "")));
        Assert.Equal(CommandOptions.HasPattern, c.Options & CommandOptions.HasPattern);
    }

    [Theory]
    [InlineData("16")]                      // shard 16 of 16 does not exist
    [InlineData("16383")]
    [InlineData("18446744073709551615")]    // the largest cursor Redis accepts
    public void Scan_with_a_cursor_for_a_shard_that_does_not_exist_is_an_empty_final_page(string cursor)
    {
        var req = _h.Decode("SCAN", cursor);
        Assert.Equal(RequestKind.ScanPage, req.Kind);
        Assert.Equal(0, req.Count);
    }

    [Fact]
    public void Scan_cursor_with_leading_zeros_is_accepted()
    {
        var req = _h.Decode("SCAN", "0002");
        Assert.Equal(RequestKind.ScanPage, req.Kind);
        Assert.Equal(2, req.Shard);
    }
}
