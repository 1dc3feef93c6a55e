using CacheCluster.Core;
using CacheCluster.Protocols.Resp;
using CacheCluster.Protocols.Resp.Commands;
using static CacheCluster.Protocols.Tests.Commands.DecoderHarness;

namespace CacheCluster.Protocols.Tests.Commands;

/// <summary>RespReplyFormatter's bytes for each request kind, in RESP2 and RESP3, from decoded requests and shard replies.</summary>
public class RespReplyFormatterTests
{
    private readonly DecoderHarness _h = new();

    /// <summary>Decodes a request and gives it the shard replies in order (one per appended command).</summary>
    private (RespRequest Req, Reply[] Replies) Answered(string[] args, params Reply[] replies)
    {
        var req = _h.Decode(args);
        Assert.Equal(req.Count, replies.Length);
        var all = new Reply[_h.Sink.Count];
        for (int i = 0; i < replies.Length; i++) all[req.First + i] = replies[i];
        return (req, all);
    }

    private static Reply Bulk(string s) => Reply.Value(B(s));
    private static Reply KeyList(params string[] keys) => new() { Kind = ReplyKind.Keys, Extra = keys.Select(B).ToList() };
    private static Reply Page(long next, params string[] keys) => new() { Kind = ReplyKind.ScanPage, Integer = next, Extra = keys.Select(B).ToList() };

    // ---------------------------------------------------------------- single replies

    [Theory]
    [InlineData(2, "+OK\r\n")]
    [InlineData(3, "+OK\r\n")]
    public void Ok(int version, string expected) => Assert.Equal(expected, Formatted.Of(Reply.Ok, version));

    [Theory]
    [InlineData(2, "$-1\r\n")]
    [InlineData(3, "_\r\n")]
    public void Nil(int version, string expected) => Assert.Equal(expected, Formatted.Of(Reply.Nil, version));

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void Integers_bulks_and_statuses(int version)
    {
        Assert.Equal(":0\r\n", Formatted.Of(Reply.Int(0), version));
        Assert.Equal(":-2\r\n", Formatted.Of(Reply.Int(-2), version));
        Assert.Equal(":9223372036854775807\r\n", Formatted.Of(Reply.Int(long.MaxValue), version));
        Assert.Equal(":-9223372036854775808\r\n", Formatted.Of(Reply.Int(long.MinValue), version));
        Assert.Equal("$5\r\nhello\r\n", Formatted.Of(Bulk("hello"), version));
        Assert.Equal("$0\r\n\r\n", Formatted.Of(Bulk(""), version));
        Assert.Equal("$4\r\na\r\nb\r\n", Formatted.Of(Bulk("a\r\nb"), version));
        Assert.Equal("+string\r\n", Formatted.Of(Reply.Status("string"), version));
        Assert.Equal("+none\r\n", Formatted.Of(Reply.Status("none"), version));
    }

    [Theory]
    [InlineData(ErrorCode.WrongType, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n")]
    [InlineData(ErrorCode.NotInteger, "-ERR value is not an integer or out of range\r\n")]
    [InlineData(ErrorCode.NotFloat, "-ERR value is not a valid float\r\n")]
    [InlineData(ErrorCode.Overflow, "-ERR increment or decrement would overflow\r\n")]
    [InlineData(ErrorCode.NanOrInfinity, "-ERR increment would produce NaN or Infinity\r\n")]
    [InlineData(ErrorCode.OutOfMemory, "-OOM command not allowed when used memory > 'maxmemory'.\r\n")]
    [InlineData(ErrorCode.StringTooLong, "-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n")]
    [InlineData(ErrorCode.NoSuchKey, "-ERR no such key\r\n")]
    [InlineData(ErrorCode.SameObject, "-ERR source and destination objects are the same\r\n")]
    public void Shard_error_codes_are_worded_like_redis(ErrorCode code, string expected)
    {
        Assert.Equal(expected, Formatted.Of(Reply.Fail(code), 2));
        Assert.Equal(expected, Formatted.Of(Reply.Fail(code), 3));
    }

    [Fact]
    public void An_error_with_text_and_no_code_writes_the_text()
    {
        var r = new Reply { Kind = ReplyKind.Error, Text = "ERR custom" };
        Assert.Equal("-ERR custom\r\n", Formatted.Of(r, 2));
    }

    // ---------------------------------------------------------------- request kinds

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void Error_requests_write_their_text(int version)
    {
        var (req, replies) = Answered(["SET", "k", "v", "NX", "XX"]);
        Assert.Equal("-ERR syntax error\r\n", Formatted.Of(req, replies, version));
        var (unknown, r2) = Answered(["foo", "a"]);
        Assert.Equal("-ERR unknown command 'foo', with args beginning with: 'a' \r\n", Formatted.Of(unknown, r2, version));
    }

    [Theory]
    [InlineData(2, "$-1\r\n")]
    [InlineData(3, "_\r\n")]
    public void Single_writes_its_one_reply(int version, string nil)
    {
        var (get, r1) = Answered(["GET", "k"], Bulk("v"));
        Assert.Equal("$1\r\nv\r\n", Formatted.Of(get, r1, version));
        var (miss, r2) = Answered(["GET", "k"], Reply.Nil);
        Assert.Equal(nil, Formatted.Of(miss, r2, version));
        var (ttl, r3) = Answered(["TTL", "k"], Reply.Int(-2));
        Assert.Equal(":-2\r\n", Formatted.Of(ttl, r3, version));
        var (type, r4) = Answered(["TYPE", "k"], Reply.Status("string"));
        Assert.Equal("+string\r\n", Formatted.Of(type, r4, version));
        var (set, r5) = Answered(["SET", "k", "v"], Reply.Ok);
        Assert.Equal("+OK\r\n", Formatted.Of(set, r5, version));
        var (incr, r6) = Answered(["INCR", "k"], Reply.Fail(ErrorCode.NotInteger));
        Assert.Equal("-ERR value is not an integer or out of range\r\n", Formatted.Of(incr, r6, version));
    }

    [Theory]
    [InlineData(2, "*3\r\n$1\r\n1\r\n$-1\r\n$1\r\n3\r\n")]
    [InlineData(3, "*3\r\n$1\r\n1\r\n_\r\n$1\r\n3\r\n")]
    public void Array_writes_each_reply_in_request_order(int version, string expected)
    {
        var (req, replies) = Answered(["MGET", "a", "b", "c"], Bulk("1"), Reply.Nil, Bulk("3"));
        Assert.Equal(expected, Formatted.Of(req, replies, version));
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void Sum_adds_integer_replies(int version)
    {
        var (del, r1) = Answered(["DEL", "a", "b", "c"], Reply.Int(1), Reply.Int(0), Reply.Int(1));
        Assert.Equal(":2\r\n", Formatted.Of(del, r1, version));
        var (exists, r2) = Answered(["EXISTS", "a", "a"], Reply.Int(1), Reply.Int(1));
        Assert.Equal(":2\r\n", Formatted.Of(exists, r2, version));
    }

    [Fact]
    public void Sum_fails_as_a_whole_on_the_first_error()
    {
        var (req, replies) = Answered(["DEL", "a", "b", "c"], Reply.Int(1), Reply.Fail(ErrorCode.Internal), Reply.Fail(ErrorCode.OutOfMemory));
        Assert.Equal("-" + RespErrors.Internal + "\r\n", Formatted.Of(req, replies, 2));
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void All_ok_and_flush_ok(int version)
    {
        var (mset, r1) = Answered(["MSET", "a", "1", "b", "2"], Reply.Ok, Reply.Ok);
        Assert.Equal("+OK\r\n", Formatted.Of(mset, r1, version));
        var flushReplies = Enumerable.Repeat(Reply.Ok, DecoderHarness.ShardCount).ToArray();
        var (flush, r2) = Answered(["FLUSHALL"], flushReplies);
        Assert.Equal("+OK\r\n", Formatted.Of(flush, r2, version));
    }

    [Fact]
    public void All_ok_reports_an_oom_from_any_shard()
    {
        var (mset, replies) = Answered(["MSET", "a", "1", "b", "2"], Reply.Ok, Reply.Fail(ErrorCode.OutOfMemory));
        Assert.Equal("-OOM command not allowed when used memory > 'maxmemory'.\r\n", Formatted.Of(mset, replies, 2));
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void Dbsize_sums_the_shards(int version)
    {
        var counts = Enumerable.Range(0, DecoderHarness.ShardCount).Select(i => Reply.Int(i)).ToArray();
        var (req, replies) = Answered(["DBSIZE"], counts);
        Assert.Equal(":120\r\n", Formatted.Of(req, replies, version));
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void Keys_concatenates_every_shard_in_shard_order(int version)
    {
        var lists = new Reply[DecoderHarness.ShardCount];
        for (int i = 0; i < lists.Length; i++) lists[i] = KeyList();
        lists[1] = KeyList("hello", "hallo");
        lists[7] = KeyList("hxllo");
        var (req, replies) = Answered(["KEYS", "h?llo"], lists);
        Assert.Equal("*3\r\n$5\r\nhello\r\n$5\r\nhallo\r\n$5\r\nhxllo\r\n", Formatted.Of(req, replies, version));
    }

    [Fact]
    public void Keys_of_an_empty_keyspace_is_an_empty_array()
    {
        var lists = Enumerable.Range(0, DecoderHarness.ShardCount).Select(_ => KeyList()).ToArray();
        var (req, replies) = Answered(["KEYS", "*"], lists);
        Assert.Equal("*0\r\n", Formatted.Of(req, replies, 2));
        Assert.Equal("*0\r\n", Formatted.Of(req, replies, 3));
    }

    [Theory]
    [InlineData(2, "$-1\r\n")]
    [InlineData(3, "_\r\n")]
    public void Randomkey_of_an_empty_keyspace_is_null(int version, string expected)
    {
        var nils = Enumerable.Repeat(Reply.Nil, DecoderHarness.ShardCount).ToArray();
        var (req, replies) = Answered(["RANDOMKEY"], nils);
        Assert.Equal(expected, Formatted.Of(req, replies, version));
    }

    [Fact]
    public void Randomkey_picks_among_the_shards_that_found_one()
    {
        var picks = Enumerable.Repeat(Reply.Nil, DecoderHarness.ShardCount).ToArray();
        picks[9] = Bulk("only");
        var (req, replies) = Answered(["RANDOMKEY"], picks);
        Assert.Equal("$4\r\nonly\r\n", Formatted.Of(req, replies, 2));
        picks[2] = Bulk("also");
        (req, replies) = Answered(["RANDOMKEY"], picks);
        for (int i = 0; i < 20; i++)
            Assert.Contains(Formatted.Of(req, replies, 3), new[] { "$4\r\nonly\r\n", "$4\r\nalso\r\n" });
    }

    // ---------------------------------------------------------------- SCAN pages and cursors

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void Scan_page_with_more_to_come_in_the_same_shard(int version)
    {
        long cursor = (5L << RespDecoder.ScanShardBits) | 3;
        var (req, replies) = Answered(["SCAN", cursor.ToString(System.Globalization.CultureInfo.InvariantCulture)], Page(9, "a", "b"));
        long next = (9L << 14) | 3;   // 147459
        Assert.Equal($"*2\r\n$6\r\n{next}\r\n*2\r\n$1\r\na\r\n$1\r\nb\r\n", Formatted.Of(req, replies, version));
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void Scan_page_that_ends_a_shard_moves_to_the_next_shard(int version)
    {
        var (req, replies) = Answered(["SCAN", "3"], Page(0, "x"));
        Assert.Equal("*2\r\n$1\r\n4\r\n*1\r\n$1\r\nx\r\n", Formatted.Of(req, replies, version));
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void Scan_page_that_ends_the_last_shard_ends_the_walk(int version)
    {
        var (req, replies) = Answered(["SCAN", "15"], Page(0));
        Assert.Equal("*2\r\n$1\r\n0\r\n*0\r\n", Formatted.Of(req, replies, version));
    }

    [Fact]
    public void Scan_from_zero_on_an_empty_first_shard_continues_with_shard_one()
    {
        var (req, replies) = Answered(["SCAN", "0"], Page(0));
        Assert.Equal("*2\r\n$1\r\n1\r\n*0\r\n", Formatted.Of(req, replies, 2));
    }

    [Fact]
    public void Scan_cursor_for_a_shard_that_does_not_exist_ends_the_walk()
    {
        var (req, replies) = Answered(["SCAN", "16"]);
        Assert.Equal("*2\r\n$1\r\n0\r\n*0\r\n", Formatted.Of(req, replies, 2));
        Assert.Equal("*2\r\n$1\r\n0\r\n*0\r\n", Formatted.Of(req, replies, 3));
    }

    [Fact]
    public void Scan_page_error_is_written_as_the_reply()
    {
        var (req, replies) = Answered(["SCAN", "0"], Reply.Fail(ErrorCode.Internal));
        Assert.Equal("-" + RespErrors.Internal + "\r\n", Formatted.Of(req, replies, 2));
    }

    [Fact]
    public void Scan_large_shard_cursor_round_trips_through_decode()
    {
        // A cursor the formatter writes must decode back to the same shard and shard cursor.
        long shardCursor = 123_456_789;
        var (req, replies) = Answered(["SCAN", "7"], Page(shardCursor, "k"));
        string text = Formatted.Of(req, replies, 2);
        string next = text.Split("\r\n")[2];
        Assert.Equal(((shardCursor << 14) | 7).ToString(System.Globalization.CultureInfo.InvariantCulture), next);

        var again = _h.Decode("SCAN", next);
        Assert.Equal(7, again.Shard);
        var (shard, c) = Assert.Single(_h.CommandsOf(again));
        Assert.Equal(7, shard);
        Assert.Equal(shardCursor, c.Int1);
    }

    [Fact]
    public void A_full_scan_walk_visits_every_shard_in_turn()
    {
        // Drive the cursor protocol end to end with fake shards that each hold two pages.
        var visited = new List<(int Shard, long Cursor)>();
        string cursor = "0";
        for (int step = 0; step < 100; step++)
        {
            var req = _h.Decode("SCAN", cursor, "COUNT", "1");
            var (shard, c) = Assert.Single(_h.CommandsOf(req));
            visited.Add((shard, c.Int1));
            long next = c.Int1 == 0 ? 42 : 0;   // page 1 continues at shard cursor 42, page 2 ends the shard
            var replies = new Reply[_h.Sink.Count];
            replies[req.First] = Page(next, $"s{shard}p{c.Int1}");
            string text = Formatted.Of(req, replies, 2);
            cursor = text.Split("\r\n")[2];
            if (cursor == "0") break;
        }
        Assert.Equal(2 * DecoderHarness.ShardCount, visited.Count);
        for (int s = 0; s < DecoderHarness.ShardCount; s++)
        {
            Assert.Equal((s, 0L), visited[2 * s]);
            Assert.Equal((s, 42L), visited[2 * s + 1]);
        }
    }
}
