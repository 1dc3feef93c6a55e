using CacheCluster.Integration.Tests.Infrastructure;
using CacheCluster.Integration.Tests.Memcached.Harness;

namespace CacheCluster.Integration.Tests.Memcached;

/// <summary>
/// pymemcache (Debian python3-pymemcache 3.5, text protocol; run with /usr/bin/python3) against the node. Scripts
/// assert themselves and print "PASS". Every expectation holds against a real memcached 1.6.
/// </summary>
public sealed class PymemcacheTests : IClassFixture<McSubjectFixture>
{
    private readonly McSubjectFixture _fx;

    public PymemcacheTests(McSubjectFixture fx) => _fx = fx;

    private const string Prelude = """
import sys, time
from pymemcache.client.base import Client
from pymemcache.exceptions import MemcacheServerError, MemcacheClientError, MemcacheIllegalInputError
port = int(sys.argv[1]); p = sys.argv[2]
c = Client(("127.0.0.1", port), connect_timeout=5, timeout=5, default_noreply=False)
def eq(actual, expected, what):
    assert actual == expected, "%s: expected %r, got %r" % (what, expected, actual)
def k(s):
    return p + s
""";

    private async Task RunAsync(string body, string name)
    {
        var prefix = McSubjectFixture.Prefix("pym-" + name);
        var r = await ExternalTool.RunPythonAsync(Prelude + "\n" + body + "\nprint(\"PASS\")\n", new[] { _fx.Port.ToString(), prefix }, TimeSpan.FromSeconds(60));
        Assert.True(r.ExitCode == 0 && r.Stdout.TrimEnd().EndsWith("PASS"), r.Describe() + "\n" + _fx.Tail());
    }

    [Fact]
    public Task SetGetAddReplaceDelete() => RunAsync("""
eq(c.set(k("a"), b"hello"), True, "set")
eq(c.get(k("a")), b"hello", "get")
eq(c.get(k("missing")), None, "get miss")
eq(c.set(k("f"), b"v", flags=12345), True, "set with flags")
eq(c.add(k("a"), b"x"), False, "add existing")
eq(c.add(k("new"), b"x"), True, "add new")
eq(c.replace(k("none"), b"x"), False, "replace missing")
eq(c.replace(k("new"), b"y"), True, "replace existing")
eq(c.get(k("new")), b"y", "replaced")
eq(c.delete(k("new")), True, "delete")
eq(c.delete(k("new")), False, "delete missing")
eq(c.get(k("new")), None, "deleted")
binary = bytes(range(256)) * 4 + b"\r\nEND\r\n"
eq(c.set(k("bin"), binary), True, "binary value")
eq(c.get(k("bin")), binary, "binary round trip (CRLF and END inside)")
eq(c.set(k("empty"), b""), True, "empty value")
eq(c.get(k("empty")), b"", "empty round trip")
longkey = k("x" * (250 - len(p) - 1))
eq(c.set(longkey, b"L"), True, "250-byte key")
eq(c.get(longkey), b"L", "250-byte key get")
""", "basic");

    [Fact]
    public Task NoReplyPaths() => RunAsync("""
eq(c.set(k("n"), b"1", noreply=True), True, "set noreply")
eq(c.add(k("n"), b"2", noreply=True), True, "add noreply (failure not reported)")
eq(c.append(k("n"), b"2", noreply=True), True, "append noreply")
eq(c.prepend(k("n"), b"0", noreply=True), True, "prepend noreply")
eq(c.get(k("n")), b"012", "noreply commands took effect in order")
eq(c.incr(k("n"), 5, noreply=True), None, "incr noreply")
eq(c.decr(k("n"), 7, noreply=True), None, "decr noreply")
eq(int(c.get(k("n")).strip()), 10, "incr/decr noreply applied")
eq(c.touch(k("n"), 100, noreply=True), True, "touch noreply")
eq(c.delete(k("n"), noreply=True), True, "delete noreply")
eq(c.get(k("n")), None, "deleted by noreply delete")
c.set_many({k("m1"): b"a", k("m2"): b"b"}, noreply=True)
eq(c.get_many([k("m1"), k("m2")]), {k("m1"): b"a", k("m2"): b"b"}, "set_many noreply")
eq(c.flush_all(noreply=True), True, "flush_all noreply")
eq(c.get(k("m1")), None, "flushed")
""", "noreply");

    [Fact]
    public Task MultiGet_GetsCas() => RunAsync("""
keys = [k("g%d" % i) for i in range(40)]
for i, key in enumerate(keys):
    if i % 3 == 0:
        c.set(key, b"v%d" % i)
got = c.get_many(keys + [k("nope")])
eq(sorted(got), sorted(keys[::3]), "get_many returns only hits")
for i, key in enumerate(keys[::3]):
    eq(got[key], b"v%d" % (i * 3), "get_many value")
v, cas = c.gets(k("g0"))
eq(v, b"v0", "gets value")
assert int(cas) > 0, "gets cas %r" % cas
eq(c.gets(k("nope")), (None, None), "gets miss")
many = c.gets_many([k("g0"), k("g3"), k("nope")])
eq(sorted(many), sorted([k("g0"), k("g3")]), "gets_many")
eq(many[k("g0")], (b"v0", cas), "gets_many carries the same cas")
eq(c.cas(k("g0"), b"changed", int(cas) + 1000), False, "cas mismatch -> EXISTS")
eq(c.get(k("g0")), b"v0", "unchanged after mismatch")
eq(c.cas(k("g0"), b"changed", cas), True, "cas match -> STORED")
eq(c.get(k("g0")), b"changed", "cas stored")
eq(c.cas(k("g0"), b"again", cas), False, "old cas no longer valid")
eq(c.cas(k("nope"), b"x", cas), None, "cas on missing -> NOT_FOUND")
v2, cas2 = c.gets(k("g0"))
assert cas2 != cas, "cas changes on update"
""", "multi");

    [Fact]
    public Task IncrDecrAppendPrependTouch() => RunAsync("""
eq(c.incr(k("ctr"), 1), None, "incr missing")
c.set(k("ctr"), b"10")
eq(c.incr(k("ctr"), 5), 15, "incr")
eq(c.decr(k("ctr"), 20), 0, "decr floors at 0")
eq(c.incr(k("ctr"), 18446744073709551615), 18446744073709551615, "incr by 2^64-1")
c.set(k("ctr"), b"3")
eq(c.incr(k("ctr"), 18446744073709551615), 2, "incr wraps at 2^64")
c.set(k("txt"), b"abc")
try:
    c.incr(k("txt"), 1); assert False, "incr on text must fail"
except MemcacheClientError as e:
    eq(str(e), "b'cannot increment or decrement non-numeric value'", "non-numeric error")
try:
    c.incr(k("ctr"), -1); assert False, "negative delta must fail"
except (MemcacheClientError, MemcacheIllegalInputError):
    pass
eq(c.append(k("none"), b"x"), False, "append missing")
c.set(k("s"), b"mid")
eq(c.append(k("s"), b">>"), True, "append")
eq(c.prepend(k("s"), b"<<"), True, "prepend")
eq(c.get(k("s")), b"<<mid>>", "append/prepend")
eq(c.touch(k("s"), 1), True, "touch")
eq(c.touch(k("none"), 1), False, "touch missing")
c.set(k("keep"), b"k", expire=1)
eq(c.touch(k("keep"), 100), True, "touch extends")
c.set(k("gone"), b"g", expire=1)
eq(c.get(k("gone")), b"g", "present before expiry")
c.set(k("neg"), b"n", expire=-1)
eq(c.get(k("neg")), None, "negative exptime: expired immediately")
time.sleep(2.5)
eq(c.get(k("gone")), None, "expired after 1 s TTL")
eq(c.get(k("s")), None, "touched to 1 s, expired")
eq(c.get(k("keep")), b"k", "touch kept it")
""", "arith");

    [Fact]
    public Task LargeValues_NearAndAboveOneMegabyte() => RunAsync("""
near = b"n" * (1024 * 1024 - 1024)
eq(c.set(k("near"), near), True, "just under 1 MB")
eq(c.get(k("near")), near, "just under 1 MB round trip")
eq(c.set(k("small"), b"s"), True, "small")
for size in (1024 * 1024, 1024 * 1024 + 1, 2 * 1024 * 1024):
    try:
        c.set(k("small"), b"o" * size); assert False, "%d bytes must be refused" % size
    except MemcacheServerError as e:
        eq(str(e), "b'object too large for cache'", "too large error")
eq(c.get(k("small")), None, "a failed too-large set removes the old value")
eq(c.set(k("after"), b"ok"), True, "connection usable after the swallowed value")
eq(c.get(k("after")), b"ok", "and in sync")
""", "large");

    [Fact]
    public Task StatsVersionFlush() => RunAsync("""
v = c.version()
import re
assert re.match(rb"^\d+\.\d+\.\d+", v), "version %r" % v
st = c.stats()
for name in (b"pid", b"uptime", b"time", b"version", b"curr_items", b"total_items", b"cmd_get", b"cmd_set", b"get_hits", b"get_misses", b"curr_connections", b"limit_maxbytes", b"threads"):
    assert name in st, "stat %r missing from %r" % (name, sorted(st))
c.set(k("x"), b"1")
eq(c.flush_all(), True, "flush_all")
eq(c.get(k("x")), None, "flushed")
eq(c.set(k("x"), b"2"), True, "set after flush")
eq(c.get(k("x")), b"2", "usable after flush")
""", "stats");
}
