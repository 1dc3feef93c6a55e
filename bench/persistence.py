#!/usr/bin/python3
"""Persistence benchmarks (issue 4), side by side in one run on loopback.

  bench/persistence.py throughput [--rounds 3] [--requests 200000] [--pipeline 1]
      SET throughput and server CPU per operation of CacheCluster with --durability off,
      everysec and always, and of redis-server with appendonly no / everysec / always,
      alternating targets every round (redis-benchmark, 50 clients, 32-byte values,
      100k random keys). Prints medians and the ratios to each server's no-persistence mode.

  bench/persistence.py recovery [--keys 1000000] [--snapshot-events 1000]
      Loads N keys into a node (durability everysec), SIGKILLs it, restarts it and reports
      the time to /readyz and the replay rate from the node's "recovered" log line. With a
      huge --snapshot-events the whole history is replayed from journal rows.
"""
import argparse, os, re, shutil, signal, socket, statistics, subprocess, sys, tempfile, time, urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import DLL, ROOT, cpu_seconds, free_port  # noqa: E402


class Node:
    def __init__(self, durability, data, extra=()):
        self.port, self.admin, self.mc = free_port(), free_port(), free_port()
        self.data = data
        self.log = open(os.path.join(os.path.dirname(data), f"node-{durability}-{self.port}.log"), "w")
        self.args = ["dotnet", DLL, "serve", "--resp-port", str(self.port), "--admin-port", str(self.admin),
                     "--memcached-port", str(self.mc), "--data-dir", data, "--durability", durability, *extra]
        self.start()

    def start(self):
        self.t0 = time.time()
        self.proc = subprocess.Popen(self.args, stdout=self.log, stderr=subprocess.STDOUT)
        self.ready_after = self.wait_ready()

    def wait_ready(self, timeout=600):
        while time.time() - self.t0 < timeout:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.admin}/readyz", timeout=1) as r:
                    if r.status == 200: return time.time() - self.t0
            except Exception:
                pass
            if self.proc.poll() is not None: raise RuntimeError("node exited")
            time.sleep(0.02)
        raise RuntimeError("node not ready")

    def kill(self, sig=signal.SIGKILL):
        self.proc.send_signal(sig); self.proc.wait()


class Redis:
    def __init__(self, appendonly, fsync, data):
        self.port = free_port()
        os.makedirs(data, exist_ok=True)
        self.proc = subprocess.Popen(["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                      "--appendonly", appendonly, "--appendfsync", fsync, "--dir", data],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(100):
            if subprocess.run(["redis-cli", "-p", str(self.port), "ping"], capture_output=True).stdout.strip() == b"PONG": break
            time.sleep(0.05)

    def kill(self):
        self.proc.kill(); self.proc.wait()


def bench(port, pid, requests, pipeline):
    cmd = ["redis-benchmark", "-p", str(port), "-t", "set", "-c", "50", "-n", str(requests), "-r", "100000",
           "-d", "32", "-P", str(pipeline), "-q"]
    c0 = cpu_seconds(pid)
    out = subprocess.run(cmd, capture_output=True, text=True).stdout
    c1 = cpu_seconds(pid)
    m = re.findall(r"([\d.]+) requests per second", out)
    return float(m[-1]), (c1 - c0) / requests * 1e6


def throughput(a):
    work = tempfile.mkdtemp(prefix="cc-persist-bench-")
    targets = {}
    try:
        for mode in ("off", "everysec", "always"):
            n = Node(mode, os.path.join(work, f"cc-{mode}"))
            targets[f"cc_{mode}"] = (n.port, n.proc.pid, n)
        for name, ao, fs in (("redis_off", "no", "everysec"), ("redis_everysec", "yes", "everysec"), ("redis_always", "yes", "always")):
            r = Redis(ao, fs, os.path.join(work, name))
            targets[name] = (r.port, r.proc.pid, r)
        results = {k: [] for k in targets}
        for rnd in range(a.rounds):
            for name, (port, pid, _) in targets.items():
                subprocess.run(["redis-cli", "-p", str(port), "flushall"], capture_output=True)
                rps, cpu = bench(port, pid, a.requests, a.pipeline)
                results[name].append((rps, cpu))
                print(f"round {rnd + 1} {name:15s} {rps:10.0f} SET/s  {cpu:6.2f} us CPU/op", flush=True)
        med = {k: (statistics.median(r for r, _ in v), statistics.median(c for _, c in v)) for k, v in results.items()}
        print(f"\nmedians over {a.rounds} rounds, pipeline {a.pipeline}, 50 clients:")
        for k, (rps, cpu) in med.items():
            print(f"  {k:15s} {rps:10.0f} SET/s  {cpu:6.2f} us CPU/op")
        print("RATIOS " + " ".join([
            f"cc_everysec/cc_off={med['cc_everysec'][0] / med['cc_off'][0]:.3f}",
            f"cc_always/cc_off={med['cc_always'][0] / med['cc_off'][0]:.3f}",
            f"redis_everysec/redis_off={med['redis_everysec'][0] / med['redis_off'][0]:.3f}",
            f"redis_always/redis_off={med['redis_always'][0] / med['redis_off'][0]:.3f}",
            f"cc_everysec/redis_everysec={med['cc_everysec'][0] / med['redis_everysec'][0]:.3f}",
            f"cc_always/redis_always={med['cc_always'][0] / med['redis_always'][0]:.3f}"]))
    finally:
        for _, _, t in targets.values():
            try: t.kill()
            except Exception: pass
        shutil.rmtree(work, ignore_errors=True)


def load_keys(port, keys):
    """Pipes N SETs (key:<i>, 32-byte value) through redis-cli --pipe."""
    def gen():
        val = b"v" * 32
        for i in range(keys):
            k = b"key:%d" % i
            yield b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$32\r\n%s\r\n" % (len(k), k, val)
    p = subprocess.Popen(["redis-cli", "-p", str(port), "--pipe"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    buf = []
    for cmd in gen():
        buf.append(cmd)
        if len(buf) >= 10000:
            p.stdin.write(b"".join(buf)); buf.clear()
    p.stdin.write(b"".join(buf)); p.stdin.close()
    p.wait()


def recovery(a):
    work = tempfile.mkdtemp(prefix="cc-recovery-bench-")
    try:
        n = Node("everysec", os.path.join(work, "data"), ["--snapshot-events", str(a.snapshot_events)])
        t = time.time()
        load_keys(n.port, a.keys)
        print(f"loaded {a.keys} keys in {time.time() - t:.1f} s", flush=True)
        time.sleep(1.5)  # everysec: let the last commit land
        size = sum(os.path.getsize(os.path.join(n.data, f)) for f in os.listdir(n.data))
        n.kill()
        log_start = n.log.tell()
        n.start()
        n.log.flush()
        with open(n.log.name) as f:
            text = f.read()
        m = re.findall(r"recovered (\d+) keys from (\d+) snapshot records and (\d+) events of (\d+) shards in (\d+) ms \((\d+) records/s\)", text)
        keys, snaps, events, shards, ms, rate = m[-1]
        dbsize = int(subprocess.run(["redis-cli", "-p", str(n.port), "dbsize"], capture_output=True, text=True).stdout.strip())
        print(f"database {size / 1e6:.1f} MB; restart to ready {n.ready_after:.2f} s; replay {ms} ms: {keys} keys from {snaps} snapshot records + {events} events "
              f"({rate} records/s); DBSIZE after restart {dbsize}")
        print(f"RECOVERY keys={keys} snapshot_records={snaps} events={events} replay_ms={ms} records_per_s={rate} ready_s={n.ready_after:.2f} db_mb={size / 1e6:.1f}")
        n.kill(signal.SIGTERM)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("throughput"); t.add_argument("--rounds", type=int, default=3); t.add_argument("--requests", type=int, default=200000)
    t.add_argument("--pipeline", type=int, default=1)
    r = sub.add_parser("recovery"); r.add_argument("--keys", type=int, default=1000000); r.add_argument("--snapshot-events", type=int, default=1000)
    a = p.parse_args()
    subprocess.run(["dotnet", "build", os.path.join(ROOT, "src/CacheCluster.Server"), "-c", "Release", "-nologo", "-v", "q"], check=True,
                   stdout=subprocess.DEVNULL)
    throughput(a) if a.cmd == "throughput" else recovery(a)


if __name__ == "__main__":
    main()
