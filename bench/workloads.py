#!/usr/bin/python3
"""Workload benchmarks beyond 32-byte SET/GET: CacheCluster side by side with Redis 7 and memcached
1.6 on loopback, Release build, every round running the peer and then the target so machine noise
hits both. Peers: redis-server with persistence on like our default (appendonly yes, appendfsync
everysec, --maxclients 10000); memcached -t 4 -m 1024 -c 4096. CacheCluster: `serve` with default
options (256 shards, durability everysec) but its ports and a throwaway data directory.

  bench/workloads.py values  [--requests 200000]
      redis-benchmark SET and GET, 50 clients, pipeline 1, 1 KB values over 100k keys and 100 KB
      values over 1,000 keys (--requests / 20 for 100 KB), keys preloaded so every GET hits.
  bench/workloads.py mget    [--requests 200000] [--seconds 5]
      Multi-get of 100 keys (--requests / 20 MGETs) of 100k preloaded 32-byte keys: RESP MGET with
      100 random keys (redis-benchmark) vs Redis; memcached get of 100 keys (memcaslap --division=100,
      text and binary, gets only after memcaslap's own warm-up) vs memcached. ops = multi-gets.
  bench/workloads.py mix     [--seconds 5] [--zipf 0.99]
      90% GET / 10% SET, Zipf-distributed keys (s = 0.99, 100k keys, 32-byte values, 50
      connections, one request in flight each) with bench/mixgen.c, compiled here with cc: RESP vs
      Redis and memcached text vs memcached. (redis-benchmark cannot mix; memcaslap has no skew.)
  bench/workloads.py conns   [--requests 200000] [--seconds 5]
      1,000 connections: redis-benchmark -c 1000 SET and GET vs Redis; memcaslap -c 1000
      (90% get / 10% set, text) vs memcached.
  bench/workloads.py cluster [--requests 200000]
      3 local nodes (a cluster started like bench/cluster.py does) vs 1 node, both CacheCluster:
      3 redis-benchmark processes at once (17/17/16 clients, random keys over 100k preloaded keys)
      sent to the 3 nodes' RESP ports (about 2/3 of commands take a hop to the owner), or all to the
      single node. Throughput = all requests / wall time; CPU per op sums the 3 nodes.

Each prints per-round lines, a table of medians, and the lines
  RATIOS name=target/peer throughput ...   (higher is better)
  CPU name=target/peer server CPU per op ...   (lower is better)
  P99 name=target/peer p99 latency ...   (lower is better)
where target = CacheCluster (cluster: 3 nodes) and peer = Redis or memcached (cluster: 1 node).
p50/p99: redis-benchmark's and mixgen's own percentiles; memcaslap only keeps a log2 histogram,
so its percentiles are estimated from that (buckets a factor of 2 wide, interpolated).
Server CPU per op = user+system CPU of the server process (and its reaped children: Redis's AOF
rewrite fork) during the run / operations.

  --rounds N (default 3)  --smoke (tiny sizes, 1 round: proves the harness runs, for CI)
  --json FILE  appends the medians as [{"workload", "server", "ops_per_sec", "cpu_us_per_op",
               "p50_ms", "p99_ms", ...}] (a list, created if missing) for charts.
  CACHECLUSTER_DLL=path/CacheCluster.Server.dll runs that build instead of building this checkout.
"""
import argparse, csv, ctypes, datetime, json, os, re, resource, shutil, signal, socket, statistics, subprocess, sys, tempfile, threading, time, urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # no bench/__pycache__ from importing benchlib and cluster
sys.path.insert(0, HERE)
from benchlib import DLL, cpu_seconds_all, ensure_built, free_port, wait_ready  # noqa: E402

CLIENTS = 50
STARTED = []     # every server process we started: stopped in main()'s finally, whatever happens
TIMEOUT = 300    # seconds, per load-generator run
_libc = ctypes.CDLL(None, use_errno=True)


def _die_with_parent():
    _libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG: a server never outlives this script


# ---------------------------------------------------------------------------------------------- servers

class Server:
    kind = "?"

    def cpu(self): return cpu_seconds_all(self.proc.pid)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


class CacheNode(Server):
    kind = "cachecluster"

    def __init__(self, work):
        self.resp, self.admin, self.mc = free_port(), free_port(), free_port()
        data = os.path.join(work, f"cc-{self.resp}")
        self.log = open(data + ".log", "w")
        self.proc = subprocess.Popen(["dotnet", DLL, "serve", "--resp-port", str(self.resp), "--admin-port", str(self.admin),
                                      "--memcached-port", str(self.mc), "--data-dir", data],
                                     stdout=self.log, stderr=subprocess.STDOUT, preexec_fn=_die_with_parent)
        STARTED.append(self)
        try:
            wait_ready(self.admin, self.proc, self.log.name)
        except RuntimeError as e:
            raise SystemExit(str(e))


def wait_port(port, proc, what):
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close(); return
        except OSError:
            if proc.poll() is not None: raise SystemExit(f"{what} exited")
            time.sleep(0.05)
    raise SystemExit(f"{what} never opened port {port}")


class RedisPeer(Server):
    kind = "redis"

    def __init__(self, work):
        self.resp = free_port()
        d = os.path.join(work, f"redis-{self.resp}"); os.makedirs(d)
        self.proc = subprocess.Popen(["redis-server", "--port", str(self.resp), "--bind", "127.0.0.1", "--save", "", "--appendonly", "yes",
                                      "--appendfsync", "everysec", "--dir", d, "--maxclients", "10000", "--logfile", os.path.join(d, "log")],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=_die_with_parent)
        STARTED.append(self)
        wait_port(self.resp, self.proc, "redis-server")


class MemcachedPeer(Server):
    kind = "memcached"

    def __init__(self):
        self.mc = free_port()
        args = ["memcached", "-p", str(self.mc), "-U", "0", "-t", "4", "-m", "1024", "-c", "4096", "-l", "127.0.0.1"]
        if os.geteuid() == 0: args += ["-u", "root"]  # memcached refuses to run as root without it
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=_die_with_parent)
        STARTED.append(self)
        wait_port(self.mc, self.proc, "memcached")


# ---------------------------------------------------------------------------------------------- load

def preload(port, keys, size, start=0):
    """SETs key:%012d (redis-benchmark's key names) for start <= i < keys, through redis-cli --pipe."""
    p = subprocess.Popen(["redis-cli", "-p", str(port), "--pipe"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    val = b"v" * size
    head = b"$%d\r\n" % size
    buf, n = [], 0
    for i in range(start, keys):
        buf.append(b"*3\r\n$3\r\nSET\r\n$16\r\nkey:%012d\r\n%s%s\r\n" % (i, head, val))
        n += size + 64
        if n > 4 << 20:
            p.stdin.write(b"".join(buf)); buf.clear(); n = 0
    p.stdin.write(b"".join(buf)); p.stdin.close()
    out = p.stdout.read().decode(errors="replace"); p.wait()
    if p.returncode != 0 or "errors: 0" not in out: raise SystemExit(f"preload on port {port} failed: {out[-300:]}")


def redis_benchmark(port, args, requests, clients=CLIENTS):
    """One redis-benchmark run (one test) -> {"ops", "ops_per_sec", "p50", "p99"}, or None if it failed."""
    cmd = ["redis-benchmark", "-h", "127.0.0.1", "-p", str(port), "-c", str(clients), "-n", str(requests), "--csv", *args]
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        print(f"  redis-benchmark timed out after {TIMEOUT} s: {' '.join(cmd)[:200]}", flush=True); return None
    return parse_rb_csv(r.stdout, requests, r.stderr)


def parse_rb_csv(out, requests, err=""):
    rows = [row for row in csv.reader(out.splitlines()) if row]
    if len(rows) < 2 or rows[0][:2] != ["test", "rps"]:
        print(f"  redis-benchmark gave no result: {(out + err).strip()[-300:]}", flush=True); return None
    row = dict(zip(rows[0], rows[1]))
    return {"ops": requests, "ops_per_sec": float(row["rps"]), "p50": float(row["p50_latency_ms"]), "p99": float(row["p99_latency_ms"])}


def log2_percentile(dist, q):
    """memcaslap's histogram: dist[i] counts latencies t (us) with 2^(i-1) < t <= 2^i. Geometric
    interpolation inside the bucket; returns ms."""
    total = sum(dist.values())
    want, acc = q * total, 0
    for i in sorted(dist):
        if dist[i] and acc + dist[i] >= want:
            frac = (want - acc) / dist[i]
            return (2 ** (i - 1 + frac) if i > 0 else frac) / 1000
        acc += dist[i]
    return None


def memcaslap(port, seconds, servers, clients=CLIENTS, extra=()):
    """One memcaslap run -> {"ops", "ops_per_sec", "p50", "p99", "cpu_us"} (ops = requests; a multi-get
    is one), or None if it failed. memcaslap first SETs its keys when the mix has no SETs, outside
    its measured time, so throughput and server CPU are taken between its first and last 1-second
    reports (stdbuf: line by line as they come); percentiles from its final histogram."""
    cmd = ["stdbuf", "-oL", "memcaslap", "-s", f"127.0.0.1:{port}", "-t", f"{seconds}s", "-S", "1s", "-c", str(clients), "-T", "2", *extra]
    c0 = sum(s.cpu() for s in servers)
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    timer = threading.Timer(seconds + TIMEOUT, p.kill); timer.start()
    out, marks, in_total = [], [], False
    try:
        for line in p.stdout:
            out.append(line)
            if line.startswith("Total Statistics"): in_total = line.strip() == "Total Statistics"
            elif in_total and line.startswith("Global"):
                marks.append((time.time(), sum(s.cpu() for s in servers), int(line.split()[2]))); in_total = False
        p.wait()
    finally:
        timer.cancel()
        if p.poll() is None: p.kill(); p.wait()
    c1 = sum(s.cpu() for s in servers)
    r = parse_memcaslap("".join(out))
    if r is None: return None
    if len(marks) >= 2 and marks[-1][2] > marks[0][2]:
        (ta, ca, oa), (tb, cb, ob) = marks[0], marks[-1]
        r["ops_per_sec"], r["cpu_us"] = (ob - oa) / (tb - ta), (cb - ca) / (ob - oa) * 1e6
    else:  # a 1-second run: whole run, warm-up included
        r["cpu_us"] = (c1 - c0) / r["ops"] * 1e6 if r["ops"] else None
    return r


def parse_memcaslap(out):
    m = re.search(r"^Total Statistics \((\d+) events\)\n(.*?)\n\n", out, re.S | re.M)
    rt = re.search(r"^Run time: ([\d.]+)s Ops: (\d+)", out, re.M)
    if not m or not rt or float(rt.group(1)) <= 0:
        print(f"  memcaslap gave no result: {out.strip()[-300:]}", flush=True); return None
    events, secs = int(m.group(1)), float(rt.group(1))
    miss = re.search(r"^get_misses: (\d+)", out, re.M)
    if miss and int(miss.group(1)):
        print(f"  memcaslap: {miss.group(1)} get misses (keys it had set were not found)", flush=True)
    dist = {}
    for row in re.finditer(r"^\s+(\d+):((?:\s+\d+)+)\s*$", m.group(2), re.M):
        for j, v in enumerate(row.group(2).split()): dist[int(row.group(1)) + j] = int(v)
    return {"ops": events, "ops_per_sec": events / secs, "p50": log2_percentile(dist, 0.50), "p99": log2_percentile(dist, 0.99)}


def build_mixgen(work):
    cc = shutil.which("cc") or shutil.which("gcc")
    if not cc: raise SystemExit("mix needs a C compiler (cc) to build bench/mixgen.c")
    exe = os.path.join(work, "mixgen")
    subprocess.run([cc, "-O2", "-o", exe, os.path.join(HERE, "mixgen.c"), "-lm", "-lpthread"], check=True)
    return exe


def mixgen(exe, port, proto, seconds, keys, zipf, value, clients=CLIENTS, load=False):
    cmd = [exe, "-p", str(port), "-P", proto, "-c", str(clients), "-t", str(seconds), "-k", str(keys), "-z", str(zipf), "-g", "0.9", "-d", str(value)]
    if load: cmd.append("-L")
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + TIMEOUT)
    except subprocess.TimeoutExpired:
        print(f"  mixgen timed out: {' '.join(cmd)}", flush=True); return None
    m = re.search(r"^MIXGEN (.*)$", r.stdout, re.M)
    if not m:
        print(f"  mixgen gave no result: {(r.stdout + r.stderr).strip()[-300:]}", flush=True); return None
    f = dict(kv.split("=", 1) for kv in m.group(1).split())
    if int(f["errors"]) or (int(f["gets"]) and int(f["misses"])):
        print(f"  mixgen on port {port}: {f['errors']} errors, {f['misses']} misses of {f['gets']} gets", flush=True)
    return {"ops": int(f["ops"]), "ops_per_sec": float(f["ops_per_sec"]), "p50": float(f["p50_ms"]), "p99": float(f["p99_ms"])}


# ---------------------------------------------------------------------------------------------- results

class Results:
    def __init__(self, suite, a):
        self.suite, self.a = suite, a
        self.runs = {}    # (workload, server) -> [sample]
        self.pairs = []   # (workload, peer, target), in first-seen order
        self.notes = []

    def pair(self, workload, peer, target):
        if (workload, peer, target) not in self.pairs: self.pairs.append((workload, peer, target))

    def measure(self, rnd, workload, server, servers, fn):
        """Runs fn() -> {"ops", "ops_per_sec", "p50", "p99"[, "cpu_us"]} | None while counting the servers' CPU."""
        c0 = sum(s.cpu() for s in servers)
        r = fn()
        c1 = sum(s.cpu() for s in servers)
        if r is None: r = {"ops": 0, "ops_per_sec": 0.0, "p50": None, "p99": None}
        if "cpu_us" not in r: r["cpu_us"] = (c1 - c0) / r["ops"] * 1e6 if r["ops"] else None
        self.runs.setdefault((workload, server), []).append(r)
        print(f"round {rnd + 1} {workload:16s} {server:12s} {r['ops_per_sec']:10.0f} ops/s  {fmt(r['cpu_us'], 6, 2)} us CPU/op  "
              f"p50 {fmt(r['p50'], 7, 3)} ms  p99 {fmt(r['p99'], 7, 3)} ms", flush=True)

    def median(self, workload, server, field):
        vals = [r[field] for r in self.runs.get((workload, server), []) if r[field] is not None]
        return statistics.median(vals) if vals else None

    def report(self):
        a = self.a
        print(f"\nMEDIANS of {a.rounds} round(s) ({self.suite}" + ("; ops = multi-gets of 100 keys)" if self.suite == "mget" else ")"))
        print(f"{'workload':16s} {'server':12s} {'ops/s':>10s} {'CPU us/op':>10s} {'p50 ms':>8s} {'p99 ms':>8s}")
        entries = []
        for (workload, server) in self.runs:
            ops, cpu, p50, p99 = (self.median(workload, server, f) for f in ("ops_per_sec", "cpu_us", "p50", "p99"))
            print(f"{workload:16s} {server:12s} {ops:10.0f} {fmt(cpu, 10, 2)} {fmt(p50, 8, 3)} {fmt(p99, 8, 3)}")
            e = {"workload": workload, "server": server, "ops_per_sec": round(ops, 1), "cpu_us_per_op": rnd_or_none(cpu, 3),
                 "p50_ms": rnd_or_none(p50, 3), "p99_ms": rnd_or_none(p99, 3), "suite": self.suite, "rounds": a.rounds,
                 "date": datetime.datetime.now().isoformat(timespec="seconds"), "smoke": a.smoke}
            if self.suite == "cluster":  # both are CacheCluster; the node count is in the workload name
                e["server"], e["nodes"] = "cachecluster", int(server[0])
                e["workload"] = f"{workload}_{server}"
            entries.append(e)
        for n in self.notes: print(n)
        ratios, cpus, p99s = [], [], []
        for workload, peer, target in self.pairs:
            ratios.append(f"{workload}={ratio(self.median(workload, target, 'ops_per_sec'), self.median(workload, peer, 'ops_per_sec'), 3)}")
            cpus.append(f"{workload}={ratio(self.median(workload, target, 'cpu_us'), self.median(workload, peer, 'cpu_us'), 2)}")
            p99s.append(f"{workload}={ratio(self.median(workload, target, 'p99'), self.median(workload, peer, 'p99'), 2)}")
        peers = sorted({f"{w}: {t}/{p}" for w, p, t in self.pairs})
        print("(ratios are target/peer: " + ", ".join(peers) + ")")
        print("CPU " + " ".join(cpus))
        print("P99 " + " ".join(p99s))
        print("RATIOS " + " ".join(ratios), flush=True)
        if a.json:
            old = []
            if os.path.exists(a.json) and os.path.getsize(a.json):
                with open(a.json) as f: old = json.load(f)
            tmp = a.json + ".tmp"
            with open(tmp, "w") as f: json.dump(old + entries, f, indent=1)
            os.replace(tmp, a.json)
            print(f"appended {len(entries)} results to {a.json}")


def fmt(v, width, prec):
    return f"{v:{width}.{prec}f}" if v is not None else f"{'-':>{width}s}"


def rnd_or_none(v, prec):
    return round(v, prec) if v is not None else None


def ratio(t, p, prec):
    return f"{t / p:.{prec}f}" if t is not None and p else "nan"


# ---------------------------------------------------------------------------------------------- suites

def values(a, work, res):
    redis, cc = RedisPeer(work), CacheNode(work)
    sizes = (("1k", 1024, a.keys_1k, a.requests), ("100k", 102400, a.keys_100k, max(a.requests // 20, 100)))
    for s in (redis, cc): preload(s.resp, a.keys_1k, 1024)
    res.notes.append(f"keys: 1 KB values over {a.keys_1k} keys, 100 KB over {a.keys_100k} (preloaded, so GETs hit); "
                     f"{a.requests} / {sizes[1][3]} requests per run; Redis appendonly yes, appendfsync everysec")
    for rnd in range(a.rounds):
        for tag, size, keys, requests in sizes:
            # the 100 KB keyspace is the start of the 1 KB one: give those keys the size under test
            if rnd or tag != "1k":
                for s in (redis, cc): preload(s.resp, a.keys_100k, size)
            for op in ("set", "get"):
                name = f"{op}_{tag}"
                res.pair(name, "redis", "cachecluster")
                for s in (redis, cc):
                    res.measure(rnd, name, s.kind, [s], lambda: redis_benchmark(s.resp, ["-t", op, "-d", str(size), "-r", str(keys)], requests))


def mget(a, work, res):
    redis, memc, cc = RedisPeer(work), MemcachedPeer(), CacheNode(work)
    for s in (redis, cc): preload(s.resp, a.keys, 32)
    requests = max(a.requests // 20, 200)
    cfg = os.path.join(work, "mget.cfg")
    with open(cfg, "w") as f:  # 16-byte keys and 32-byte values like the RESP side; gets only (after memcaslap's warm-up SETs)
        f.write("key\n16 16 1\nvalue\n32 32 1\ncmd\n0 0.0\n1 1.0\n")
    # -w: each connection's window of keys (memcaslap takes whole k only): 2k x 50 = 102,400 keys by
    # default, SET by memcaslap's warm-up before its gets
    window = max(1, round(a.keys / CLIENTS / 1024))
    mc_args = ["-F", cfg, "-w", f"{window}k", "--division=100"]
    res.notes.append(f"RESP: {requests} MGETs of 100 random keys of {a.keys} per run (redis-benchmark); memcached: memcaslap {a.seconds} s, "
                     f"get of 100 keys per request, {window * 1024 * CLIENTS} keys ({window}k per connection), text and binary (-B); "
                     f"memcaslap p50/p99 from its log2 histogram")
    for rnd in range(a.rounds):
        res.pair("mget_resp", "redis", "cachecluster")
        for s in (redis, cc):
            res.measure(rnd, "mget_resp", s.kind, [s], lambda: redis_benchmark(s.resp, ["-r", str(a.keys), "MGET", *["key:__rand_int__"] * 100], requests))
        for name, flag in (("mget_mc_text", []), ("mget_mc_bin", ["-B"])):
            res.pair(name, "memcached", "cachecluster")
            for s in (memc, cc):
                res.measure(rnd, name, s.kind, [s], lambda: memcaslap(s.mc, a.seconds, [s], extra=mc_args + flag))


def mix(a, work, res):
    exe = build_mixgen(work)
    redis, memc, cc = RedisPeer(work), MemcachedPeer(), CacheNode(work)
    for s, port, proto in ((redis, redis.resp, "resp"), (cc, cc.resp, "resp"), (memc, memc.mc, "mc"), (cc, cc.mc, "mc")):
        if mixgen(exe, port, proto, 0, a.keys, a.zipf, 32, load=True) is None: raise SystemExit(f"preload through mixgen failed on {s.kind}")
    res.notes.append(f"90% GET / 10% SET, Zipf s={a.zipf} over {a.keys} preloaded keys, 32-byte values, {CLIENTS} connections, "
                     f"depth 1, {a.seconds} s per run (bench/mixgen.c; memcached side: text protocol)")
    for rnd in range(a.rounds):
        for name, proto, peer in (("mix_resp", "resp", redis), ("mix_mc", "mc", memc)):
            res.pair(name, peer.kind, "cachecluster")
            for s in (peer, cc):
                port = s.resp if proto == "resp" else s.mc
                res.measure(rnd, name, s.kind, [s], lambda: mixgen(exe, port, proto, a.seconds, a.keys, a.zipf, 32))


def conns(a, work, res):
    redis, memc, cc = RedisPeer(work), MemcachedPeer(), CacheNode(work)
    for s in (redis, cc): preload(s.resp, a.keys, 32)
    n = a.connections
    res.notes.append(f"{n} connections: redis-benchmark -c {n} {a.requests} requests, 32-byte values, {a.keys} keys; "
                     f"memcaslap -c {n} -T 2 {a.seconds} s (90% get / 10% set, text, 1k-key window per connection)")
    for rnd in range(a.rounds):
        for op in ("set", "get"):
            name = f"conns_{op}"
            res.pair(name, "redis", "cachecluster")
            for s in (redis, cc):
                res.measure(rnd, name, s.kind, [s], lambda: redis_benchmark(s.resp, ["-t", op, "-d", "32", "-r", str(a.keys)], a.requests, clients=n))
        res.pair("conns_mc", "memcached", "cachecluster")
        for s in (memc, cc):
            res.measure(rnd, "conns_mc", s.kind, [s], lambda: memcaslap(s.mc, a.seconds, [s], clients=n, extra=["-X", "32", "-w", "1k"]))


class ClusterNode(Server):
    """bench/cluster.py's Node, seen as a Server."""
    kind = "cachecluster"

    def __init__(self, node): self.node, self.proc, self.resp = node, node.proc, node.resp


def spread(ports, op, requests, keys):
    """3 redis-benchmark processes at once, 17/17/16 clients, to ports[0..2]."""
    base, extra = divmod(CLIENTS, 3)
    clients = [base + (i < extra) for i in range(3)]
    per = requests // 3
    t0 = time.time()
    procs = [subprocess.Popen(["redis-benchmark", "-h", "127.0.0.1", "-p", str(p), "-c", str(c), "-n", str(per), "-t", op, "-d", "32",
                               "-r", str(keys), "--csv"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for p, c in zip(ports, clients)]
    try:
        outs = [p.communicate(timeout=TIMEOUT) for p in procs]
    finally:
        for p in procs:
            if p.poll() is None: p.kill(); p.wait()
    wall = time.time() - t0
    rs = [parse_rb_csv(o, per, e) for o, e in outs]
    if any(r is None for r in rs): return None
    return {"ops": per * 3, "ops_per_sec": per * 3 / wall, "p50": statistics.median(r["p50"] for r in rs), "p99": max(r["p99"] for r in rs)}


def cluster(a, work, res):
    import cluster as clusterbench  # bench/cluster.py: the same Node, wait and settled as the hop and handoff benchmarks
    single = CacheNode(work)
    root = os.path.join(work, "cluster"); os.makedirs(root)
    # what clusterbench.start_cluster(root, 3, 256) does, keeping hold of each node as it starts
    names = ["node1", "node2", "node3"]
    ports = {n: free_port() for n in names}
    three = []
    for name in names:
        three.append(ClusterNode(clusterbench.Node(name, root, ports, 256)))
        STARTED.append(three[-1])
    nodes = [n.node for n in three]
    clusterbench.wait(lambda: all(n.ready() for n in nodes), 120, "nodes ready")
    clusterbench.wait(lambda: clusterbench.settled(nodes), 120, "shards placed")
    preload(single.resp, a.keys, 32)
    preload(three[0].resp, a.keys, 32)  # through node1: the others' keys are forwarded to their owners
    res.notes.append(f"50 clients as 3 redis-benchmark processes (17/17/16) -> 1 node, or one per node of a 3-node cluster (256 shards); "
                     f"{a.requests} requests per run, {a.keys} preloaded keys, 32-byte values; throughput = requests / wall time, "
                     f"p50 = median and p99 = max of the 3 processes'; CPU per op = sum of the nodes' CPU / requests")
    for rnd in range(a.rounds):
        for op in ("set", "get"):
            name = f"cluster_{op}"
            res.pair(name, "1node", "3nodes")
            res.measure(rnd, name, "1node", [single], lambda: spread([single.resp] * 3, op, a.requests, a.keys))
            res.measure(rnd, name, "3nodes", three, lambda: spread([n.resp for n in three], op, a.requests, a.keys))


SUITES = {"values": values, "mget": mget, "mix": mix, "conns": conns, "cluster": cluster}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("what", choices=list(SUITES))
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--requests", type=int, default=200000, help="redis-benchmark requests per run (values 100 KB and mget: / 20)")
    p.add_argument("--seconds", type=int, default=5, help="memcaslap / mixgen seconds per run")
    p.add_argument("--keys", type=int, default=100000, help="keyspace of mget, mix, conns, cluster")
    p.add_argument("--keys-1k", type=int, default=100000, help="values: keyspace of the 1 KB values")
    p.add_argument("--keys-100k", type=int, default=1000, help="values: keyspace of the 100 KB values")
    p.add_argument("--zipf", type=float, default=0.99, help="mix: Zipf exponent of the key popularity")
    p.add_argument("--connections", type=int, default=1000, help="conns: connections")
    p.add_argument("--json", help="append the medians to this JSON file (a list)")
    p.add_argument("--smoke", action="store_true", help="tiny sizes, 1 round (CI: proves the harness runs)")
    a = p.parse_args()
    global TIMEOUT
    if a.smoke:
        a.rounds, a.requests, a.seconds, a.keys, a.keys_1k, a.keys_100k = 1, 2000, 2, 2000, 2000, 50
        TIMEOUT = 60
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)  # 1,000 connections on each side of loopback, and the children
    want = 1 << 20 if hard == resource.RLIM_INFINITY else hard
    if soft < want:
        try: resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
        except (ValueError, OSError): pass
    if a.what == "conns" and resource.getrlimit(resource.RLIMIT_NOFILE)[0] < 2 * a.connections + 200:
        print(f"warning: open-file limit {resource.getrlimit(resource.RLIMIT_NOFILE)[0]} is low for {a.connections} connections", flush=True)
    def on_term(*_):  # `timeout`, CI cancel: unwind through the finally below, which stops the servers
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # once: a second TERM must not cut the clean-up short
        sys.exit(143)
    signal.signal(signal.SIGTERM, on_term)
    ensure_built()
    print(f"server: {DLL}", flush=True)
    work = tempfile.mkdtemp(prefix=f"cc-bench-{a.what}-")
    res = Results(a.what, a)
    try:
        SUITES[a.what](a, work, res)
    finally:
        for s in reversed(STARTED):
            try: s.stop()
            except BaseException as e: print(f"stopping pid {s.proc.pid}: {e!r}", file=sys.stderr)
        shutil.rmtree(work, ignore_errors=True)
    res.report()


if __name__ == "__main__":
    main()
