#!/usr/bin/python3
"""Cluster benchmarks (issue 5), on loopback, Release build.

  bench/cluster.py hop [--rounds 3] [--requests 200000] [--pipeline 1]
      A 3-node cluster. SET and GET of keys that all live on node1's shards (one hash tag the
      cluster places on node1), sent through node1 (the owner) and through node2 (an edge
      that forwards every command over a node link: one extra hop). Prints the throughput of
      each, the non-owner/owner ratio, and the server CPU per operation (both nodes summed).

  bench/cluster.py handoff [--keys 1000000] [--shards 256]
      A 3-node cluster loaded with N keys (32-byte values), then a 4th node joins while
      clients keep reading and writing through the first three. Reports the time from the 4th
      node's start to "every shard moved" (/cluster: no hand-off in progress, node4 owns its
      shards), the keys moved, and the client errors seen (target: < 10 s, 0 errors).

  --smoke: tiny sizes, for CI (proves the harness runs; the numbers mean nothing).
"""
import argparse, json, os, re, shutil, socket, statistics, subprocess, sys, tempfile, threading, time, urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import DLL, ROOT, cpu_seconds, free_port  # noqa: E402


class Node:
    def __init__(self, name, root, cluster_ports, shards, extra=()):
        self.name = name
        self.resp, self.admin, self.mc = free_port(), free_port(), free_port()
        self.cport = cluster_ports[name]
        self.data = os.path.join(root, name)
        os.makedirs(self.data, exist_ok=True)
        seeds = ",".join(f"127.0.0.1:{p}" for p in cluster_ports.values())
        self.log = open(os.path.join(root, name + ".log"), "w")
        self.args = ["dotnet", DLL, "serve", "--node-id", name, "--resp-port", str(self.resp), "--admin-port", str(self.admin),
                     "--memcached-port", str(self.mc), "--data-dir", self.data, "--shards", str(shards),
                     "--cluster-port", str(self.cport), "--seeds", seeds, "--cluster-secret", "bench", *extra]
        self.t0 = time.time()
        self.proc = subprocess.Popen(self.args, stdout=self.log, stderr=subprocess.STDOUT)

    def get(self, path):
        with urllib.request.urlopen(f"http://127.0.0.1:{self.admin}{path}", timeout=2) as r:
            return r.status, r.read().decode()

    def cluster(self):
        return json.loads(self.get("/cluster")[1])

    def ready(self):
        try:
            return self.get("/readyz")[0] == 200
        except Exception:
            return False

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def wait(cond, timeout, what):
    t = time.time()
    while time.time() - t < timeout:
        if cond(): return time.time() - t
        time.sleep(0.1)
    raise SystemExit(f"timed out waiting for {what}")


def settled(nodes):
    try:
        views = [n.cluster() for n in nodes]
    except Exception:
        return False
    for v in views:
        if v["state"] != "ok" or v["handoffs"]["in_progress"] != 0 or v["handoffs"].get("pending", 0) != 0: return False
        ups = [m for m in v["members"] if m["status"] == "up"]
        if len(ups) != len(nodes) or any(len(m["shards"]) == 0 for m in ups): return False
    owners = [tuple(tuple(m["shards"]) for m in v["members"] if m["status"] == "up") for v in views]
    return len(set(owners)) == 1


def start_cluster(root, count, shards, names=None):
    names = names or [f"node{i + 1}" for i in range(count)]
    ports = {n: free_port() for n in names}
    nodes = [Node(n, root, ports, shards) for n in names]
    wait(lambda: all(n.ready() for n in nodes), 120, "nodes ready")
    wait(lambda: settled(nodes), 120, "shards placed")
    return nodes, ports


def shard_of_slot(slot, shards):
    # ShardMap: shard i owns slots [i*16384/S, (i+1)*16384/S)
    for s in range(shards):
        if slot < (s + 1) * 16384 // shards: return s
    return shards - 1


def redis_cli(port, *args):
    return subprocess.run(["redis-cli", "-p", str(port), *args], capture_output=True, text=True).stdout.strip()


def bench_rps(port, requests, pipeline, command):
    out = subprocess.run(["redis-benchmark", "-p", str(port), "-c", "50", "-n", str(requests), "-P", str(pipeline),
                          "-r", "100000", "-q", *command], capture_output=True, text=True).stdout
    m = re.findall(r"([\d.]+) requests per second", out)
    return float(m[-1]) if m else 0.0


def hop(args):
    root = tempfile.mkdtemp(prefix="cc-bench-hop-")
    nodes = []
    try:
        nodes, _ = start_cluster(root, 3, args.shards)
        owner, edge = nodes[0], nodes[1]
        mine = set(owner.cluster()["members"][[m["id"] for m in owner.cluster()["members"]].index(owner.name)]["shards"])
        tag = next(f"t{i}" for i in range(100000) if shard_of_slot(int(redis_cli(owner.resp, "cluster", "keyslot", f"{{t{i}}}")), args.shards) in mine)
        value = "x" * 32
        res = {}
        for rnd in range(args.rounds):
            for label, target in (("owner", owner), ("edge", edge)):
                for op, cmd in (("set", ["SET", f"{{{tag}}}:key:__rand_int__", value]), ("get", ["GET", f"{{{tag}}}:key:__rand_int__"])):
                    c0 = cpu_seconds(owner.proc.pid) + cpu_seconds(edge.proc.pid)
                    rps = bench_rps(target.resp, args.requests, args.pipeline, cmd)
                    c1 = cpu_seconds(owner.proc.pid) + cpu_seconds(edge.proc.pid)
                    res.setdefault((label, op), []).append((rps, (c1 - c0) / args.requests * 1e6))
                    print(f"round {rnd + 1} {label:5} {op}: {rps:10.0f} ops/s, {((c1 - c0) / args.requests * 1e6):6.2f} us CPU/op", flush=True)
        print(f"\nMEDIANS (pipeline {args.pipeline}, {args.rounds} rounds, key tag {{{tag}}} on {owner.name})")
        for op in ("set", "get"):
            o = statistics.median(r for r, _ in res[("owner", op)])
            e = statistics.median(r for r, _ in res[("edge", op)])
            oc = statistics.median(c for _, c in res[("owner", op)])
            ec = statistics.median(c for _, c in res[("edge", op)])
            print(f"{op}: owner {o:.0f} ops/s, edge {e:.0f} ops/s, edge/owner = {e / o:.3f}; CPU/op owner {oc:.2f} us, edge {ec:.2f} us (x{ec / oc:.2f})")
    finally:
        for n in nodes: n.stop()
        shutil.rmtree(root, ignore_errors=True)


def load_keys(port, keys):
    # RESP mass insertion through redis-cli --pipe (what users do to bulk-load Redis)
    value = b"v" * 32
    buf = bytearray()
    for i in range(keys):
        k = b"key:%d" % i
        buf += b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$32\r\n%s\r\n" % (len(k), k, value)
    r = subprocess.run(["redis-cli", "-p", str(port), "--pipe"], input=bytes(buf), capture_output=True)
    if r.returncode != 0: raise SystemExit(f"load failed: {r.stdout[-300:]} {r.stderr[-300:]}")


def handoff(args):
    root = tempfile.mkdtemp(prefix="cc-bench-handoff-")
    nodes = []
    try:
        names = ["node1", "node2", "node3", "node4"]
        ports = {n: free_port() for n in names}
        nodes = [Node(n, root, {k: ports[k] for k in names[:3]} | {n: ports[n]}, args.shards) for n in names[:3]]
        wait(lambda: all(n.ready() for n in nodes), 120, "nodes ready")
        wait(lambda: settled(nodes), 120, "shards placed")
        t = time.time()
        load_keys(nodes[0].resp, args.keys)
        print(f"loaded {args.keys} keys in {time.time() - t:.1f} s; dbsize {redis_cli(nodes[1].resp, 'dbsize')}", flush=True)

        import redis
        stop = threading.Event()
        errors, ops = [], [0]

        def client(port, wid):
            r = redis.Redis(port=port, socket_timeout=30)
            i = 0
            while not stop.is_set():
                try:
                    r.set(f"live:{wid}:{i % 1000}", i)
                    r.get(f"key:{(i * 7919 + wid) % args.keys}")
                    ops[0] += 2
                except Exception as e:
                    errors.append(str(e))
                i += 1

        threads = [threading.Thread(target=client, args=(n.resp, w)) for w, n in enumerate(nodes * 2)]
        for th in threads: th.start()
        time.sleep(1)
        n4 = Node("node4", root, ports, args.shards)
        nodes.append(n4)
        took = wait(lambda: settled(nodes), 300, "the 4th node's shards")
        time.sleep(0.5)
        stop.set()
        for th in threads: th.join()
        moved = len([m for m in n4.cluster()["members"] if m["id"] == "node4"][0]["shards"])
        keys4 = redis_cli(n4.resp, "info", "keyspace")
        log = open(os.path.join(root, "node4.log")).read()
        took_over = re.findall(r"took over shard \d+ from \S+ at epoch \d+: (\d+) keys", log)
        print(f"\nHANDOFF {args.keys} keys, {args.shards} shards: node4 started -> all shards moved in {took:.1f} s; "
              f"{moved} shards ({sum(int(k) for k in took_over)} keys) moved to node4; client ops during the join {ops[0]}, errors {len(errors)} {errors[:3]}")
        dbs = redis_cli(n4.resp, "dbsize")
        print(f"dbsize through node4 afterwards: {dbs}")
    finally:
        for n in nodes: n.stop()
        shutil.rmtree(root, ignore_errors=True)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("what", choices=["hop", "handoff"])
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--requests", type=int, default=200000)
    p.add_argument("--pipeline", type=int, default=1)
    p.add_argument("--keys", type=int, default=1000000)
    p.add_argument("--shards", type=int, default=256)
    p.add_argument("--smoke", action="store_true")
    a = p.parse_args()
    if a.smoke:
        a.rounds, a.requests, a.keys, a.shards = 1, 2000, 2000, 32
    if not os.path.exists(DLL):
        subprocess.run(["dotnet", "build", os.path.join(ROOT, "src/CacheCluster.Server"), "-c", "Release"], check=True)
    hop(a) if a.what == "hop" else handoff(a)


if __name__ == "__main__":
    main()
