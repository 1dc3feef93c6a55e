using CacheCluster.Core;
using CacheCluster.Protocols.Resp.Commands;
using static CacheCluster.Protocols.Tests.Commands.DecoderHarness;

namespace CacheCluster.Protocols.Tests.Commands;

/// <summary>Requests RespDecoder refuses, with Redis 7's exact error texts; nothing may reach a shard.</summary>
public class RespDecoderErrorTests
{
    private const string Syntax = "ERR syntax error";
    private const string NotInteger = "ERR value is not an integer or out of range";
    private const string NxConflict = "ERR NX and XX, GT or LT options at the same time are not compatible";
    private const string GtLtConflict = "ERR GT and LT options at the same time are not compatible";

    private readonly DecoderHarness _h = new();

    private void Refused(string expected, params string[] args)
    {
        var req = _h.Decode(args);
        _h.AssertError(req, expected);
        Assert.Equal(0, _h.Sink.Count);
    }

    // ---------------------------------------------------------------- arity / unknown

    [Theory]
    [InlineData("get", "get")]
    [InlineData("get", "GET", "a", "b")]
    [InlineData("get", "gEt")]
    [InlineData("set", "SET", "k")]
    [InlineData("set", "set")]
    [InlineData("setnx", "SETNX", "k")]
    [InlineData("setex", "SETEX", "k", "10")]
    [InlineData("getrange", "GETRANGE", "k", "0")]
    [InlineData("incr", "INCR")]
    [InlineData("incrby", "INCRBY", "k")]
    [InlineData("del", "DEL")]
    [InlineData("expire", "EXPIRE", "k")]
    [InlineData("ttl", "TTL", "a", "b")]
    [InlineData("keys", "KEYS")]
    [InlineData("dbsize", "DBSIZE", "x")]
    [InlineData("mget", "MGET")]
    [InlineData("mset", "MSET", "a")]
    [InlineData("rename", "RENAME", "a")]
    [InlineData("object", "OBJECT")]
    [InlineData("scan", "SCAN")]
    public void Wrong_arity_names_the_command_in_lower_case(string name, params string[] args)
    {
        Refused($"ERR wrong number of arguments for '{name}' command", args);
    }

    [Theory]
    [InlineData(new[] { "MSET", "a", "1", "b" }, "mset")]
    [InlineData(new[] { "mset", "a", "1", "b", "2", "c" }, "mset")]
    [InlineData(new[] { "MSETNX", "a", "1", "b" }, "msetnx")]
    public void Mset_with_an_odd_number_of_arguments_is_wrong_arity(string[] args, string name)
    {
        Refused($"ERR wrong number of arguments for '{name}' command", args);
    }

    [Fact]
    public void Unknown_command_quotes_its_arguments()
    {
        Refused("ERR unknown command 'foo', with args beginning with: 'a' 'b' ", "foo", "a", "b");
    }

    [Fact]
    public void Unknown_command_without_arguments()
    {
        Refused("ERR unknown command 'foo', with args beginning with: ", "foo");
    }

    [Fact]
    public void Unknown_command_keeps_the_name_as_sent()
    {
        Refused("ERR unknown command 'FoO', with args beginning with: 'X' ", "FoO", "X");
    }

    [Fact]
    public void Unknown_command_with_a_name_longer_than_any_known_one()
    {
        Refused("ERR unknown command 'averyveryverylongcommandname', with args beginning with: ", "averyveryverylongcommandname");
    }

    [Fact]
    public void Unknown_command_with_an_empty_name()
    {
        Refused("ERR unknown command '', with args beginning with: 'x' ", "", "x");
    }

    [Fact]
    public void Unknown_command_clips_the_name_at_128_characters()
    {
        Refused($"ERR unknown command '{new string('n', 128)}', with args beginning with: ", new string('n', 200));
    }

    [Fact]
    public void Unknown_command_clips_the_argument_list_at_128_characters()
    {
        string a = new('a', 60), b = new('b', 60), c = new('c', 60), d = new('d', 60);
        // 'a…' (63) + 'b…' (63) = 126 < 128, so a third argument is clipped to the 2 remaining characters; then stop.
        Refused($"ERR unknown command 'foo', with args beginning with: '{a}' '{b}' 'cc' ", "foo", a, b, c, d);
        Refused($"ERR unknown command 'foo', with args beginning with: '{new string('z', 128)}' ", "foo", new string('z', 300), "next");
    }

    [Fact]
    public void Unknown_command_error_stays_on_one_line()
    {
        Refused("ERR unknown command 'foo', with args beginning with: 'a  b' ", "foo", "a\r\nb");
    }

    [Fact]
    public void Unknown_command_in_a_pipeline_does_not_disturb_the_next_request()
    {
        _h.AssertError(_h.Decode("nosuch", "x"), "ERR unknown command 'nosuch', with args beginning with: 'x' ");
        var ok = _h.Decode("GET", "k");
        _h.Single(ok, CacheCluster.Core.Op.Get, "k");
        Assert.Equal(0, ok.First);
    }

    // ---------------------------------------------------------------- SET / GETEX options

    [Theory]
    [InlineData("NX", "XX")]
    [InlineData("XX", "NX")]
    [InlineData("EX", "10", "PX", "10")]
    [InlineData("PX", "10", "EX", "10")]
    [InlineData("EX", "10", "EXAT", "10")]
    [InlineData("PXAT", "10", "EXAT", "10")]
    [InlineData("KEEPTTL", "EX", "1")]
    [InlineData("EX", "1", "KEEPTTL")]
    [InlineData("PX", "1", "KEEPTTL")]
    [InlineData("EX")]
    [InlineData("PX")]
    [InlineData("EXAT")]
    [InlineData("NX", "PXAT")]
    [InlineData("PERSIST")]
    [InlineData("foo")]
    [InlineData("NXX")]
    [InlineData("GET", "GETX")]
    public void Set_option_conflicts_are_syntax_errors(params string[] options)
    {
        Refused(Syntax, ["SET", "k", "v", .. options]);
    }

    [Theory]
    [InlineData("EX", "0")]
    [InlineData("EX", "-1")]
    [InlineData("PX", "0")]
    [InlineData("PX", "-100")]
    [InlineData("EXAT", "0")]
    [InlineData("PXAT", "-5")]
    [InlineData("EX", "9223372036854775807")]   // overflows when turned into milliseconds
    [InlineData("EX", "9223372036854776")]
    [InlineData("PX", "9223372036854775807")]   // overflows when the current time is added
    public void Set_with_a_non_positive_or_overflowing_expire_time_is_invalid(string option, string value)
    {
        Refused("ERR invalid expire time in 'set' command", "SET", "k", "v", option, value);
    }

    [Theory]
    [InlineData("EX", "abc")]
    [InlineData("EX", "1.5")]
    [InlineData("PX", " 1")]
    [InlineData("EX", "")]
    [InlineData("PXAT", "9223372036854775808")]
    public void Set_with_a_non_integer_expire_time_is_not_an_integer(string option, string value)
    {
        Refused(NotInteger, "SET", "k", "v", option, value);
    }

    [Theory]
    [InlineData("setex", "SETEX", "k", "-1", "v")]
    [InlineData("setex", "SETEX", "k", "0", "v")]
    [InlineData("setex", "setex", "k", "9223372036854775807", "v")]
    [InlineData("psetex", "PSETEX", "k", "0", "v")]
    [InlineData("psetex", "PSETEX", "k", "-1", "v")]
    public void Setex_with_an_invalid_expire_time_names_the_command(string name, params string[] args)
    {
        Refused($"ERR invalid expire time in '{name}' command", args);
    }

    [Fact]
    public void Setex_with_a_non_integer_time_is_not_an_integer()
    {
        Refused(NotInteger, "SETEX", "k", "abc", "v");
        Refused(NotInteger, "PSETEX", "k", "1.0", "v");
    }

    [Theory]
    [InlineData("PERSIST", "EX", "1")]
    [InlineData("EX", "1", "PERSIST")]
    [InlineData("NX")]
    [InlineData("XX")]
    [InlineData("GET")]
    [InlineData("KEEPTTL")]
    [InlineData("EX")]
    [InlineData("EX", "1", "PX", "1")]
    public void Getex_option_errors_are_syntax_errors(params string[] options)
    {
        Refused(Syntax, ["GETEX", "k", .. options]);
    }

    [Fact]
    public void Getex_with_an_invalid_expire_time_is_reported_after_the_key_lookup()
    {
        // Redis 7.0 looks the key up first (a missing key answers nil), so the decoder defers the error
        var (_, c) = Assert.Single(_h.CommandsOf(_h.Decode("GETEX", "k", "EX", "0")));
        Assert.Equal(CommandOptions.BadArgument, c.Options);
        Assert.Equal((long)ErrorCode.InvalidExpireTime, c.Int2);
        var (_, c2) = Assert.Single(_h.CommandsOf(_h.Decode("GETEX", "k", "PX", "x")));
        Assert.Equal((long)ErrorCode.NotInteger, c2.Int2);
    }

    // ---------------------------------------------------------------- EXPIRE options

    [Theory]
    [InlineData(NxConflict, "NX", "XX")]
    [InlineData(NxConflict, "NX", "GT")]
    [InlineData(NxConflict, "LT", "NX")]
    [InlineData(NxConflict, "nx", "xx", "gt", "lt")]
    [InlineData(GtLtConflict, "GT", "LT")]
    [InlineData(GtLtConflict, "XX", "LT", "GT")]
    [InlineData("ERR Unsupported option foo", "foo")]
    [InlineData("ERR Unsupported option foo", "NX", "foo")]
    [InlineData("ERR Unsupported option FOO", "FOO", "NX")]
    public void Expire_option_errors(string expected, params string[] options)
    {
        Refused(expected, ["EXPIRE", "k", "10", .. options]);
    }

    [Fact]
    public void Expire_checks_options_before_the_time()
    {
        Refused("ERR Unsupported option foo", "EXPIRE", "k", "abc", "foo");
        Refused(NxConflict, "PEXPIRE", "k", "abc", "NX", "XX");
    }

    [Theory]
    [InlineData("expire", "EXPIRE", "k", "9223372036854775807")]
    [InlineData("expire", "EXPIRE", "k", "-9223372036854775808")]
    [InlineData("pexpire", "PEXPIRE", "k", "9223372036854775807")]
    [InlineData("expireat", "EXPIREAT", "k", "9223372036854775807")]
    public void Expire_with_an_overflowing_time_is_invalid(string name, params string[] args)
    {
        Refused($"ERR invalid expire time in '{name}' command", args);
    }

    [Theory]
    [InlineData("EXPIRE", "k", "abc")]
    [InlineData("PEXPIREAT", "k", "1.5")]
    [InlineData("EXPIRE", "k", "")]
    public void Expire_with_a_non_integer_time_is_not_an_integer(params string[] args)
    {
        Refused(NotInteger, args);
    }

    // ---------------------------------------------------------------- numbers

    [Theory]
    [InlineData("INCRBY", "k", "abc")]
    [InlineData("INCRBY", "k", "1.5")]
    [InlineData("INCRBY", "k", "9223372036854775808")]
    [InlineData("INCRBY", "k", " 1")]
    [InlineData("INCRBY", "k", "")]
    [InlineData("DECRBY", "k", "abc")]
    [InlineData("DECRBY", "k", "-9223372036854775809")]
    [InlineData("GETRANGE", "k", "a", "1")]
    [InlineData("GETRANGE", "k", "0", "1.0")]
    [InlineData("SUBSTR", "k", "x", "1")]
    [InlineData("SETRANGE", "k", "abc", "v")]
    [InlineData("SETRANGE", "k", "1e3", "v")]
    public void Non_integer_arguments_are_refused(params string[] args)
    {
        Refused(NotInteger, args);
    }

    [Fact]
    public void Decrby_of_the_smallest_long_would_overflow()
    {
        Refused("ERR decrement would overflow", "DECRBY", "k", "-9223372036854775808");
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("-9223372036854775808")]
    public void Setrange_with_a_negative_offset_is_out_of_range(string offset)
    {
        Refused("ERR offset is out of range", "SETRANGE", "k", offset, "v");
    }

    // ---------------------------------------------------------------- COPY / OBJECT / MEMORY / FLUSH

    [Theory]
    [InlineData("COPY", "a", "a")]
    [InlineData("COPY", "a", "a", "REPLACE")]
    [InlineData("copy", "{t}x", "{t}x", "DB", "0")]
    public void Copy_onto_itself_is_refused(params string[] args)
    {
        Refused("ERR source and destination objects are the same", args);
    }

    [Theory]
    [InlineData("COPY", "a", "b", "foo")]
    [InlineData("COPY", "a", "b", "DB")]
    [InlineData("COPY", "a", "b", "REPLACE", "x")]
    public void Copy_with_bad_options_is_a_syntax_error(params string[] args)
    {
        Refused(Syntax, args);
    }

    [Fact]
    public void Copy_with_a_non_integer_db_is_not_an_integer()
    {
        Refused(NotInteger, "COPY", "a", "b", "DB", "x");
    }

    [Theory]
    [InlineData("foo", "OBJECT", "foo")]
    [InlineData("foo", "OBJECT", "foo", "k")]
    [InlineData("Encodings", "object", "Encodings", "k")]
    public void Object_unknown_subcommand(string sub, params string[] args)
    {
        Refused($"ERR unknown subcommand '{sub}'. Try OBJECT HELP.", args);
    }

    [Theory]
    [InlineData("encoding", "OBJECT", "ENCODING")]
    [InlineData("encoding", "OBJECT", "Encoding", "a", "b")]
    [InlineData("refcount", "OBJECT", "refcount")]
    [InlineData("idletime", "OBJECT", "IDLETIME", "a", "b")]
    [InlineData("freq", "OBJECT", "FREQ")]
    public void Object_subcommand_arity_uses_the_full_name(string sub, params string[] args)
    {
        Refused($"ERR wrong number of arguments for 'object|{sub}' command", args);
    }

    [Theory]
    [InlineData("object", "OBJECT", "HELP", "extra")]
    [InlineData("memory", "MEMORY", "help", "extra")]
    public void Help_subcommand_with_arguments_is_wrong_arity(string container, params string[] args)
    {
        // Redis 7: OBJECT HELP and MEMORY HELP have arity 2 ("object|help", "memory|help").
        Refused($"ERR wrong number of arguments for '{container}|help' command", args);
    }

    [Fact]
    public void Memory_errors()
    {
        Refused("ERR unknown subcommand 'foo'. Try MEMORY HELP.", "MEMORY", "foo");
        Refused("ERR wrong number of arguments for 'memory|usage' command", "MEMORY", "USAGE");
        Refused(Syntax, "MEMORY", "USAGE", "k", "SAMPLES");
        Refused(Syntax, "MEMORY", "USAGE", "k", "foo", "1");
        Refused(NotInteger, "MEMORY", "USAGE", "k", "SAMPLES", "x");
    }

    [Theory]
    [InlineData("FLUSHDB", "foo")]
    [InlineData("FLUSHALL", "ASYNC", "SYNC")]
    public void Flush_with_bad_arguments_is_a_syntax_error(params string[] args)
    {
        Refused(Syntax, args);
    }

    // ---------------------------------------------------------------- SCAN

    [Theory]
    [InlineData("abc")]
    [InlineData(" 1")]
    [InlineData("-")]
    [InlineData("1.5")]
    [InlineData("")]
    [InlineData("18446744073709551616")]
    [InlineData("99999999999999999999")]
    [InlineData("0x10")]
    public void Scan_with_a_bad_cursor_is_an_invalid_cursor(string cursor)
    {
        Refused("ERR invalid cursor", "SCAN", cursor);
    }

    [Theory]
    [InlineData("-1")]      // strtoul wraps a negative cursor, as Redis 7.0 does
    [InlineData("+5")]
    public void Scan_accepts_what_strtoul_accepts(string cursor)
    {
        Assert.Equal(RequestKind.ScanPage, _h.Decode("SCAN", cursor).Kind);
    }

    [Theory]
    [InlineData("COUNT", "0")]
    [InlineData("COUNT", "-5")]
    [InlineData("COUNT")]
    [InlineData("MATCH")]
    [InlineData("TYPE")]
    [InlineData("foo")]
    [InlineData("MATCH", "*", "COUNT")]
    public void Scan_option_errors_are_syntax_errors(params string[] options)
    {
        Refused(Syntax, ["SCAN", "0", .. options]);
    }

    [Fact]
    public void Scan_with_a_non_integer_count_is_not_an_integer()
    {
        Refused(NotInteger, "SCAN", "0", "COUNT", "ten");
    }

    [Fact]
    public void Scan_checks_the_cursor_before_the_options()
    {
        Refused("ERR invalid cursor", "SCAN", "x", "COUNT", "0");
    }

    [Fact]
    public void Errors_decode_with_the_request_definition_when_the_command_is_known()
    {
        var req = _h.Decode("GET");
        Assert.Equal(RespCommandId.Get, req.Def!.Id);
        var unknown = _h.Decode("nope");
        Assert.Null(unknown.Def);
    }
}
