using CacheCluster.Integration.Tests.Infrastructure;
using CacheCluster.Integration.Tests.Memcached.Harness;

namespace CacheCluster.Integration.Tests.Memcached;

/// <summary>
/// python-memcached (Debian python3-memcache 1.58, text protocol; /usr/bin/python3) against the node. The client
/// reports failures as False/0/None rather than raising. Scripts assert themselves and print "PASS"; every
/// expectation holds against a real memcached 1.6.
/// </summary>
public sealed class PythonMemcacheTests : IClassFixture<McSubjectFixture>
{
    private readonly McSubjectFixture _fx;

    public PythonMemcacheTests(McSubjectFixture fx) => _fx = fx;

    private const string Prelude = """
import sys, time, re
import memcache
port = int(sys.argv[1]); p = sys.argv[2]
# server_max_value_length above 1 MB so the client sends big values and the server has to refuse them
mc = memcache.Client(["127.0.0.1:%d" % port], socket_timeout=5, cache_cas=True, server_max_value_length=4 * 1024 * 1024, dead_retry=0)
def eq(actual, expected, what):
    assert actual == expected, "%s: expected %r, got %r" % (what, expected, actual)
def k(s):
    return p + s
""";

    private async Task RunAsync(string body, string name)
    {
        var prefix = McSubjectFixture.Prefix("pmc-" + name);
        var r = await ExternalTool.RunPythonAsync(Prelude + "\n" + body + "\nprint(\"PASS\")\n", new[] { _fx.Port.ToString(), prefix }, TimeSpan.FromSeconds(60));
        Assert.True(r.ExitCode == 0 && r.Stdout.TrimEnd().EndsWith("PASS"), r.Describe() + "\n" + _fx.Tail());
    }

    [Fact]
    public Task SetGetAddReplaceDelete() => RunAsync("""
eq(mc.set(k("a"), "hello"), True, "set")
eq(mc.get(k("a")), "hello", "get (str round trip)")
eq(mc.get(k("missing")), None, "get miss")
eq(mc.set(k("int"), 42), True, "set int")
eq(mc.get(k("int")), 42, "int round trip via flags")
eq(mc.set(k("obj"), {"x": [1, 2]}), True, "set pickled")
eq(mc.get(k("obj")), {"x": [1, 2]}, "pickled round trip via flags")
eq(mc.add(k("a"), "x"), False, "add existing")
eq(mc.add(k("new"), "x"), True, "add new")
eq(mc.replace(k("none"), "x"), False, "replace missing")
eq(mc.replace(k("new"), "y"), True, "replace existing")
eq(mc.get(k("new")), "y", "replaced")
eq(mc.delete(k("new")), 1, "delete")
eq(mc.delete(k("new")), 1, "python-memcache reports NOT_FOUND deletes as success too")
eq(mc.get(k("new")), None, "deleted")
eq(mc.set(k("bin"), b"\x00\x01\r\nEND\r\n\xff"), True, "binary")
eq(mc.get(k("bin")), b"\x00\x01\r\nEND\r\n\xff", "binary round trip")
""", "basic");

    [Fact]
    public Task NoReply() => RunAsync("""
eq(mc.set(k("n"), "1", noreply=True), True, "set noreply")
eq(mc.append(k("n"), "2", noreply=True), True, "append noreply")
eq(mc.prepend(k("n"), "0", noreply=True), True, "prepend noreply")
eq(mc.get(k("n")), "012", "noreply commands applied in order")
eq(mc.incr(k("n"), 8, noreply=True), None, "incr noreply")
eq(mc.get(k("n")).strip(), "20", "incr noreply applied")
eq(mc.touch(k("n"), 100, noreply=True), True, "touch noreply")
eq(mc.delete(k("n"), noreply=True), True, "delete noreply")
eq(mc.get(k("n")), None, "deleted")
eq(mc.set_multi({"x": "1", "y": "2"}, key_prefix=k(""), noreply=True), [], "set_multi noreply")
eq(mc.get_multi(["x", "y"], key_prefix=k("")), {"x": "1", "y": "2"}, "set_multi noreply applied")
""", "noreply");

    [Fact]
    public Task MultiGet_GetsCas() => RunAsync("""
data = {"m%d" % i: "v%d" % i for i in range(30)}
eq(mc.set_multi(data, key_prefix=k("")), [], "set_multi")
got = mc.get_multi(list(data) + ["absent"], key_prefix=k(""))
eq(got, data, "get_multi returns only hits")
eq(mc.gets(k("m1")), "v1", "gets")
eq(mc.cas(k("m1"), "c1"), True, "cas with the remembered CAS -> STORED")
eq(mc.get(k("m1")), "c1", "cas stored")
mc.gets(k("m2"))
mc.set(k("m2"), "changed behind our back")
eq(mc.cas(k("m2"), "mine"), False, "cas after a concurrent change -> EXISTS")
eq(mc.get(k("m2")), "changed behind our back", "not overwritten")
eq(mc.gets(k("absent")), None, "gets miss")
""", "multi");

    [Fact]
    public Task IncrDecrAppendPrependTouchExpiry() => RunAsync("""
eq(mc.incr(k("c")), None, "incr missing")
mc.set(k("c"), "7")
eq(mc.incr(k("c")), 8, "incr")
eq(mc.incr(k("c"), 10), 18, "incr by 10")
eq(mc.decr(k("c"), 100), 0, "decr floors at 0")
eq(mc.append(k("none"), "x"), False, "append missing")
mc.set(k("s"), "mid")
eq(mc.append(k("s"), ">>"), True, "append")
eq(mc.prepend(k("s"), "<<"), True, "prepend")
eq(mc.get(k("s")), "<<mid>>", "append/prepend")
eq(mc.touch(k("s"), 1), True, "touch")
eq(mc.touch(k("none"), 1), False, "touch missing")
mc.set(k("keep"), "k", time=1)
eq(mc.touch(k("keep"), 100), True, "touch extends")
mc.set(k("exp"), "e", time=1)
eq(mc.get(k("exp")), "e", "present before expiry")
time.sleep(2.5)
eq(mc.get(k("exp")), None, "expired after 1 s")
eq(mc.get(k("s")), None, "touched to 1 s, expired")
eq(mc.get(k("keep")), "k", "touch kept it")
""", "arith");

    [Fact]
    public Task LargeValues() => RunAsync("""
near = "n" * (1024 * 1024 - 1024)
eq(mc.set(k("near"), near), True, "just under 1 MB")
eq(mc.get(k("near")), near, "round trip")
mc.set(k("small"), "s")
eq(mc.set(k("small"), "o" * (1024 * 1024 + 10)), False, "over 1 MB refused (SERVER_ERROR object too large for cache)")
eq(mc.get(k("small")), None, "the failed set removed the old value")
eq(mc.set(k("after"), "ok"), True, "connection still in sync")
eq(mc.get(k("after")), "ok", "after")
""", "large");

    [Fact]
    public Task StatsFlush() => RunAsync("""
stats = dict(mc.get_stats()[0][1])
for name in ("pid", "uptime", "version", "curr_items", "cmd_get", "cmd_set", "get_hits", "get_misses"):
    assert name in stats, "stat %s missing: %r" % (name, sorted(stats))
assert re.match(r"^\d+\.\d+\.\d+", stats["version"]), stats["version"]
mc.set(k("x"), "1")
eq(mc.flush_all(), None, "flush_all")
eq(mc.get(k("x")), None, "flushed")
""", "stats");
}
