#!/usr/bin/env bash
# Keeping 1,000 agents registered in etcd: AgentRegistry (one scheduler, batched keepalives) against the
# naive baseline (one keepalive request per lease per TTL/3, `etcdctl lease keep-alive` style), both
# against the same etcd in the same run, plus a sample of real `etcdctl lease keep-alive` processes.
# Prints a Markdown table; results are recorded in docs/bench-registry.md.
#   bash bench/registry/run.sh [--agents N] [--ttl SECONDS] [--hold DURATION] [--etcdctl-sample K]
# Quick check: bash bench/registry/run.sh --ttl 6 --hold 12s. The recorded run: --ttl 30 --hold 60s.
set -euo pipefail
cd "$(dirname "$0")/../.."
agents=1000 ttl=30 hold=60s sample=20
while [ $# -gt 0 ]; do
  case "$1" in
    --agents) agents=$2; shift 2 ;;
    --ttl) ttl=$2; shift 2 ;;
    --hold) hold=$2; shift 2 ;;
    --etcdctl-sample) sample=$2; shift 2 ;;
    *) echo "unknown flag $1" >&2; exit 2 ;;
  esac
done
[ -x /opt/swift/usr/bin/swift ] && export PATH="/opt/swift/usr/bin:$PATH"
command -v etcd >/dev/null || bash scripts/setup.sh
scratch=${SWIFT_SCRATCH_PATH:-.build}
swift build -c release --scratch-path "$scratch" --product registry-bench >/dev/null
bin="$(swift build -c release --scratch-path "$scratch" --show-bin-path)/registry-bench"

work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]:-}"; do kill -9 "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
cport=$(port); pport=$(port)
endpoint="http://127.0.0.1:$cport"
etcd --name bench --data-dir "$work/etcd" --listen-client-urls "$endpoint" --advertise-client-urls "$endpoint" \
  --listen-peer-urls "http://127.0.0.1:$pport" --initial-advertise-peer-urls "http://127.0.0.1:$pport" \
  --initial-cluster "bench=http://127.0.0.1:$pport" --logger zap --log-level error >"$work/etcd.log" 2>&1 &
etcd_pid=$!
pids+=("$etcd_pid"); disown "$etcd_pid"
for _ in $(seq 100); do ETCDCTL_API=3 etcdctl --endpoints "$endpoint" endpoint health >/dev/null 2>&1 && break; sleep 0.1; done

ours=$("$bin" --etcd-endpoints "$endpoint" --mode registry --agents "$agents" --ttl "$ttl" --hold "$hold" --etcd-pid "$etcd_pid")
naive=$("$bin" --etcd-endpoints "$endpoint" --mode naive --agents "$agents" --ttl "$ttl" --hold "$hold" --etcd-pid "$etcd_pid")

# A sample of real etcdctl keep-alive processes (one per lease, as a per-agent sidecar would run them).
ctl_rss_kb=0 ctl_cpu=0
if [ "$sample" -gt 0 ]; then
  ctl=()
  for i in $(seq "$sample"); do
    id=$(ETCDCTL_API=3 etcdctl --endpoints "$endpoint" lease grant "$ttl" | awk '{print $2}')
    ETCDCTL_API=3 etcdctl --endpoints "$endpoint" lease keep-alive "$id" >/dev/null 2>&1 &
    ctl+=($!); pids+=($!); disown $!
  done
  secs=$(python3 -c "import re,sys; t=sys.argv[1]; m=re.fullmatch(r'([0-9.]+)(ms|s|m)?', t); v=float(m.group(1)); u=m.group(2) or 's'; print(v*{'ms':0.001,'s':1,'m':60}[u])" "$hold")
  sleep "$secs"
  hz=$(getconf CLK_TCK)
  for p in "${ctl[@]}"; do
    ctl_rss_kb=$((ctl_rss_kb + $(awk '/VmRSS/ {print $2}' /proc/$p/status)))
    ctl_cpu=$(python3 -c "import sys; f=open('/proc/$p/stat').read().rsplit(')',1)[1].split(); print($ctl_cpu + (int(f[11])+int(f[12]))/$hz)")
  done
fi

python3 - "$ours" "$naive" "$sample" "$ctl_rss_kb" "$ctl_cpu" "$agents" "$ttl" "$hold" <<'PY'
import json, sys
ours, naive = json.loads(sys.argv[1]), json.loads(sys.argv[2])
sample, rss_kb, cpu = int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
agents, ttl, hold = int(sys.argv[6]), sys.argv[7], sys.argv[8]
rows = [
    ("registration time (s)", "registrationSeconds"),
    ("HTTP requests to register", "registrationRequests"),
    ("CPU to register (s)", "registrationCPUSeconds"),
    ("HTTP requests/s to etcd while holding", "holdHTTPRequestsPerSecond"),
    ("keepalive HTTP requests while holding", "holdKeepaliveHTTPRequests"),
    ("etcd gRPC messages/s while holding", "holdEtcdMessagesPerSecond"),
    ("etcd gRPC calls+streams/s while holding", "holdEtcdCallsPerSecond"),
    ("etcd CPU while holding (s)", "holdEtcdCPUSeconds"),
    ("operator CPU while holding (s)", "holdCPUSeconds"),
    ("operator CPU while holding (% of one core)", "holdCPUPercent"),
    ("operator RSS after holding (MB)", "rssMB"),
    ("operator peak RSS (MB)", "peakRSSMB"),
    ("operator threads", "threads"),
    ("operator sockets", "sockets"),
    ("keys present after holding", "keysPresentAfterHold"),
    ("registrations lost", "registrationsLost"),
]
print(f"| {agents} agents, {ttl} s leases, held {hold} | AgentRegistry | naive (1 request per lease per TTL/3) |")
print("| --- | --- | --- |")
for label, key in rows:
    print(f"| {label} | {ours.get(key)} | {naive.get(key)} |")
if sample:
    per_rss = rss_kb / sample / 1024
    per_cpu = cpu / sample
    print()
    print(f"`etcdctl lease keep-alive`, {sample} processes sampled: {per_rss:.1f} MB RSS and {per_cpu:.3f} s CPU each over the hold;"
          f" for {agents} leases that is ~{per_rss*agents/1024:.1f} GB RSS and ~{per_cpu*agents:.1f} s CPU.")
print()
print("raw:", json.dumps(ours))
print("raw:", json.dumps(naive))
PY
echo
echo "($(nproc) cores shared by etcd and the benchmark, etcd $(etcd --version | head -1 | awk '{print $3}'), $(date -u +%Y-%m-%d))"
