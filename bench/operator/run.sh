#!/usr/bin/env bash
# agent-operator benchmark (docs/bench-operator.md): COUNT AgentSessions created at once against kube-emulator
# (pods not run); time until every one has its pod, its Secret and a status; operator peak memory (VmHWM);
# API requests per session; next to the emulator's raw create ceiling measured in the same run.
# Runs the operator twice: the default release build (shared Swift runtime) and one linked with
# --static-swift-stdlib (what a container image ships).
#   bash bench/operator/run.sh [COUNT] [CONCURRENCY] [WORKERS]
set -euo pipefail
cd "$(dirname "$0")/../.."
count=${1:-1000}
conc=${2:-64}
workers=${3:-16}
bash scripts/setup.sh >/dev/null
export PATH="/opt/swift/usr/bin:$PATH"
scratch=${SCRATCH:-.build}
for p in kube-emulator agent-operator operator-bench; do
  swift build -c release --scratch-path "$scratch" --product "$p" >/dev/null
done
swift build -c release --static-swift-stdlib --scratch-path "$scratch-static" --product agent-operator >/dev/null
bin=$(swift build -c release --scratch-path "$scratch" --show-bin-path)
static_bin=$(swift build -c release --static-swift-stdlib --scratch-path "$scratch-static" --show-bin-path)

work=$(mktemp -d)
emu=""; op=""
cleanup() { [ -n "$op" ] && kill "$op" 2>/dev/null; [ -n "$emu" ] && kill "$emu" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

status_kb() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status"; }

# One run: fresh emulator, one operator build, the sessions burst, then the emulator's ceiling.
run() {
  local label=$1 operator=$2
  "$bin/kube-emulator" --listen 127.0.0.1:0 --kubeconfig-out "$work/kubeconfig" --log-level warning --watch-history 100000 \
    >"$work/emu.log" 2>&1 &
  emu=$!
  for _ in $(seq 100); do grep -q ready "$work/emu.log" 2>/dev/null && break; sleep 0.1; done
  local server; server=$(grep -o 'http://[0-9.:]*' "$work/kubeconfig" | head -1)
  KUBECONFIG="$work/kubeconfig" kubectl apply -f manifests/crd/agentsessions.parallax.ai.yaml >/dev/null
  local port; port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  "$operator" --kubeconfig "$work/kubeconfig" --metrics-addr "127.0.0.1:$port" --health-addr 0 \
    --max-concurrent-reconciles "$workers" --log-level warning >"$work/op.log" 2>&1 &
  op=$!
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/metrics" >/dev/null 2>&1 && break; sleep 0.1; done
  sleep 1
  local idle; idle=$(status_kb "$op" VmRSS)
  local sessions; sessions=$("$bin/operator-bench" sessions --server "$server" --count "$count" --concurrency "$conc" \
    --namespace bench --operator-metrics "http://127.0.0.1:$port/metrics")
  local hwm anon file cpu
  hwm=$(status_kb "$op" VmHWM); anon=$(status_kb "$op" RssAnon); file=$(status_kb "$op" RssFile)
  cpu=$(awk '{print ($14+$15)/100}' "/proc/$op/stat")
  kill "$op"; wait "$op" 2>/dev/null || true; op=""
  # The emulator's ceiling in the same run (it still holds the sessions): session-sized creates, then GETs.
  local raw; raw=$("$bin/operator-bench" raw --server "$server" --count 4000 --concurrency "$conc" --namespace raw)
  local wrk_get; wrk_get=$(wrk -t2 -c"$conc" -d5s "$server/apis/parallax.ai/v1alpha1/namespaces/bench/agentsessions/bench-0" \
    | awk '/Requests\/sec/ {print int($2)}')
  kill "$emu"; wait "$emu" 2>/dev/null || true; emu=""
  python3 - "$label" "$sessions" "$raw" "$hwm" "$anon" "$file" "$idle" "$cpu" "$wrk_get" "$workers" <<'PY'
import json, sys
label, s, r = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
hwm, anon, file, idle, cpu, wrk, workers = (int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7]),
                                            float(sys.argv[8]), sys.argv[9], sys.argv[10])
print(f"| {label} | {s['count']} | {workers} | {s['convergedSeconds']:.2f} | {s['sessionsPerSecond']:.0f} "
      f"| {s['writesPerSession']:.2f} | {s['requestsPerSession']:.2f} | {hwm/1024:.1f} | {anon/1024:.1f} + {file/1024:.1f} "
      f"| {idle/1024:.1f} | {cpu:.1f} | {r['createsPerSecond']:.0f} | {wrk} | {r['createsPerSecond']/max(s['writesPerSession'],1):.0f} |")
print(f"  writes per session by method: {json.dumps(s['writesByMethod'])}; the {s['count']} creates took {s['createSeconds']:.2f} s",
      file=sys.stderr)
PY
}

echo "| build | sessions | workers | end to end s | sessions/s | writes/session | requests/session | operator VmHWM MB | anon + file MB at end | idle RSS MB | operator CPU s | raw creates/s (ceiling) | wrk GET/s | ceiling ÷ writes/session |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
run "shared runtime" "$bin/agent-operator"
run "static stdlib" "$static_bin/agent-operator"
echo
echo "($count sessions created by $conc clients, $(nproc) cores shared by emulator, operator and driver, $(date -u +%Y-%m-%d))"
