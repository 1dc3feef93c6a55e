#!/usr/bin/env bash
# Offline validation of a directory of Kubernetes manifests (default: k8s/), no cluster needed:
#   1. yamllint -s (tests/k8s/.yamllint): YAML syntax, duplicate keys, truthy values, style;
#   2. node dist/validate.js (src/validate.ts, compiled by tsc when stale): every document against
#      the Kubernetes schema of kubernetes-models (types, enums, required) and, as a typed literal
#      checked by the TypeScript compiler with --strict, against its Kubernetes type (every unknown
#      or misspelled field, at any depth); kustomization.yaml against the Kustomization fields and
#      its file references;
#   3. `kubectl kustomize DIR` (renders offline) when kubectl is installed; skipped otherwise.
# Usage: tests/k8s/validate.sh [DIR]. Exit 0 = valid; 1 = problems (one line each:
# FILE:LINE:COL: ...); 2 = a tool is missing (run tests/run-all.sh, or `apt-get install yamllint`
# and `npm ci` in tests/k8s).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dir=${1:-$here/../../k8s}
dir=${dir%/}
if [[ ! -d $dir ]]; then echo "validate.sh: $dir is not a directory" >&2; exit 2; fi

missing=()
command -v yamllint >/dev/null 2>&1 || missing+=("yamllint (apt-get install yamllint)")
command -v node >/dev/null 2>&1 || missing+=("node (apt-get install nodejs npm)")
[[ -d $here/node_modules/kubernetes-models && -d $here/node_modules/typescript && -d $here/node_modules/yaml ]] ||
  missing+=("node modules (cd tests/k8s && npm ci --no-audit --no-fund)")
if ((${#missing[@]})); then
  printf 'validate.sh: missing: %s\n' "${missing[@]}" >&2
  exit 2
fi

# Compile the validator when a source is newer than its output (serialised: tests may run this concurrently).
compile() {
  local stale=0 src
  [[ -f $here/dist/validate.js ]] || stale=1
  for src in "$here"/src/*.ts "$here/tsconfig.json"; do
    [[ $src -nt $here/dist/validate.js ]] && stale=1
  done
  if ((stale)); then
    (cd "$here" && node node_modules/typescript/bin/tsc -p tsconfig.json) || { echo "validate.sh: tsc failed on tests/k8s/src" >&2; return 2; }
  fi
}
if command -v flock >/dev/null 2>&1; then
  (flock 9 && compile) 9>"$here/.build.lock" || exit 2
else
  compile || exit 2
fi

shopt -s nullglob
files=("$dir"/*.yaml "$dir"/*.yml)
status=0

echo "== yamllint $dir"
if ((${#files[@]})); then
  if yamllint -f parsable -s -c "$here/.yamllint" "${files[@]}"; then echo "yamllint: OK"; else status=1; fi
else
  echo "yamllint: no *.yaml in $dir"; status=1
fi

echo "== schema + strict (kubernetes-models, tsc --strict) $dir"
node "$here/dist/validate.js" "$dir"
rc=$?
((rc == 2)) && exit 2
((rc != 0)) && status=1

echo "== kustomize build $dir"
if command -v kubectl >/dev/null 2>&1; then
  if out=$(kubectl kustomize "$dir" 2>&1 >/dev/null); then echo "kustomize: OK"; else echo "kustomize: $out"; status=1; fi
else
  echo "kustomize: skipped (kubectl not installed)"
fi

if ((status)); then echo "validate.sh: FAILED: $dir"; else echo "validate.sh: OK: $dir"; fi
exit $status
