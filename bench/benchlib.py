"""Shared bits of the bench scripts: where the Release server is, free ports, process CPU time."""
import os, time, urllib.request, socket, subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# CACHECLUSTER_DLL: run a server built elsewhere (e.g. a worktree), so a rebuild of this checkout's
# bin/ in the middle of a run cannot change what is measured.
DLL = os.environ.get("CACHECLUSTER_DLL") or os.path.join(ROOT, "src/CacheCluster.Server/bin/Release/net10.0/CacheCluster.Server.dll")


def ensure_built():
    """Builds the Release server unless CACHECLUSTER_DLL names one (which must then exist)."""
    if os.environ.get("CACHECLUSTER_DLL"):
        if not os.path.exists(DLL): raise SystemExit(f"CACHECLUSTER_DLL={DLL} does not exist")
        return
    subprocess.run(["dotnet", "build", os.path.join(ROOT, "src/CacheCluster.Server"), "-c", "Release", "-nologo", "-v", "q"],
                   check=True, stdout=subprocess.DEVNULL)


def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p


def cpu_seconds(pid):
    """User + system CPU seconds of a process so far (from /proc)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_seconds_all(pid):
    """cpu_seconds plus the CPU of children the process has reaped (Redis's AOF-rewrite fork)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return sum(int(x) for x in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def wait_ready(admin, proc, log_name, timeout=120):
    """Waits until the node's /readyz answers 200; RuntimeError if the process exits or time runs out."""
    t0 = time.time()
    while time.time() - t0 < timeout:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{admin}/readyz", timeout=1) as r:
                if r.status == 200: return
        except Exception:
            pass
        if proc.poll() is not None: raise RuntimeError(f"node exited, see {log_name}")
        time.sleep(0.05)
    raise RuntimeError(f"node not ready after {timeout} s")
