using CacheCluster.Integration.Tests.Infrastructure;

namespace CacheCluster.Integration.Tests;

/// <summary>The Ruby redis gem (Debian ruby-redis) against the node. Scripts assert themselves and print "PASS".</summary>
[Collection(SharedNodeCollection.Name)]
public sealed class RubyRedisTests
{
    private readonly SharedNodeFixture _fx;

    public RubyRedisTests(SharedNodeFixture fx) => _fx = fx;

    private const string Prelude = """
require "redis"
port = Integer(ARGV[0]); p = ARGV[1]
r = Redis.new(host: "127.0.0.1", port: port, timeout: 10)
def eq(actual, expected, what)
  raise "#{what}: expected #{expected.inspect}, got #{actual.inspect}" unless actual == expected
end
""";

    private async Task RunAsync(string body, string name)
    {
        var prefix = SharedNodeFixture.Prefix("rb-" + name);
        var r = await ExternalTool.RunRubyAsync(Prelude + "\n" + body + "\nputs \"PASS\"\n", new[] { _fx.Node.RespPort.ToString(), prefix }, TimeSpan.FromSeconds(90));
        Assert.True(r.ExitCode == 0 && r.Stdout.TrimEnd().EndsWith("PASS"), r.Describe() + "\n--- node output (tail) ---\n" + Tail(_fx.Node.Output));
    }

    private static string Tail(string s) => s.Length > 2000 ? s[^2000..] : s;

    [Fact]
    public Task StringsAndKeys() => RunAsync("""
eq(r.ping, "PONG", "ping")
eq(r.set(p+"a", "hello"), "OK", "set")
eq(r.get(p+"a"), "hello", "get")
eq(r.get(p+"missing"), nil, "get missing")
eq(r.set(p+"a", "x", nx: true), false, "set nx existing")
eq(r.set(p+"b", "x", xx: true), false, "set xx missing")
eq(r.setnx(p+"c", "1"), true, "setnx")
eq(r.incr(p+"c"), 2, "incr")
eq(r.incrby(p+"c", 10), 12, "incrby")
eq(r.decrby(p+"c", 2), 10, "decrby")
eq(r.incrbyfloat(p+"c", 1.5), 11.5, "incrbyfloat")
eq(r.get(p+"c"), "11.5", "float text")
eq(r.append(p+"a", " world"), 11, "append")
eq(r.getrange(p+"a", 0, 4), "hello", "getrange")
eq(r.setrange(p+"a", 6, "WORLD"), 11, "setrange")
eq(r.strlen(p+"a"), 11, "strlen")
eq(r.getset(p+"a", "new"), "hello WORLD", "getset")
eq(r.getdel(p+"a"), "new", "getdel")
eq(r.exists?(p+"a"), false, "exists? after getdel")
eq(r.setex(p+"e", 100, "v"), "OK", "setex")
raise "ttl" unless (98..100).include?(r.ttl(p+"e"))
eq(r.expire(p+"e", 1000), true, "expire")
raise "pttl" unless (998_000..1_000_000).include?(r.pttl(p+"e"))
eq(r.persist(p+"e"), true, "persist")
eq(r.ttl(p+"e"), -1, "ttl after persist")
eq(r.type(p+"e"), "string", "type")
eq(r.rename(p+"e", p+"e2"), "OK", "rename")
eq(r.renamenx(p+"e2", p+"c"), false, "renamenx onto existing")
eq(r.copy(p+"e2", p+"e3"), true, "copy")
eq(r.exists(p+"e2", p+"e3", p+"nope"), 2, "exists count")
eq(r.del(p+"e2", p+"e3", p+"nope"), 2, "del")
r.set(p+"short", "v", px: 200)
sleep 0.6
eq(r.get(p+"short"), nil, "px expiry")
begin
  r.set(p+"t", "text"); r.incr(p+"t"); raise "no error"
rescue Redis::CommandError => e
  eq(e.message, "ERR value is not an integer or out of range", "error text")
end
""", "strings");

    [Fact]
    public Task Pipelined_1000Commands_And_MultiKeyAcrossSlots() => RunAsync("""
res = r.pipelined do |pipe|
  1000.times do |i|
    case i % 3
    when 0 then pipe.set("#{p}k#{i}", i.to_s)
    when 1 then pipe.incr("#{p}ctr")
    else pipe.get("#{p}k#{i - 2}")
    end
  end
end
eq(res.size, 1000, "1000 replies")
res.each_with_index do |v, i|
  case i % 3
  when 0 then eq(v, "OK", "set #{i}")
  when 1 then eq(v, i / 3 + 1, "incr #{i}")
  else eq(v, (i - 2).to_s, "get #{i}")
  end
end
keys = (0...40).map { |i| "#{p}slot#{i}" }
eq(r.mset(*keys.flat_map { |k| [k, "v" + k] }), "OK", "mset")
eq(r.mget(*keys, "#{p}none"), keys.map { |k| "v" + k } + [nil], "mget")
eq(r.msetnx(keys[0], "x", "#{p}fresh", "y"), false, "msetnx")
eq(r.exists?("#{p}fresh"), false, "msetnx atomic")
found = r.scan_each(match: "#{p}slot*", count: 5).to_a
eq(found.sort, keys.sort, "scan_each")
eq(r.keys("#{p}slot1*").sort, keys.select { |k| k =~ /slot1\d*$/ }.sort, "keys")
eq(r.unlink(*keys), 40, "unlink")
""", "pipeline");

    [Fact]
    public Task BinaryValues() => RunAsync("""
bin = (0..255).map(&:chr).join.b * 4
eq(r.set(p+"bin", bin), "OK", "set binary")
got = r.get(p+"bin")
eq(got.b, bin, "binary roundtrip")
eq(r.strlen(p+"bin"), 1024, "binary length")
key = (p + "\x00\r\n\xff").b
eq(r.set(key, "v"), "OK", "binary key set")
eq(r.get(key), "v", "binary key get")
big = "z".b * (512 * 1024)
eq(r.set(p+"big", big), "OK", "set 512KB")
eq(r.get(p+"big").bytesize, 512 * 1024, "512KB")
eq(r.set(p+"empty", ""), "OK", "empty value")
eq(r.get(p+"empty"), "", "empty value not nil")
""", "binary");
}
