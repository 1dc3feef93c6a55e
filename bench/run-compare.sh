#!/usr/bin/env bash
# Starts a CacheCluster node the way users do (Release build, default options except ports and a
# throwaway data directory) and runs ../shared/tools/compare-bench against its RESP and memcached
# ports: Redis, memcached (and Garnet with --garnet) side by side in one run, ratios of throughput and of server
# CPU per operation, medians of several rounds. Extra arguments go to compare-bench.
#   bench/run-compare.sh [--rounds 5] [--seconds 8] [--garnet]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tool=${COMPARE_BENCH:-$root/../shared/tools/compare-bench}
[[ -x $tool ]] || { echo "compare-bench not found at $tool (set COMPARE_BENCH)" >&2; exit 2; }

dotnet build "$root/src/CacheCluster.Server" -c Release -nologo -v q >/dev/null
work=$(mktemp -d)
port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1]);s.close()')
admin=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1]);s.close()')
mc=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1]);s.close()')
dotnet "$root/src/CacheCluster.Server/bin/Release/net10.0/CacheCluster.Server.dll" serve \
  --resp-port "$port" --admin-port "$admin" --memcached-port "$mc" --data-dir "$work/data" >"$work/node.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$admin/readyz" >/dev/null && break; sleep 0.1; done
echo "node pid $pid: RESP 127.0.0.1:$port, memcached 127.0.0.1:$mc" >&2
"$tool" --resp "127.0.0.1:$port" --memcached "127.0.0.1:$mc" --pid "$pid" "$@"
# the issue's GC target: no pause above 10 ms under the benchmark (runtime GC events, see /metrics)
curl -sf "http://127.0.0.1:$admin/metrics" | awk '
  /^cachecluster_gc_pause_max_seconds / { max = $2 * 1000 }
  /^cachecluster_gc_pause_seconds_count / { n = $2 }
  /^cachecluster_gc_pause_seconds_sum / { sum = $2 * 1000 }
  /^cachecluster_gc_pause_seconds_bucket\{le="0.01"\}/ { under10 = $2 }
  END { if (n > 0) printf "GC pauses=%d mean=%.2fms max=%.2fms over10ms=%d\n", n, sum / n, max, n - under10 }'
