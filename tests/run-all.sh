#!/usr/bin/env bash
# Runs every test of the repository: unit tests of each layer and the integration tests that drive
# real node processes with real clients (redis-cli, redis-py, the Ruby redis gem) and compare
# against a real redis-server. Installs those clients when they are missing (needs root + apt).
# Last line of output: "N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/.."

need_pkgs=()
command -v redis-server >/dev/null 2>&1 || need_pkgs+=(redis-server)
command -v redis-cli >/dev/null 2>&1 || need_pkgs+=(redis-tools)
/usr/bin/python3 -c 'import redis' >/dev/null 2>&1 || need_pkgs+=(python3-redis)
ruby -e 'require "redis"' >/dev/null 2>&1 || need_pkgs+=(ruby ruby-redis)
command -v memcached >/dev/null 2>&1 || need_pkgs+=(memcached)
command -v memccapable >/dev/null 2>&1 || need_pkgs+=(libmemcached-tools)
ruby -e 'require "dalli"' >/dev/null 2>&1 || need_pkgs+=(ruby-dalli)
/usr/bin/python3 -c 'import pymemcache' >/dev/null 2>&1 || need_pkgs+=(python3-pymemcache)
/usr/bin/python3 -c 'import memcache' >/dev/null 2>&1 || need_pkgs+=(python3-memcache)
command -v sqlite3 >/dev/null 2>&1 || need_pkgs+=(sqlite3)
command -v cc >/dev/null 2>&1 || need_pkgs+=(gcc)                                      # bench/mixgen.c (bench smoke test)
command -v yamllint >/dev/null 2>&1 || need_pkgs+=(yamllint)                           # k8s/ validation
{ command -v node && command -v npm; } >/dev/null 2>&1 || need_pkgs+=(nodejs npm)       # k8s/ validation
if ((${#need_pkgs[@]})); then
  if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
    echo "installing test dependencies: ${need_pkgs[*]}"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_pkgs[@]}" >/dev/null
  else
    echo "missing test dependencies (install them first): ${need_pkgs[*]}" >&2
    exit 1
  fi
fi

# node modules of the k8s/ manifest validation (tests/k8s), from its package-lock.json; again when the lock changes
if [[ ! -f tests/k8s/node_modules/.package-lock.json || tests/k8s/package-lock.json -nt tests/k8s/node_modules/.package-lock.json ]]; then
  echo "installing tests/k8s node modules (npm ci)"
  (cd tests/k8s && npm ci --no-audit --no-fund --loglevel=error >/dev/null) || { echo "npm ci in tests/k8s failed" >&2; exit 1; }
fi

results=TestResults
rm -rf "$results"
status=0
dotnet build CacheCluster.sln -c Release -nologo -v q || exit 1
dotnet test CacheCluster.sln -c Release --no-build -nologo \
  --logger "trx" --logger "console;verbosity=minimal" --results-directory "$results" || status=$?

passed=0 failed=0
for trx in "$results"/*.trx; do
  [[ -f $trx ]] || continue
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -1)
  p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters")
  f=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0}))
done
if ((status != 0 && failed == 0)); then failed=1; fi  # a crashed test host counts as a failure
echo "$passed passed, $failed failed"
exit $status
