using CacheCluster.Integration.Tests.Infrastructure;

namespace CacheCluster.Integration.Tests;

/// <summary>
/// redis-py (Debian python3-redis, run with /usr/bin/python3) against the node. Each script asserts itself and
/// prints "PASS" at the end; the C# side asserts the exit code and the marker and shows the script's output on failure.
/// Note: the installed redis-py is 4.3.x, which has no protocol=3 support; RESP3 is covered by redis-cli -3 and the differential tests.
/// </summary>
[Collection(SharedNodeCollection.Name)]
public sealed class RedisPyTests
{
    private readonly SharedNodeFixture _fx;

    public RedisPyTests(SharedNodeFixture fx) => _fx = fx;

    private const string Prelude = """
import sys, time, threading, redis
port = int(sys.argv[1]); p = sys.argv[2]
r = redis.Redis(host="127.0.0.1", port=port, socket_timeout=10, socket_connect_timeout=10)
def eq(actual, expected, what):
    assert actual == expected, "%s: expected %r, got %r" % (what, expected, actual)
""";

    private async Task RunAsync(string body, string name)
    {
        var prefix = SharedNodeFixture.Prefix("py-" + name);
        var r = await ExternalTool.RunPythonAsync(Prelude + "\n" + body + "\nprint(\"PASS\")\n", new[] { _fx.Node.RespPort.ToString(), prefix }, TimeSpan.FromSeconds(90));
        Assert.True(r.ExitCode == 0 && r.Stdout.TrimEnd().EndsWith("PASS"), r.Describe() + "\n" + Tail(_fx.Node.Output));
    }

    private static string Tail(string s) => "--- node output (tail) ---\n" + (s.Length > 2000 ? s[^2000..] : s);

    [Fact]
    public Task Strings() => RunAsync("""
eq(r.ping(), True, "ping")
eq(r.echo("hi there"), b"hi there", "echo")
eq(r.set(p+"a", "hello"), True, "set")
eq(r.get(p+"a"), b"hello", "get")
eq(r.get(p+"missing"), None, "get missing")
eq(r.set(p+"a", "x", nx=True), None, "set nx on existing")
eq(r.set(p+"new", "x", xx=True), None, "set xx on missing")
eq(r.set(p+"a", "world", get=True), b"hello", "set get")
eq(r.setnx(p+"a", "zzz"), False, "setnx existing")
eq(r.setnx(p+"nx", "v"), True, "setnx new")
eq(r.append(p+"a", "!!"), 7, "append")
eq(r.strlen(p+"a"), 7, "strlen")
eq(r.getrange(p+"a", 0, 4), b"world", "getrange")
eq(r.getrange(p+"a", -2, -1), b"!!", "getrange neg")
eq(r.setrange(p+"a", 5, "??"), 7, "setrange")
eq(r.get(p+"a"), b"world??", "after setrange")
eq(r.setrange(p+"pad", 3, "x"), 4, "setrange pad")
eq(r.get(p+"pad"), b"\x00\x00\x00x", "zero padding")
eq(r.incr(p+"n"), 1, "incr")
eq(r.incrby(p+"n", 41), 42, "incrby")
eq(r.decr(p+"n"), 41, "decr")
eq(r.decrby(p+"n", 50), -9, "decrby")
eq(r.incrbyfloat(p+"f", 10.5), 10.5, "incrbyfloat")
eq(r.incrbyfloat(p+"f", 0.1), 10.6, "incrbyfloat 2")
eq(r.get(p+"f"), b"10.6", "float text")
eq(r.incrbyfloat(p+"f", -0.6), 10.0, "incrbyfloat 3")
eq(r.get(p+"f"), b"10", "float text trims zeros")
eq(r.getset(p+"n", "0"), b"-9", "getset")
eq(r.getdel(p+"n"), b"0", "getdel")
eq(r.exists(p+"n"), 0, "getdel removed")
try:
    r.incr(p+"a"); assert False, "incr on text must fail"
except redis.ResponseError as e:
    eq(str(e), "value is not an integer or out of range", "incr error text")
try:
    r.incrbyfloat(p+"a", 1); assert False, "incrbyfloat on text must fail"
except redis.ResponseError as e:
    eq(str(e), "value is not a valid float", "incrbyfloat error text")
r.set(p+"big", "9223372036854775807")
try:
    r.incr(p+"big"); assert False, "overflow must fail"
except redis.ResponseError as e:
    eq(str(e), "increment or decrement would overflow", "overflow text")
eq(r.setex(p+"sx", 100, "v"), True, "setex")
assert 98 <= r.ttl(p+"sx") <= 100, "setex ttl"
eq(r.psetex(p+"psx", 100000, "v"), True, "psetex")
assert 98000 <= r.pttl(p+"psx") <= 100000, "psetex pttl"
eq(r.getex(p+"sx", persist=True), b"v", "getex persist")
eq(r.ttl(p+"sx"), -1, "persisted")
eq(r.getex(p+"sx", ex=50), b"v", "getex ex")
assert 48 <= r.ttl(p+"sx") <= 50, "getex ttl"
eq(r.set(p+"k", "v", ex=100, keepttl=False), True, "set ex")
eq(r.set(p+"k", "v2", keepttl=True), True, "set keepttl")
assert 98 <= r.ttl(p+"k") <= 100, "keepttl kept ttl"
""", "strings");

    [Fact]
    public Task MultiKey_AcrossSlots() => RunAsync("""
keys = [p + str(i) for i in range(50)]  # many different hash slots
eq(r.mset({k: "v-" + k for k in keys}), True, "mset")
eq(r.mget(keys + [p+"missing"]), [("v-" + k).encode() for k in keys] + [None], "mget")
eq(r.msetnx({p+"0": "x", p+"new1": "y"}), False, "msetnx with existing")
eq(r.exists(p+"new1"), 0, "msetnx is atomic")
eq(r.msetnx({p+"new1": "x", p+"new2": "y"}), True, "msetnx")
eq(r.exists(*keys), 50, "exists many")
eq(r.touch(*keys[:10]), 10, "touch")
eq(r.delete(*keys[:25]), 25, "del many")
eq(r.unlink(*keys), 25, "unlink rest")
eq(r.mget(keys[:3]), [None, None, None], "mget after delete")
""", "multikey");

    [Fact]
    public Task Keys_ExpiryAndScan() => RunAsync("""
r.set(p+"e", "v")
eq(r.expire(p+"e", 100), True, "expire")
assert 99 <= r.ttl(p+"e") <= 100, "ttl"
assert 99000 <= r.pttl(p+"e") <= 100000, "pttl"
now = int(time.time())
assert now + 98 <= r.execute_command("EXPIRETIME", p+"e") <= now + 101, "expiretime"
eq(r.persist(p+"e"), True, "persist")
eq(r.ttl(p+"e"), -1, "ttl after persist")
eq(r.ttl(p+"nope"), -2, "ttl missing")
eq(r.pexpire(p+"e", 300), True, "pexpire")
time.sleep(0.7)
eq(r.get(p+"e"), None, "expired by time")
eq(r.exists(p+"e"), 0, "expired key gone")
r.set(p+"px", "v", px=250)
time.sleep(0.6)
eq(r.get(p+"px"), None, "px expired")
r.set(p+"ea", "v")
eq(r.expireat(p+"ea", int(time.time()) + 1000), True, "expireat")
eq(r.execute_command("EXPIRE", p+"ea", 10, "NX"), 0, "expire NX with ttl")
eq(r.execute_command("EXPIRE", p+"ea", 10, "GT"), 0, "expire GT smaller")
eq(r.execute_command("EXPIRE", p+"ea", 5000, "GT"), 1, "expire GT larger")
eq(r.pexpireat(p+"ea", 1000), True, "pexpireat past deletes")
eq(r.exists(p+"ea"), 0, "deleted by past pexpireat")
eq(r.set(p+"t", "v"), True, "set")
eq(r.type(p+"t"), b"string", "type")
eq(r.type(p+"none"), b"none", "type none")
eq(r.rename(p+"t", p+"t2"), True, "rename")
eq(r.renamenx(p+"t2", p+"t2"), False, "renamenx same")
eq(r.copy(p+"t2", p+"t3"), True, "copy")
eq(r.copy(p+"t2", p+"t3"), False, "copy exists")
eq(r.copy(p+"t2", p+"t3", replace=True), True, "copy replace")
try:
    r.rename(p+"nope", p+"x"); assert False
except redis.ResponseError as e:
    eq(str(e), "no such key", "rename missing")
for i in range(120):
    r.set("%sscan:%d" % (p, i), i)
found = set(r.scan_iter(match=p+"scan:*", count=10))
eq(found, set(("%sscan:%d" % (p, i)).encode() for i in range(120)), "scan_iter")
found_typed = set(r.scan_iter(match=p+"scan:*", _type="string"))
eq(len(found_typed), 120, "scan TYPE string")
eq(set(r.scan_iter(match=p+"scan:*", _type="list")), set(), "scan TYPE list")
eq(sorted(r.keys(p+"scan:1?")), sorted(("%sscan:%d" % (p, i)).encode() for i in range(10, 20)), "keys pattern")
assert r.randomkey() is not None, "randomkey"
assert r.dbsize() >= 120, "dbsize"
""", "keys");

    [Fact]
    public Task Pipeline_1000Commands() => RunAsync("""
pipe = r.pipeline(transaction=False)
for i in range(1000):
    if i % 4 == 0: pipe.set("%sp:%d" % (p, i), i)
    elif i % 4 == 1: pipe.incr(p+"counter")
    elif i % 4 == 2: pipe.get("%sp:%d" % (p, i - 2))
    else: pipe.exists("%sp:%d" % (p, i - 3))
res = pipe.execute()
eq(len(res), 1000, "1000 replies")
for i, v in enumerate(res):
    if i % 4 == 0: eq(v, True, "set %d" % i)
    elif i % 4 == 1: eq(v, i // 4 + 1, "incr %d" % i)
    elif i % 4 == 2: eq(v, str(i - 2).encode(), "get %d" % i)
    else: eq(v, 1, "exists %d" % i)
eq(r.get(p+"counter"), b"250", "counter")
# errors inside a pipeline are returned in place, the rest still succeeds
pipe = r.pipeline(transaction=False)
pipe.set(p+"t", "text"); pipe.incr(p+"t"); pipe.get(p+"t")
res = pipe.execute(raise_on_error=False)
eq(res[0], True, "pipe set")
assert isinstance(res[1], redis.ResponseError), "pipe error in place: %r" % (res[1],)
eq(res[2], b"text", "pipe after error")
""", "pipeline");

    [Fact]
    public Task BinaryKeysAndValues() => RunAsync("""
allbytes = bytes(range(256))
eq(r.set(p.encode() + b"\x00\r\n\xff", allbytes), True, "set binary")
eq(r.get(p.encode() + b"\x00\r\n\xff"), allbytes, "get binary")
eq(r.strlen(p.encode() + b"\x00\r\n\xff"), 256, "strlen binary")
big = bytes((i * 7) % 256 for i in range(512 * 1024))
eq(r.set(p+"big", big), True, "set 512KB")
eq(r.get(p+"big"), big, "get 512KB")
eq(r.append(p+"big", b"\x00tail"), 512 * 1024 + 5, "append")
eq(r.getrange(p+"big", -5, -1), b"\x00tail", "getrange tail")
eq(r.set(p+"empty", b""), True, "set empty")
eq(r.get(p+"empty"), b"", "empty value is not nil")
eq(r.exists(p+"empty"), 1, "empty value exists")
eq(r.set("", "empty key"), True, "empty key")
eq(r.get(""), b"empty key", "empty key get")
eq(r.delete(""), 1, "delete empty key")
u = "h\u00e9llo \u2603 \U0001F600"
eq(r.set(p+"u", u), True, "set utf8")
eq(r.get(p+"u").decode("utf-8"), u, "utf8 roundtrip")
eq(r.strlen(p+"u"), len(u.encode("utf-8")), "utf8 byte length")
""", "binary");

    [Fact]
    public Task ConnectionAndServerCommands() => RunAsync("""
eq(r.client_setname("py-conn"), True, "setname")
eq(r.client_getname(), "py-conn", "getname")
cid = r.client_id()
assert isinstance(cid, int) and cid > 0, "client id %r" % (cid,)
clients = r.client_list()
assert any(c.get("name") == "py-conn" for c in clients), "client list has our name: %r" % (clients,)
assert all("id" in c and "addr" in c for c in clients), "client list fields: %r" % (clients,)
info = r.client_info()
eq(info.get("name"), "py-conn", "client info name")
eq(str(info.get("id")), str(cid), "client info id")
eq(r.execute_command("CLIENT", "SETINFO", "lib-name", "redis-py"), b"OK", "setinfo")
i = r.info()
assert isinstance(i, dict) and len(i) > 0, "info parsed"
assert "connected_clients" in i, "info has connected_clients: %r" % (sorted(i.keys()),)
cfg = r.config_get("maxmemory-policy")
assert "maxmemory-policy" in cfg, "config get %r" % (cfg,)
t = r.time()
assert abs(t[0] - time.time()) < 5 and 0 <= t[1] < 1000000, "time %r" % (t,)
assert r.dbsize() >= 0, "dbsize"
r.set(p+"o", "12345")
eq(r.object("encoding", p+"o"), b"int", "object encoding int")
r.set(p+"o2", "hello")
eq(r.object("encoding", p+"o2"), b"embstr", "object encoding embstr")
assert isinstance(r.object("idletime", p+"o"), int), "idletime"
assert isinstance(r.object("refcount", p+"o"), int), "refcount"
mu = r.memory_usage(p+"o2")
assert isinstance(mu, int) and mu > 0, "memory usage %r" % (mu,)
eq(r.memory_usage(p+"nokey"), None, "memory usage missing")
eq(r.execute_command("CLUSTER", "KEYSLOT", "somekey"), 11058, "keyslot")
hello = r.execute_command("HELLO", "2")
hd = dict(zip(hello[::2], hello[1::2]))
eq(hd[b"proto"], 2, "hello 2 proto")
assert r.command_count() > 30, "command count"
try:
    r.execute_command("NOSUCHCMD", "x")
    assert False
except redis.ResponseError as e:
    eq(str(e), "unknown command 'NOSUCHCMD', with args beginning with: 'x' ", "unknown command text")
""", "server");

    [Fact]
    public Task ConcurrentClients_ThreadsShareAPool() => RunAsync("""
pool = redis.ConnectionPool(host="127.0.0.1", port=port, socket_timeout=10, max_connections=16)
errors = []
def work(n):
    try:
        c = redis.Redis(connection_pool=pool)
        for i in range(300):
            c.incr(p+"shared")
            c.set("%sw%d:%d" % (p, n, i), i)
            assert c.get("%sw%d:%d" % (p, n, i)) == str(i).encode()
    except Exception as e:
        errors.append(repr(e))
threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
for t in threads: t.start()
for t in threads: t.join(60)
eq(errors, [], "worker errors")
eq(r.get(p+"shared"), b"2400", "atomic increments")
""", "concurrent");
}
