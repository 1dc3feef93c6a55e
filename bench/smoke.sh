#!/usr/bin/env bash
# Smoke test of the benchmark harnesses, for CI: runs every subcommand of bench/workloads.py and
# bench/cluster.py hop/handoff once with --smoke (tiny sizes, 1 round), each under a timeout, and
# fails only if a script crashes, times out or prints no result line. The numbers are not judged
# (at these sizes they mean nothing).
#   bench/smoke.sh     builds the Release server once, unless CACHECLUSTER_DLL names a build to use
set -uo pipefail
bench=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$bench")
if [[ -z ${CACHECLUSTER_DLL:-} ]]; then
  dotnet build "$root/src/CacheCluster.Server" -c Release -nologo -v q >/dev/null || { echo "smoke: Release build failed" >&2; exit 1; }
  export CACHECLUSTER_DLL=$root/src/CacheCluster.Server/bin/Release/net10.0/CacheCluster.Server.dll
fi
[[ -f $CACHECLUSTER_DLL ]] || { echo "smoke: CACHECLUSTER_DLL=$CACHECLUSTER_DLL does not exist" >&2; exit 1; }

logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
failed=0 start=$SECONDS
# check <timeout s> <result-line regex> <script> <args...>
check() {
  local limit=$1 pattern=$2 script=$3; shift 3
  local name="$script $*" log="$logs/$script-${1:-}.log" t0=$SECONDS rc
  timeout -k 15 "$limit" "$bench/$script" "$@" --smoke >"$log" 2>&1
  rc=$?
  if ((rc == 0)) && grep -Eq "$pattern" "$log"; then
    printf 'smoke: ok   %-22s %3d s  %s\n' "$name" $((SECONDS - t0)) "$(grep -E "$pattern" "$log" | tail -1 | cut -c1-160)"
  else
    ((rc == 124)) && why="timed out after $limit s" || why="exit code $rc"
    ((rc == 0)) && why="no line matching /$pattern/"
    printf 'smoke: FAIL %-22s %3d s  %s; last lines:\n' "$name" $((SECONDS - t0)) "$why"
    tail -15 "$log" | sed 's/^/    /'
    failed=1
  fi
}
skip() { printf 'smoke: skip %-22s        %s\n' "$1" "$2"; }

check 90  '^RATIOS ' workloads.py values
check 120 '^RATIOS ' workloads.py mget
if command -v cc >/dev/null || command -v gcc >/dev/null; then check 90 '^RATIOS ' workloads.py mix
else skip "workloads.py mix" "no C compiler to build bench/mixgen.c"; fi
check 90  '^RATIOS ' workloads.py conns
check 120 '^RATIOS ' workloads.py cluster
check 150 'edge/owner = ' cluster.py hop
if /usr/bin/python3 -c 'import redis' 2>/dev/null; then check 180 '^HANDOFF ' cluster.py handoff
else skip "cluster.py handoff" "python3 module redis (redis-py) not installed"; fi

check 120 '^RATIOS ' memory.py

echo "smoke: $( ((failed)) && echo FAILED || echo passed ) in $((SECONDS - start)) s"
exit $failed
