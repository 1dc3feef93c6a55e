#!/usr/bin/python3
"""Memory per key, side by side with Redis and memcached loaded with the same keys.

  bench/memory.py [--keys 1000000] [--value-size 32] [--smoke] [--dll PATH] [--json FILE]

Starts each server fresh on loopback ports, waits until its RSS (/proc/PID/status VmRSS) is
stable, loads N keys `key:%010d` with a value of --value-size bytes, waits until the RSS is stable
again (polls up to 10 s until it moves < 1% over 2 s), checks the key count (DBSIZE, stats
curr_items) and reports the RSS growth per key and the total RSS per key of:

  cachecluster      our node (defaults: durability everysec), loaded over RESP (redis-cli --pipe)
  cachecluster_mc   our node, loaded over its memcached port (text `set ... noreply`)
  redis             redis-server --save '' --appendonly no, loaded with redis-cli --pipe
  redis_aof         redis-server --appendonly yes --appendfsync everysec
  memcached         memcached -U 0 -m 4096, loaded with text `set ... noreply`

The growth per key (after - before) / N is the figure compared: RSS_PER_KEY and RATIOS use it
(cachecluster vs redis and memcached; `--json` also appends the like-for-like variants
rss_per_key_aof and rss_per_key_memcached_load). For our node it also prints what its /metrics
says after the load: the managed heap (dotnet_gc_heap_size_bytes) next to the RSS, the data bytes
it accounts (cachecluster_memory_used_bytes), the GCs and the longest GC pause of the load
(cachecluster_gc_pause_max_seconds; the load of N keys is a GC-heavy phase), and a line
`GC_PAUSE_MAX cachecluster=<ms> pauses=<n> sum=<ms>`.

The node is the Release build (`--dll`, or $CACHECLUSTER_DLL; default the repo's build; this script
does not build it). `--smoke` = 50k keys.
"""
import argparse, json, os, re, shutil, signal, socket, subprocess, sys, tempfile, threading, time, urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import DLL, free_port, wait_ready  # noqa: E402


def status_kb(pid, field):
    """A /proc/PID/status field in kB (VmRSS, RssAnon, RssFile)."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def rss(pid):
    return {k: status_kb(pid, k) * 1024 for k in ("VmRSS", "RssAnon", "RssFile")}


def settle(pid, timeout=10.0, window=2.0, tolerance=0.01):
    """Polls the RSS every 0.25 s until it moved less than `tolerance` over `window` seconds (or `timeout`)."""
    t0, samples = time.time(), []
    while True:
        now, v = time.time(), rss(pid)["VmRSS"]
        samples.append((now, v))
        recent = [s for t, s in samples if t >= now - window]
        if now - t0 >= window and max(recent) - min(recent) <= tolerance * max(recent):
            return rss(pid), now - t0
        if now - t0 >= timeout:
            return rss(pid), now - t0
        time.sleep(0.25)


def key(i):
    return b"key:%010d" % i


def resp_commands(n, value, chunk=20000):
    for start in range(0, n, chunk):
        yield b"".join(b"*3\r\n$3\r\nSET\r\n$14\r\n%s\r\n$%d\r\n%s\r\n" % (key(i), len(value), value)
                       for i in range(start, min(n, start + chunk)))


def load_resp(port, n, value):
    p = subprocess.Popen(["redis-cli", "-p", str(port), "--pipe"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT)
    out = []
    reader = threading.Thread(target=lambda: out.append(p.stdout.read()), daemon=True)
    reader.start()
    for chunk in resp_commands(n, value):
        p.stdin.write(chunk)
    p.stdin.close()
    p.wait(); reader.join()
    text = out[0].decode(errors="replace")
    m = re.search(r"errors: (\d+), replies: (\d+)", text)
    if p.returncode != 0 or not m or int(m.group(1)) != 0 or int(m.group(2)) != n:
        raise RuntimeError(f"redis-cli --pipe failed: {text.strip()}")


def load_memcached(port, n, value, chunk=20000):
    """Text `set <key> 0 0 <len> noreply` over one socket, then `version` to know every set was read."""
    s = socket.create_connection(("127.0.0.1", port))
    got, done = bytearray(), threading.Event()

    def drain():   # noreply sends nothing on success; anything else (errors) is kept and reported
        while not done.is_set():
            b = s.recv(65536)
            if not b: break
            got.extend(b)
            if b"VERSION " in got: done.set()
    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        for start in range(0, n, chunk):
            s.sendall(b"".join(b"set %s 0 0 %d noreply\r\n%s\r\n" % (key(i), len(value), value)
                               for i in range(start, min(n, start + chunk))))
        s.sendall(b"version\r\n")
        if not done.wait(120): raise RuntimeError("memcached load: no VERSION reply")
    finally:
        s.close()
    if not got.startswith(b"VERSION "):
        raise RuntimeError(f"memcached load: unexpected replies {bytes(got[:200])!r}")


def resp_dbsize(port):
    return int(subprocess.run(["redis-cli", "-p", str(port), "dbsize"], capture_output=True, text=True).stdout.strip())


def mc_curr_items(port):
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.sendall(b"stats\r\n")
        buf = b""
        while not buf.endswith(b"END\r\n"):
            b = s.recv(65536)
            if not b: break
            buf += b
    m = re.search(rb"STAT curr_items (\d+)", buf)
    return int(m.group(1)) if m else -1


def wait_port(port, proc, timeout=30):
    t0 = time.time()
    while time.time() - t0 < timeout:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close(); return
        except OSError:
            if proc.poll() is not None: raise RuntimeError(f"server on {port} exited")
            time.sleep(0.05)
    raise RuntimeError(f"server on {port} not listening")


def scrape(admin):
    """The node's /metrics as {series: value} (series = name plus its label text)."""
    with urllib.request.urlopen(f"http://127.0.0.1:{admin}/metrics", timeout=10) as r:
        text = r.read().decode()
    out = {}
    for line in text.splitlines():
        if line.startswith("#") or not line: continue
        name, _, value = line.rpartition(" ")
        try: out[name] = float(value)
        except ValueError: pass
    return out


class Server:
    """One server under test: started fresh in its own directory, stopped (SIGTERM, then SIGKILL) at the end.
    `ready(server)` waits until it serves (default: its port accepts connections)."""
    def __init__(self, name, args, port, work, ready=None, **attrs):
        self.name, self.port = name, port
        self.__dict__.update(attrs)
        self.log = open(os.path.join(work, f"{name}.log"), "w")
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT, cwd=work)
        try:
            (ready or (lambda s: wait_port(s.port, s.proc)))(self)
        except BaseException:
            self.stop(); raise

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try: self.proc.wait(15)
            except subprocess.TimeoutExpired: self.proc.kill(); self.proc.wait()
        self.log.close()


def node_ready(srv, timeout=120):
    wait_ready(srv.admin, srv.proc, srv.log.name, timeout)


def start_node(dll, work, name):
    """Our node with its defaults (durability everysec), ready once /readyz answers 200."""
    port, admin, mc = free_port(), free_port(), free_port()
    return Server(name, ["dotnet", dll, "serve", "--resp-port", str(port), "--admin-port", str(admin), "--memcached-port", str(mc),
                         "--data-dir", os.path.join(work, name + "-data")], port, work, node_ready, admin=admin, mc=mc)


def measure(srv, load, count, n, value):
    """RSS before and after loading n keys, once each has settled; checks the key count."""
    before, _ = settle(srv.proc.pid)
    t = time.time()
    load(n, value)
    load_s = time.time() - t
    after, settle_s = settle(srv.proc.pid)
    keys = count()
    if keys != n: raise RuntimeError(f"{srv.name}: {keys} keys after loading {n}")
    r = {"server": srv.name, "keys": keys, "load_s": load_s, "settle_s": settle_s,
         "rss_before": before["VmRSS"], "rss_after": after["VmRSS"], "anon_before": before["RssAnon"], "anon_after": after["RssAnon"],
         "file_after": after["RssFile"]}
    r["delta_per_key"] = (r["rss_after"] - r["rss_before"]) / n
    r["total_per_key"] = r["rss_after"] / n
    r["anon_delta_per_key"] = (r["anon_after"] - r["anon_before"]) / n
    print(f"{srv.name:16s} keys={keys} load={load_s:5.1f}s settle={settle_s:4.1f}s  RSS {r['rss_before'] / 2**20:7.1f} -> {r['rss_after'] / 2**20:7.1f} MiB"
          f" (anon {r['anon_before'] / 2**20:6.1f} -> {r['anon_after'] / 2**20:6.1f}, file {r['file_after'] / 2**20:5.1f})"
          f"  per key: +{r['delta_per_key']:6.1f} B (anon +{r['anon_delta_per_key']:6.1f}), total {r['total_per_key']:6.1f} B", flush=True)
    return r


def node_report(srv, r, n):
    m = scrape(srv.admin)
    heap, committed, free = m.get("dotnet_gc_heap_size_bytes"), m.get("dotnet_gc_committed_bytes"), m.get("dotnet_gc_fragmentation_bytes", 0)
    used = m.get("cachecluster_memory_used_bytes", 0)
    gcs = {g: int(m.get(f'dotnet_gc_collections_total{{generation="{g}"}}', 0)) for g in "012"}
    pauses, pause_sum = m.get("cachecluster_gc_pause_seconds_count"), m.get("cachecluster_gc_pause_seconds_sum")
    pmax = m.get("cachecluster_gc_pause_max_seconds")
    line = f"  {srv.name}: /metrics data {used / 2**20:.1f} MiB ({used / n:.1f} B/key)"
    if heap is not None:
        line += (f", GC heap {heap / 2**20:.1f} MiB ({heap / n:.1f} B/key, of which free {free / 2**20:.1f} MiB), committed {committed / 2**20:.1f} MiB;"
                 f" RSS outside the heap {(r['rss_after'] - committed) / 2**20:.1f} MiB (anon {(r['anon_after'] - committed) / 2**20:.1f})")
    line += f"; GCs gen0/1/2 (cumulative) {gcs['0']}/{gcs['1']}/{gcs['2']}, pause total {m.get('dotnet_gc_pause_seconds_total', 0) * 1e3:.1f} ms"
    if pmax is not None:
        line += f", {int(pauses)} pauses, mean {pause_sum / max(pauses, 1) * 1e3:.2f} ms, max {pmax * 1e3:.2f} ms"
    print(line, flush=True)
    r.update(gc_heap_bytes=heap, gc_committed_bytes=committed, gc_free_bytes=free, data_bytes=used, gc_pause_max_s=pmax, gc_pauses=pauses)
    if pmax is not None: print(f"GC_PAUSE_MAX {srv.name}={pmax * 1e3:.2f}ms pauses={int(pauses)} sum={pause_sum * 1e3:.1f}ms")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--keys", type=int, default=1000000)
    p.add_argument("--value-size", type=int, default=32)
    p.add_argument("--smoke", action="store_true", help="50k keys: proves the harness runs")
    p.add_argument("--dll", default=os.environ.get("CACHECLUSTER_DLL", DLL))
    p.add_argument("--json", metavar="FILE", help="append the results to this JSON list")
    a = p.parse_args()
    n = 50000 if a.smoke else a.keys
    if not os.path.exists(a.dll): sys.exit(f"no server build at {a.dll} (dotnet build src/CacheCluster.Server -c Release, or --dll)")
    value = b"v" * a.value_size
    work = tempfile.mkdtemp(prefix="cc-memory-bench-")
    servers, results, ok = [], {}, False
    print(f"{n} keys key:%010d, {a.value_size}-byte values; node {a.dll}", flush=True)
    try:
        def run(srv, load, count, node=False):
            servers.append(srv)
            r = measure(srv, load, count, n, value)
            if node: node_report(srv, r, n)
            srv.stop()
            results[srv.name] = r

        srv = start_node(a.dll, work, "cachecluster")
        run(srv, lambda k, v: load_resp(srv.port, k, v), lambda: resp_dbsize(srv.port), node=True)
        srv = start_node(a.dll, work, "cachecluster_mc")
        run(srv, lambda k, v: load_memcached(srv.mc, k, v), lambda: resp_dbsize(srv.port), node=True)
        for name, aof in (("redis", "no"), ("redis_aof", "yes")):
            port = free_port()
            os.makedirs(os.path.join(work, name))
            srv = Server(name, ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", aof,
                                "--appendfsync", "everysec", "--dir", os.path.join(work, name)], port, work)
            run(srv, lambda k, v: load_resp(srv.port, k, v), lambda: resp_dbsize(srv.port))
        port = free_port()
        as_root = ["-u", "root"] if os.geteuid() == 0 else []   # memcached refuses to run as root without -u
        srv = Server("memcached", ["memcached", "-p", str(port), "-U", "0", "-m", "4096", "-l", "127.0.0.1", *as_root], port, work)
        run(srv, lambda k, v: load_memcached(srv.port, k, v), lambda: mc_curr_items(srv.port))
        ok = True
    finally:
        for s in servers: s.stop()
        if ok: shutil.rmtree(work, ignore_errors=True)
        else: print(f"failed: server logs kept in {work}", file=sys.stderr)

    d = {k: r["delta_per_key"] for k, r in results.items()}
    print("RSS_PER_KEY " + " ".join(f"{k}={v:.1f}" for k, v in d.items()))
    print("RSS_TOTAL_PER_KEY " + " ".join(f"{k}={r['total_per_key']:.1f}" for k, r in results.items()))
    print(f"RATIOS cachecluster/redis={d['cachecluster'] / d['redis']:.2f} cachecluster/memcached={d['cachecluster'] / d['memcached']:.2f} "
          f"cachecluster/redis_aof={d['cachecluster'] / d['redis_aof']:.2f} cachecluster_mc/memcached={d['cachecluster_mc'] / d['memcached']:.2f}")
    if a.json:
        rows = []
        for workload, pairs in (("rss_per_key", (("cachecluster", "cachecluster"), ("redis", "redis"), ("memcached", "memcached"))),
                                ("rss_per_key_aof", (("cachecluster", "cachecluster"), ("redis", "redis_aof"))),
                                ("rss_per_key_memcached_load", (("cachecluster", "cachecluster_mc"), ("memcached", "memcached")))):
            for server, name in pairs:
                r = results[name]
                row = {"workload": workload, "server": server, "bytes_per_key": round(r["delta_per_key"], 1),
                       "rss_total_per_key": round(r["total_per_key"], 1), "keys": n, "value_size": a.value_size}
                if r.get("gc_pause_max_s") is not None:
                    row.update(gc_heap_bytes=r["gc_heap_bytes"], gc_pause_max_ms=round(r["gc_pause_max_s"] * 1e3, 2))
                rows.append(row)
        old = []
        if os.path.exists(a.json):
            with open(a.json) as f:
                old = json.load(f)
        with open(a.json, "w") as f:
            json.dump(old + rows, f, indent=1)
        print(f"appended {len(rows)} results to {a.json}")


if __name__ == "__main__":
    main()
