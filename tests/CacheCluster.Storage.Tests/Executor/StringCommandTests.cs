using CacheCluster.Core;
using static CacheCluster.Storage.Tests.Executor.ShardHarness;

namespace CacheCluster.Storage.Tests.Executor;

/// <summary>GET/SET family, SETNX, GETDEL, GETEX, APPEND, STRLEN, GETRANGE, SETRANGE with Redis 7 semantics.</summary>
public class StringCommandTests
{
    private readonly ShardHarness _s = new();

    // ---------------------------------------------------------------- GET / SET

    [Fact]
    public void Get_of_a_missing_key_is_nil()
    {
        R.Nil(_s.Get("nope"));
    }

    [Fact]
    public void Set_then_get_returns_the_value()
    {
        R.Ok(_s.Set("k", "hello"));
        R.Bulk("hello", _s.Get("k"));
    }

    [Fact]
    public void Set_stores_binary_values_exactly()
    {
        R.Ok(_s.Set("bin", "a\0b\r\n\u00ff"));
        R.Bulk("a\0b\r\n\u00ff", _s.Get("bin"));
        R.Int(6, _s.Run(Op.StrLen, "bin"));
    }

    [Fact]
    public void Set_with_empty_value_creates_an_empty_string()
    {
        R.Ok(_s.Set("e", ""));
        R.Bulk("", _s.Get("e"));
        R.Int(1, _s.Run(Op.Exists, "e"));
    }

    [Fact]
    public void Plain_set_overwrites_and_discards_the_old_ttl()
    {
        _s.SetWithTtl("k", "v1", 10_000);
        R.Ok(_s.Set("k", "v2"));
        R.Bulk("v2", _s.Get("k"));
        Assert.Equal(-1, _s.Pttl("k"));
    }

    [Fact]
    public void Set_nx_only_sets_a_missing_key()
    {
        R.Ok(_s.Set("k", "first", CommandOptions.Nx));
        R.Nil(_s.Set("k", "second", CommandOptions.Nx));
        R.Bulk("first", _s.Get("k"));
    }

    [Fact]
    public void Set_nx_treats_an_expired_key_as_missing()
    {
        _s.SetWithTtl("k", "old", 100);
        _s.Clock.Advance(100);
        R.Ok(_s.Set("k", "new", CommandOptions.Nx));
        R.Bulk("new", _s.Get("k"));
        Assert.Equal(-1, _s.Pttl("k"));
    }

    [Fact]
    public void Set_xx_only_sets_an_existing_key()
    {
        R.Nil(_s.Set("k", "v", CommandOptions.Xx));
        Assert.False(_s.Has("k"));
        _s.Set("k", "a");
        R.Ok(_s.Set("k", "b", CommandOptions.Xx));
        R.Bulk("b", _s.Get("k"));
    }

    [Fact]
    public void Set_get_returns_the_old_value_or_nil()
    {
        R.Nil(_s.Set("k", "one", CommandOptions.ReturnOld));
        R.Bulk("one", _s.Set("k", "two", CommandOptions.ReturnOld));
        R.Bulk("two", _s.Get("k"));
    }

    [Fact]
    public void Set_nx_get_on_an_existing_key_returns_the_old_value_and_does_not_set()
    {
        _s.Set("k", "old");
        R.Bulk("old", _s.Set("k", "new", CommandOptions.Nx | CommandOptions.ReturnOld));
        R.Bulk("old", _s.Get("k"));
    }

    [Fact]
    public void Set_nx_get_on_a_missing_key_returns_nil_and_sets()
    {
        R.Nil(_s.Set("k", "new", CommandOptions.Nx | CommandOptions.ReturnOld));
        R.Bulk("new", _s.Get("k"));
    }

    [Fact]
    public void Set_xx_get_on_a_missing_key_returns_nil_and_does_not_create()
    {
        R.Nil(_s.Set("k", "v", CommandOptions.Xx | CommandOptions.ReturnOld));
        Assert.False(_s.Has("k"));
    }

    [Fact]
    public void Set_keepttl_keeps_the_existing_expiry()
    {
        _s.SetWithTtl("k", "v1", 5_000);
        long expiry = _s.ExpiresAt("k");
        _s.Clock.Advance(1_000);
        R.Ok(_s.Set("k", "v2", CommandOptions.KeepTtl));
        Assert.Equal(expiry, _s.ExpiresAt("k"));
        Assert.Equal(4_000, _s.Pttl("k"));
        R.Bulk("v2", _s.Get("k"));
    }

    [Fact]
    public void Set_keepttl_on_a_missing_or_persistent_key_sets_no_expiry()
    {
        R.Ok(_s.Set("a", "v", CommandOptions.KeepTtl));
        Assert.Equal(-1, _s.Pttl("a"));
        _s.Set("b", "v");
        R.Ok(_s.Set("b", "w", CommandOptions.KeepTtl));
        Assert.Equal(-1, _s.Pttl("b"));
    }

    [Fact]
    public void Set_with_expiry_sets_an_absolute_deadline_and_the_key_expires_there()
    {
        R.Ok(_s.Set("k", "v", CommandOptions.HasExpiry, _s.Now + 1_500));
        Assert.Equal(_s.Now + 1_500, _s.ExpiresAt("k"));
        Assert.Equal(1_500, _s.Pttl("k"));
        _s.Clock.Advance(1_499);
        R.Bulk("v", _s.Get("k"));
        _s.Clock.Advance(1);
        R.Nil(_s.Get("k"));
        Assert.Equal(0, _s.Store.Count);
    }

    [Fact]
    public void Set_with_expiry_in_the_past_deletes_an_existing_key()
    {
        _s.Set("k", "v");
        R.Ok(_s.Set("k", "w", CommandOptions.HasExpiry, _s.Now - 1));
        Assert.False(_s.Has("k"));
        Assert.Equal(0, _s.Store.Count);
    }

    [Fact]
    public void Set_with_expiry_equal_to_now_counts_as_already_expired()
    {
        _s.Set("k", "v");
        R.Ok(_s.Set("k", "w", CommandOptions.HasExpiry, _s.Now));
        Assert.False(_s.Has("k"));
    }

    [Fact]
    public void Set_with_expiry_in_the_past_on_a_missing_key_creates_nothing()
    {
        R.Ok(_s.Set("k", "w", CommandOptions.HasExpiry, 1));
        Assert.Equal(0, _s.Store.Count);
    }

    [Fact]
    public void Set_get_with_expiry_in_the_past_returns_the_old_value_and_deletes()
    {
        _s.Set("k", "old");
        R.Bulk("old", _s.Set("k", "new", CommandOptions.ReturnOld | CommandOptions.HasExpiry, _s.Now - 10));
        Assert.False(_s.Has("k"));
    }

    [Fact]
    public void Set_stores_memcached_flags_and_every_write_gets_a_new_cas()
    {
        _s.Set("k", "v", flags: 42);
        Reply first = _s.Get("k");
        Assert.Equal(42u, first.Flags);
        Assert.NotEqual(0ul, first.Cas);
        _s.Set("k", "v", flags: 7);
        Reply second = _s.Get("k");
        Assert.Equal(7u, second.Flags);
        Assert.True(second.Cas > first.Cas);
    }

    [Fact]
    public void The_stored_value_is_not_affected_by_later_writes_to_the_reply()
    {
        _s.Set("k", "abc");
        Reply r = _s.Get("k");
        _s.RunValue(Op.Append, "k", "def");
        _s.RunValue(Op.SetRange, "k", "X", 0);
        R.Bulk("abc", r);
        R.Bulk("Xbcdef", _s.Get("k"));
    }

    // ---------------------------------------------------------------- SETNX

    [Fact]
    public void Setnx_answers_1_when_it_sets_and_0_when_the_key_exists()
    {
        R.Int(1, _s.RunValue(Op.SetNxCount, "k", "a"));
        R.Int(0, _s.RunValue(Op.SetNxCount, "k", "b"));
        R.Bulk("a", _s.Get("k"));
    }

    [Fact]
    public void Setnx_on_an_expired_key_sets_it_without_expiry()
    {
        _s.SetWithTtl("k", "old", 10);
        _s.Clock.Advance(10);
        R.Int(1, _s.RunValue(Op.SetNxCount, "k", "new"));
        R.Bulk("new", _s.Get("k"));
        Assert.Equal(-1, _s.Pttl("k"));
    }

    // ---------------------------------------------------------------- GETDEL / GETEX

    [Fact]
    public void Getdel_returns_the_value_and_deletes_the_key()
    {
        _s.SetWithTtl("k", "v", 1_000);
        R.Bulk("v", _s.Run(Op.GetDel, "k"));
        Assert.False(_s.Has("k"));
        Assert.Equal(0, _s.Store.VolatileCount);
        R.Nil(_s.Run(Op.GetDel, "k"));
    }

    [Fact]
    public void Getex_without_options_leaves_the_ttl_alone()
    {
        _s.SetWithTtl("k", "v", 5_000);
        R.Bulk("v", _s.Run(Op.GetEx, "k"));
        Assert.Equal(5_000, _s.Pttl("k"));
    }

    [Fact]
    public void Getex_with_expiry_sets_the_ttl()
    {
        _s.Set("k", "v");
        R.Bulk("v", _s.Run(Op.GetEx, "k", _s.Now + 3_000, options: CommandOptions.HasExpiry));
        Assert.Equal(3_000, _s.Pttl("k"));
    }

    [Fact]
    public void Getex_persist_removes_the_ttl()
    {
        _s.SetWithTtl("k", "v", 3_000);
        R.Bulk("v", _s.Run(Op.GetEx, "k", options: CommandOptions.Persist));
        Assert.Equal(-1, _s.Pttl("k"));
        Assert.Equal(0, _s.Store.VolatileCount);
    }

    [Fact]
    public void Getex_with_expiry_in_the_past_returns_the_value_and_deletes_the_key()
    {
        _s.Set("k", "v");
        R.Bulk("v", _s.Run(Op.GetEx, "k", _s.Now - 1, options: CommandOptions.HasExpiry));
        Assert.False(_s.Has("k"));
    }

    [Fact]
    public void Getex_of_a_missing_key_is_nil_and_creates_nothing()
    {
        R.Nil(_s.Run(Op.GetEx, "k", _s.Now + 1_000, options: CommandOptions.HasExpiry));
        R.Nil(_s.Run(Op.GetEx, "k", options: CommandOptions.Persist));
        Assert.Equal(0, _s.Store.Count);
    }

    // ---------------------------------------------------------------- APPEND (+ memcached append/prepend)

    [Fact]
    public void Append_creates_a_missing_key_and_returns_the_length()
    {
        R.Int(5, _s.RunValue(Op.Append, "k", "Hello"));
        R.Int(11, _s.RunValue(Op.Append, "k", " World"));
        R.Bulk("Hello World", _s.Get("k"));
    }

    [Fact]
    public void Append_keeps_the_ttl()
    {
        _s.SetWithTtl("k", "a", 9_000);
        _s.RunValue(Op.Append, "k", "b");
        Assert.Equal(9_000, _s.Pttl("k"));
    }

    [Fact]
    public void Append_of_nothing_returns_the_current_length()
    {
        _s.Set("k", "abc");
        R.Int(3, _s.RunValue(Op.Append, "k", ""));
        R.Bulk("abc", _s.Get("k"));
    }

    [Fact]
    public void Append_of_nothing_to_a_missing_key_creates_an_empty_string()
    {
        R.Int(0, _s.RunValue(Op.Append, "k", ""));
        R.Bulk("", _s.Get("k"));
    }

    [Fact]
    public void Memcached_append_xx_needs_an_existing_item()
    {
        R.Nil(_s.RunValue(Op.Append, "k", "tail", options: CommandOptions.Xx));
        Assert.False(_s.Has("k"));
        _s.Set("k", "head");
        R.Int(8, _s.RunValue(Op.Append, "k", "tail", options: CommandOptions.Xx));
        R.Bulk("headtail", _s.Get("k"));
    }

    [Fact]
    public void Memcached_prepend_is_append_with_replace()
    {
        R.Nil(_s.RunValue(Op.Append, "k", "x", options: CommandOptions.Xx | CommandOptions.Replace));
        Assert.False(_s.Has("k"));
        _s.Set("k", "world", flags: 9);
        R.Int(10, _s.RunValue(Op.Append, "k", "hello", options: CommandOptions.Xx | CommandOptions.Replace));
        Reply r = _s.Get("k");
        R.Bulk("helloworld", r);
        Assert.Equal(9u, r.Flags); // append/prepend keep the item's flags
    }

    // ---------------------------------------------------------------- STRLEN

    [Fact]
    public void Strlen_is_the_byte_length_or_zero()
    {
        R.Int(0, _s.Run(Op.StrLen, "k"));
        _s.Set("k", "Hello world");
        R.Int(11, _s.Run(Op.StrLen, "k"));
    }

    // ---------------------------------------------------------------- GETRANGE

    [Theory]
    [InlineData(0, 3, "This")]
    [InlineData(-3, -1, "ing")]
    [InlineData(0, -1, "This is a string")]
    [InlineData(10, 100, "string")]
    [InlineData(5, 3, "")]                       // start > end
    [InlineData(-1, -5, "")]                     // both negative, start > end
    [InlineData(15, 15, "g")]
    [InlineData(16, 20, "")]                     // start past the end
    [InlineData(-100, 3, "This")]                // start clamps to 0
    [InlineData(-100, -50, "T")]                 // Redis 7: both clamp to 0
    [InlineData(0, 0, "T")]
    [InlineData(long.MinValue, long.MaxValue, "This is a string")]
    [InlineData(long.MaxValue, long.MaxValue, "")]
    public void Getrange_follows_the_redis_docs(long start, long end, string expected)
    {
        _s.Set("mykey", "This is a string");
        R.Bulk(expected, _s.Run(Op.GetRange, "mykey", start, end));
    }

    [Fact]
    public void Getrange_of_a_missing_key_is_an_empty_string_not_nil()
    {
        R.Bulk("", _s.Run(Op.GetRange, "nope", 0, -1));
    }

    [Fact]
    public void Getrange_of_an_empty_value_is_empty()
    {
        _s.Set("e", "");
        R.Bulk("", _s.Run(Op.GetRange, "e", 0, -1));
        R.Bulk("", _s.Run(Op.GetRange, "e", 0, 0));
    }

    // ---------------------------------------------------------------- SETRANGE

    [Fact]
    public void Setrange_overwrites_part_of_a_value()
    {
        _s.Set("key1", "Hello World");
        R.Int(11, _s.RunValue(Op.SetRange, "key1", "Redis", 6));
        R.Bulk("Hello Redis", _s.Get("key1"));
    }

    [Fact]
    public void Setrange_on_a_missing_key_pads_with_zero_bytes()
    {
        R.Int(11, _s.RunValue(Op.SetRange, "key2", "Redis", 6));
        R.Bulk("\0\0\0\0\0\0Redis", _s.Get("key2"));
    }

    [Fact]
    public void Setrange_past_the_end_pads_with_zero_bytes()
    {
        _s.Set("k", "abc");
        R.Int(6, _s.RunValue(Op.SetRange, "k", "Z", 5));
        R.Bulk("abc\0\0Z", _s.Get("k"));
    }

    [Fact]
    public void Setrange_with_an_empty_value_on_a_missing_key_returns_0_and_creates_nothing()
    {
        R.Int(0, _s.RunValue(Op.SetRange, "k", "", 10));
        Assert.False(_s.Has("k"));
        Assert.Equal(0, _s.Store.Count);
    }

    [Fact]
    public void Setrange_with_an_empty_value_on_an_existing_key_returns_its_length_unchanged()
    {
        _s.Set("k", "abc");
        R.Int(3, _s.RunValue(Op.SetRange, "k", "", 100));
        R.Bulk("abc", _s.Get("k"));
    }

    [Fact]
    public void Setrange_keeps_the_ttl()
    {
        _s.SetWithTtl("k", "abc", 7_000);
        _s.RunValue(Op.SetRange, "k", "X", 1);
        Assert.Equal(7_000, _s.Pttl("k"));
        R.Bulk("aXc", _s.Get("k"));
    }

    [Fact]
    public void Setrange_beyond_the_maximum_string_size_fails()
    {
        R.Error(ErrorCode.StringTooLong, _s.RunValue(Op.SetRange, "k", "x", CommandExecutor.MaxStringLength));
        Assert.False(_s.Has("k"));
        _s.Set("e", "abc");
        R.Error(ErrorCode.StringTooLong, _s.RunValue(Op.SetRange, "e", "x", CommandExecutor.MaxStringLength));
        R.Bulk("abc", _s.Get("e"));
    }

    [Fact]
    public void Setrange_at_the_largest_offset_fails_as_too_long_instead_of_overflowing()
    {
        // Redis: offset + length overflows, which checkStringLength reports as "string exceeds maximum allowed size".
        R.Error(ErrorCode.StringTooLong, _s.RunValue(Op.SetRange, "missing", "x", long.MaxValue));
        Assert.False(_s.Has("missing"));
    }

    [Fact]
    public void Setrange_at_the_largest_offset_on_an_existing_key_fails_as_too_long()
    {
        _s.Set("k", "abc");
        R.Error(ErrorCode.StringTooLong, _s.RunValue(Op.SetRange, "k", "x", long.MaxValue));
        R.Bulk("abc", _s.Get("k"));
    }

    // ---------------------------------------------------------------- WRONGTYPE

    [Fact]
    public void String_commands_on_a_non_string_key_answer_wrongtype_and_leave_it()
    {
        _s.PutNonString("l");
        R.Error(ErrorCode.WrongType, _s.Get("l"));
        R.Error(ErrorCode.WrongType, _s.Set("l", "v", CommandOptions.ReturnOld));
        R.Error(ErrorCode.WrongType, _s.Set("l", "v", CommandOptions.ReturnOld | CommandOptions.Nx));
        R.Error(ErrorCode.WrongType, _s.Run(Op.GetDel, "l"));
        R.Error(ErrorCode.WrongType, _s.Run(Op.GetEx, "l", options: CommandOptions.Persist));
        R.Error(ErrorCode.WrongType, _s.Run(Op.IncrBy, "l", 1));
        R.Error(ErrorCode.WrongType, _s.RunValue(Op.IncrByFloat, "l", "1"));
        R.Error(ErrorCode.WrongType, _s.RunValue(Op.Append, "l", "x"));
        R.Error(ErrorCode.WrongType, _s.Run(Op.StrLen, "l"));
        R.Error(ErrorCode.WrongType, _s.Run(Op.GetRange, "l", 0, -1));
        R.Error(ErrorCode.WrongType, _s.RunValue(Op.SetRange, "l", "x", 0));
        int h = _s.Store.Find(B("l"), touch: false);
        Assert.True(h >= 0);
        Assert.Equal((ValueKind)1, _s.Store.KindOf(h));
    }

    [Fact]
    public void Mget_style_get_answers_nil_for_a_non_string_key()
    {
        _s.PutNonString("l");
        R.Nil(_s.Run(Op.Get, "l", options: CommandOptions.NilOnWrongType));
    }

    [Fact]
    public void Plain_set_replaces_a_key_of_any_type()
    {
        _s.PutNonString("l");
        R.Ok(_s.Set("l", "now a string"));
        R.Bulk("now a string", _s.Get("l"));
        R.Status("string", _s.Run(Op.Type, "l"));
    }
}
