#!/usr/bin/env bash
# Requests per second of KubeClient (get, create) against kube-emulator, with wrk against the same
# endpoints in the same run as the ceiling. Prints a Markdown table; see docs/benchmarks.md.
#   bash bench/kubeclient/run.sh [DURATION_SECONDS] [CONCURRENCY]
set -euo pipefail
cd "$(dirname "$0")/../.."
duration=${1:-10}
conc=${2:-16}
bash scripts/setup.sh
export PATH="/opt/swift/usr/bin:$PATH"
swift build -c release --product kube-emulator >/dev/null
swift build -c release --product kube-bench >/dev/null
bin=$(swift build -c release --show-bin-path)

work=$(mktemp -d)
trap 'kill $emu 2>/dev/null || true; rm -rf "$work"' EXIT
"$bin/kube-emulator" --listen 127.0.0.1:0 --kubeconfig-out "$work/kubeconfig" --log-level warning >"$work/emu.out" 2>&1 &
emu=$!
for _ in $(seq 100); do grep -q ready "$work/emu.out" 2>/dev/null && break; sleep 0.1; done
server=$(grep -o 'http://[0-9.:]*' "$work/kubeconfig" | head -1)

ours_get=$("$bin/kube-bench" --server "$server" --mode get --duration "$duration" --concurrency "$conc")
ours_create=$("$bin/kube-bench" --server "$server" --mode create --duration "$duration" --concurrency "$conc" --namespace kube-public)

# wrk: same object, same concurrency; creates POST unique names through a Lua counter.
cat >"$work/create.lua" <<'LUA'
local n = 0
request = function()
  n = n + 1
  local body = '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"wrk-' .. tostring(math.random(1, 1e9)) .. '-' .. n .. '"},"data":{"k":"v"}}'
  return wrk.format("POST", "/api/v1/namespaces/kube-node-lease/configmaps", {["Content-Type"] = "application/json"}, body)
end
LUA
wrk_rps() { awk '/Requests\/sec/ {print int($2)}'; }
wrk_get=$(wrk -t2 -c"$conc" -d"${duration}s" "$server/api/v1/namespaces/default/configmaps/bench-0" | wrk_rps)
wrk_create=$(wrk -t2 -c"$conc" -d"${duration}s" -s "$work/create.lua" "$server" | wrk_rps)

field() { python3 -c "import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])" "$1" "$2"; }
echo "| verb | KubeClient req/s | p50 ms | p99 ms | errors | wrk req/s (ceiling) | KubeClient / wrk |"
echo "| --- | --- | --- | --- | --- | --- | --- |"
for v in get create; do
  ours=$([ $v = get ] && echo "$ours_get" || echo "$ours_create")
  ceiling=$([ $v = get ] && echo "$wrk_get" || echo "$wrk_create")
  rps=$(field "$ours" rps)
  ratio=$(python3 -c "print(f'{float($rps)/max(1,$ceiling):.2f}')")
  echo "| $v | $rps | $(field "$ours" p50ms) | $(field "$ours" p99ms) | $(field "$ours" errors) | $ceiling | $ratio |"
done
echo
echo "($conc in flight, ${duration}s each, $(nproc) cores shared by client and emulator, $(date -u +%Y-%m-%d))"
