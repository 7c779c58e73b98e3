#!/usr/bin/env bash
# The demo a newcomer runs first (README): on a fresh Debian machine it installs what is missing, builds,
# and runs the whole system on this machine: etcd (the Parallax registry), kube-emulator with its process
# kubelet (agent pods as local processes), and agent-operator with the runtime API. It applies the CRD and
# a sample AgentSession whose agent is a scripted demo CLI (scripts/demo/demo-agent.sh), shows it asking
# for a login (URL and code from its status), answers the login through the runtime API (agentctl),
# and shows it Ready: its Parallax registry entry, its status and its screen. Then it stops everything
# (unless --stay-up) and leaves nothing running.
#
#   bash scripts/demo.sh [--stay-up]
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$(pwd)"
stay_up=false
for arg in "$@"; do
  case "$arg" in
    --stay-up) stay_up=true ;;
    -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "demo: unknown argument $arg (see --help)" >&2; exit 2 ;;
  esac
done
started=$(date +%s)
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '\033[2m$ %s\033[0m\n' "$*"; "$@"; }

# --- Tools and build ------------------------------------------------------------------------------------
AGENT_SETUP_SKIP_AIDER=1 bash scripts/setup.sh
export PATH="/opt/swift/usr/bin:$PATH"
command -v etcd >/dev/null || { echo "demo: etcd is missing (scripts/setup.sh installs etcd-server)" >&2; exit 1; }

# kubectl comes with these machines (Debian's kubernetes-client is 1.20, older than the emulator supports,
# and nothing is downloaded from outside the package registries).
command -v kubectl >/dev/null || { echo "demo: kubectl is missing; install kubectl 1.27 or newer and run again" >&2; exit 1; }

say "Building (debug; the first build takes a minute or two)"
swift build 2>&1 | grep -E "error|warning: unre|Compiling|Build complete" | grep -vE "^\[[0-9]+/[0-9]+\] Compiling" | tail -3
bin="$(swift build --show-bin-path)"
for b in kube-emulator agent-operator agent-supervisor agentctl; do [ -x "$bin/$b" ] || { echo "demo: $bin/$b was not built" >&2; exit 1; }; done

# --- Processes --------------------------------------------------------------------------------------------
work="$(mktemp -d /tmp/agent-runtime-demo.XXXXXX)"
pids=()
cleanup() {
  local code=$?
  # Reverse order: the operator first (so nothing recreates pods), then the emulator (its kubelet stops the
  # agent processes), then etcd.
  for ((i=${#pids[@]}-1; i>=0; i--)); do kill "${pids[$i]}" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
  if [ "$code" -ne 0 ]; then
    echo "demo: failed (exit $code); last lines of the logs:" >&2
    for f in "$work"/*.log; do [ -f "$f" ] && { echo "--- $f" >&2; tail -n 15 "$f" >&2; }; done
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# A free loopback port: bash's /dev/tcp connects when something listens there.
free_port() {
  local p
  while :; do
    p=$((20000 + RANDOM % 30000))
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
  done
}
wait_for() {  # wait_for SECONDS DESCRIPTION COMMAND...
  local limit=$1 what=$2; shift 2
  for _ in $(seq $((limit * 10))); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
  echo "demo: timed out waiting for $what" >&2
  return 1
}

say "Starting etcd (the Parallax registry)"
etcd_port=$(free_port); peer_port=$(free_port)
etcd_url="http://127.0.0.1:$etcd_port"
etcd --name demo --data-dir "$work/etcd" --listen-client-urls "$etcd_url" --advertise-client-urls "$etcd_url" \
  --listen-peer-urls "http://127.0.0.1:$peer_port" --initial-advertise-peer-urls "http://127.0.0.1:$peer_port" \
  --initial-cluster "demo=http://127.0.0.1:$peer_port" --log-level warn >"$work/etcd.log" 2>&1 &
pids+=($!)
wait_for 30 etcd "$bin/agentctl" registry list --etcd-endpoints "$etcd_url" --etcd-timeout 1s
echo "  etcd at $etcd_url"

say "Starting kube-emulator (an in-memory Kubernetes API server; pods run as local processes)"
"$bin/kube-emulator" --listen 127.0.0.1:0 --kubeconfig-out "$work/kubeconfig" --run-pods \
  --supervisor-binary "$bin/agent-supervisor" --pod-root "$work/pods" --log-format text --log-level warning \
  >"$work/kube-emulator.log" 2>&1 &
pids+=($!)
wait_for 30 kube-emulator grep -q '^ready' "$work/kube-emulator.log"
export KUBECONFIG="$work/kubeconfig"
run kubectl apply -f manifests/crd/agentsessions.parallax.ai.yaml
kubectl wait --for=condition=Established crd/agentsessions.parallax.ai --timeout=30s >/dev/null

say "Starting agent-operator with the runtime API"
api_port=$(free_port)
head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$work/api-token"
chmod 600 "$work/api-token"
"$bin/agent-operator" --kubeconfig "$work/kubeconfig" --etcd-endpoints "$etcd_url" \
  --api-addr "127.0.0.1:$api_port" --api-token-file "$work/api-token" \
  --metrics-addr 0 --health-addr 0 --log-format text >"$work/agent-operator.log" 2>&1 &
pids+=($!)
export AGENTCTL_SERVER="http://127.0.0.1:$api_port" AGENTCTL_TOKEN_FILE="$work/api-token"
wait_for 60 "the runtime API" "$bin/agentctl" list
echo "  runtime API at $AGENTCTL_SERVER (bearer token in $AGENTCTL_TOKEN_FILE)"
agentctl() { "$bin/agentctl" "$@"; }

# --- The agent --------------------------------------------------------------------------------------------
say "Applying a sample AgentSession (its CLI is the scripted demo agent)"
cat >"$work/session.yaml" <<YAML
apiVersion: parallax.ai/v1alpha1
kind: AgentSession
metadata: {name: fix-login-bug, namespace: default}
spec:
  agentType: codex
  command: [bash, $repo/scripts/demo/demo-agent.sh]
  capabilities: [code, review]
  workspaceId: ws-42
  registry: {ttlSeconds: 15}
YAML
sed 's/^/  /' "$work/session.yaml"
run kubectl apply -f "$work/session.yaml"
id=default.fix-login-bug

say "Watching it start: Pending -> Starting -> Authenticating"
last=""
for _ in $(seq 600); do
  phase=$(kubectl get ags fix-login-bug -o jsonpath='{.status.phase}' 2>/dev/null || true)
  if [ -n "$phase" ] && [ "$phase" != "$last" ]; then echo "  phase: $phase"; last=$phase; fi
  [ "$phase" = Authenticating ] && break
  sleep 0.1
done
[ "$last" = Authenticating ] || { echo "demo: the agent did not ask for a login" >&2; exit 1; }
url=$(kubectl get ags fix-login-bug -o jsonpath='{.status.login.url}')
code=$(kubectl get ags fix-login-bug -o jsonpath='{.status.login.code}')
printf '  The agent needs a login:  open \033[1m%s\033[0m  and enter the code  \033[1m%s\033[0m\n' "$url" "$code"
echo "  (status.login of the AgentSession; the runtime API's GET /events streams the same as login_required)"
run kubectl get ags fix-login-bug -o wide

say "Answering the login through the runtime API (the demo CLI only wants Enter)"
run agentctl input "$id"
run agentctl wait "$id" --for Ready --wait-timeout 60s
kubectl wait --for=condition=Ready ags/fix-login-bug --timeout=60s >/dev/null

say "Its Parallax registry entry (etcd key /parallax/services/agent/$id)"
run agentctl registry get "$id" --etcd-endpoints "$etcd_url"

say "Its status"
run kubectl get ags -o wide
run agentctl list

say "Giving it a task and reading its screen"
run agentctl input "$id" "fix the login bug in auth.py"
sleep 1
run agentctl screen "$id"

elapsed=$(( $(date +%s) - started ))
say "Done in ${elapsed}s"
cat <<EOF
  Attach to its terminal (Ctrl-] detaches):   agentctl attach $id
  Follow changes and login prompts:           agentctl events
  Stop it:                                    agentctl stop $id     (or: kubectl delete ags fix-login-bug)
EOF

if $stay_up; then
  trap - EXIT
  cat <<EOF

Everything stays up. In another shell:
  export KUBECONFIG=$KUBECONFIG AGENTCTL_SERVER=$AGENTCTL_SERVER AGENTCTL_TOKEN_FILE=$AGENTCTL_TOKEN_FILE
  export PATH=$bin:\$PATH
  agentctl attach $id
Stop everything with:
  kill ${pids[*]}; rm -rf $work
EOF
  exit 0
fi

say "Stopping the agent through the API, then everything else"
run agentctl stop "$id" --wait --wait-timeout 60s
for _ in $(seq 100); do
  [ "$(agentctl registry list --etcd-endpoints "$etcd_url" -o json 2>/dev/null | grep -c '"agentId"')" = 0 ] && break
  sleep 0.1
done
run agentctl registry list --etcd-endpoints "$etcd_url"
trap - EXIT
cleanup
leftover=$(pgrep -f "$work" || true)
if [ -n "$leftover" ]; then echo "demo: processes left behind: $leftover" >&2; exit 1; fi
echo "  stopped etcd, kube-emulator and agent-operator; nothing left running (total $(( $(date +%s) - started ))s)"
