#!/usr/bin/env bash
# agent-operator benchmark (docs/bench-operator.md): COUNT AgentSessions created at once against a fresh
# kube-emulator (pods not run); time until every one has its pod, its Secret and a status. Converges the same
# burst, one after the other on fresh emulators, with:
#   shared  agent-operator, default release build (shared Swift runtime)
#   static  agent-operator linked with --static-swift-stdlib (what a container image ships)
#   kopf    bench/operator/kopf_peer.py, a kopf (Python) operator doing the same Secret + Pod + status work,
#           in .venv-bench/ (created here from PyPI: kopf, kubernetes)
# For each: converged time, operator CPU and peak RSS (VmHWM), the emulator's CPU during the burst, API
# writes per session (agent-operator's metrics), then the emulator's create ceiling with the sessions still
# in it: RAW session-sized creates, the rate of the first and of the last 1,000.
#   bash bench/operator/run.sh [COUNT=1000] [CONCURRENCY=64] [WORKERS=16]
#   env: RUNS="shared static kopf" (subset/order), RAW=10000, SCRATCH=.build-rel
set -euo pipefail
cd "$(dirname "$0")/../.."
count=${1:-1000}
conc=${2:-64}
workers=${3:-16}
runs=${RUNS:-shared static kopf}
raw_count=${RAW:-10000}
bash scripts/setup.sh >/dev/null
export PATH="/opt/swift/usr/bin:$PATH"
scratch=${SCRATCH:-.build-rel}
for p in kube-emulator agent-operator operator-bench json-bench; do
  swift build -c release --scratch-path "$scratch" --product "$p" >/dev/null
done
bin=$(swift build -c release --scratch-path "$scratch" --show-bin-path)
if [[ " $runs " == *" static "* ]]; then
  swift build -c release --static-swift-stdlib --scratch-path "$scratch-static" --product agent-operator >/dev/null
  static_bin=$(swift build -c release --static-swift-stdlib --scratch-path "$scratch-static" --show-bin-path)
fi
if [[ " $runs " == *" kopf "* ]] && [ ! -x .venv-bench/bin/kopf ]; then
  rm -rf .venv-bench
  python3 -m venv .venv-bench
  .venv-bench/bin/pip install --quiet --disable-pip-version-check kopf==1.45.2 kubernetes==37.0.2
fi

load0=$(cut -d' ' -f1-3 /proc/loadavg)
work=$(mktemp -d)
emu=""; op=""
cleanup() { [ -n "$op" ] && kill "$op" 2>/dev/null; [ -n "$emu" ] && kill "$emu" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

status_kb() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status"; }
cpu_s() { awk -v hz="$(getconf CLK_TCK)" '{print ($14+$15)/hz}' "/proc/$1/stat"; }

# One run: fresh emulator, one operator, the sessions burst, then the emulator's ceiling.
run() {
  local label=$1; shift
  "$bin/kube-emulator" --listen 127.0.0.1:0 --kubeconfig-out "$work/kubeconfig" --log-level warning --watch-history 100000 \
    >"$work/emu.log" 2>&1 &
  emu=$!
  for _ in $(seq 100); do grep -q ready "$work/emu.log" 2>/dev/null && break; sleep 0.1; done
  local server; server=$(grep -o 'http://[0-9.:]*' "$work/kubeconfig" | head -1)
  KUBECONFIG="$work/kubeconfig" kubectl apply -f manifests/crd/agentsessions.parallax.ai.yaml >/dev/null
  local port; port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  local metrics=()
  if [ "$label" = kopf ]; then
    KUBECONFIG="$work/kubeconfig" .venv-bench/bin/kopf run --standalone --all-namespaces --quiet \
      bench/operator/kopf_peer.py >"$work/op.log" 2>&1 &
    op=$!
    sleep 4  # kopf has no readiness endpoint here: give it its discovery and initial lists
  else
    "$1" --kubeconfig "$work/kubeconfig" --metrics-addr "127.0.0.1:$port" --health-addr 0 \
      --max-concurrent-reconciles "$workers" --log-level warning >"$work/op.log" 2>&1 &
    op=$!
    for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/metrics" >/dev/null 2>&1 && break; sleep 0.1; done
    sleep 1
    metrics=(--operator-metrics "http://127.0.0.1:$port/metrics")
  fi
  local idle op_cpu0 emu_cpu0
  idle=$(status_kb "$op" VmRSS); op_cpu0=$(cpu_s "$op"); emu_cpu0=$(cpu_s "$emu")
  local sessions; sessions=$("$bin/operator-bench" sessions --server "$server" --count "$count" --concurrency "$conc" \
    --namespace bench "${metrics[@]}")
  local hwm op_cpu emu_cpu
  hwm=$(status_kb "$op" VmHWM)
  op_cpu=$(awk -v a="$(cpu_s "$op")" -v b="$op_cpu0" 'BEGIN {print a - b}')
  emu_cpu=$(awk -v a="$(cpu_s "$emu")" -v b="$emu_cpu0" 'BEGIN {print a - b}')
  kill "$op"; wait "$op" 2>/dev/null || true; op=""
  # The emulator's ceiling in the same run (it still holds the sessions): session-sized creates.
  local raw; raw=$("$bin/operator-bench" raw --server "$server" --count "$raw_count" --concurrency "$conc" --namespace raw)
  kill "$emu"; wait "$emu" 2>/dev/null || true; emu=""
  python3 - "$label" "$sessions" "$raw" "$hwm" "$idle" "$op_cpu" "$emu_cpu" "$workers" <<'PY'
import json, sys
label, s, r = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
hwm, idle, cpu, emu, workers = int(sys.argv[4]), int(sys.argv[5]), float(sys.argv[6]), float(sys.argv[7]), sys.argv[8]
wps = f"{s['writesPerSession']:.2f}" if 'writesPerSession' in s else "n/a"
print(f"| {label} | {s['count']} | {workers} | {s['convergedSeconds']:.2f} | {s['sessionsPerSecond']:.0f} | {wps} "
      f"| {cpu:.2f} | {1000 * cpu / s['count']:.2f} | {emu:.2f} | {hwm/1024:.1f} | {idle/1024:.1f} "
      f"| {r['createsPerSecond']:.0f} | {r['firstCreatesPerSecond']:.0f} | {r['lastCreatesPerSecond']:.0f} |")
if 'writesByMethod' in s:
    print(f"  {label}: writes per session by method: {json.dumps(s['writesByMethod'])}; the {s['count']} creates took {s['createSeconds']:.2f} s",
          file=sys.stderr)
PY
}

echo "| operator | sessions | workers | converged s | sessions/s | writes/session | operator CPU s | CPU ms/session | emulator CPU s | operator VmHWM MB | idle RSS MB | raw creates/s | first 1k/s | last 1k/s |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
for r in $runs; do
  case $r in
    shared) run shared "$bin/agent-operator" ;;
    static) run static "$static_bin/agent-operator" ;;
    kopf) run kopf ;;
    *) echo "unknown run $r" >&2; exit 2 ;;
  esac
done
echo
echo "($count sessions created by $conc clients, $raw_count raw creates, $(nproc) cores shared by emulator, operator and driver, load average before: $load0, $(date -u +%Y-%m-%dT%H:%MZ))"
