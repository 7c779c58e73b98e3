#!/usr/bin/env bash
# The demo a newcomer runs first: installs what is missing, builds, starts kube-emulator, and walks
# through the AgentSession resource with the real kubectl. Leaves nothing running unless --stay-up.
#   bash scripts/demo.sh [--stay-up]
set -euo pipefail
cd "$(dirname "$0")/.."
stay_up=false; [ "${1:-}" = "--stay-up" ] && stay_up=true

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
bash scripts/setup.sh
export PATH="/opt/swift/usr/bin:$PATH"

say "Building (first build takes a few minutes)"
swift build --product kube-emulator 2>&1 | tail -1
bin=$(swift build --show-bin-path)

work=$(mktemp -d /tmp/agent-runtime-demo.XXXXXX)
emu_pid=""
cleanup() {
  [ -n "$emu_pid" ] && kill "$emu_pid" 2>/dev/null && wait "$emu_pid" 2>/dev/null || true
  rm -rf "$work"
}
$stay_up || trap cleanup EXIT

say "Starting kube-emulator (an in-memory Kubernetes API server)"
"$bin/kube-emulator" --listen 127.0.0.1:0 --kubeconfig-out "$work/kubeconfig" --log-format text --log-level warning >"$work/emulator.out" 2>&1 &
emu_pid=$!
for _ in $(seq 100); do grep -q '^ready' "$work/emulator.out" 2>/dev/null && break; sleep 0.1; done
grep -q '^ready' "$work/emulator.out" || { cat "$work/emulator.out"; echo "kube-emulator did not start" >&2; exit 1; }
export KUBECONFIG="$work/kubeconfig"
kubectl version 2>/dev/null | sed 's/^/  /'

say "Installing the AgentSession CRD"
kubectl apply -f manifests/crd/agentsessions.parallax.ai.yaml
kubectl wait --for=condition=Established crd/agentsessions.parallax.ai --timeout=20s

say "Applying a sample AgentSession"
kubectl apply -f - <<'YAML'
apiVersion: parallax.ai/v1alpha1
kind: AgentSession
metadata: {name: fix-login-bug, namespace: default}
spec:
  agentType: codex
  capabilities: [code, review]
  workspaceId: ws-42
YAML
kubectl get agentsessions

say "The API server refuses what the schema forbids"
kubectl apply -f - <<'YAML' || true
apiVersion: parallax.ai/v1alpha1
kind: AgentSession
metadata: {name: bad-one, namespace: default}
spec: {agentType: vim}
YAML

say "A status condition set through the status subresource ends a kubectl wait"
kubectl wait --for=condition=Ready ags/fix-login-bug --timeout=30s &
wait_pid=$!
sleep 1
kubectl patch ags fix-login-bug --subresource=status --type=merge \
  -p '{"status":{"phase":"Ready","conditions":[{"type":"Ready","status":"True","reason":"AgentReady","message":"demo","lastTransitionTime":"2026-11-21T10:00:00Z"}]}}'
wait "$wait_pid"
kubectl get ags -o wide

say "Deletion honours finalizers"
kubectl patch ags fix-login-bug --type=merge -p '{"metadata":{"finalizers":["parallax.ai/demo"]}}'
kubectl delete ags fix-login-bug --wait=false
kubectl get ags fix-login-bug -o jsonpath='  deletionTimestamp={.metadata.deletionTimestamp}{"\n"}'
kubectl patch ags fix-login-bug --type=json -p '[{"op":"remove","path":"/metadata/finalizers"}]'
kubectl get ags

if $stay_up; then
  say "kube-emulator stays up (pid $emu_pid): export KUBECONFIG=$work/kubeconfig; stop it with: kill $emu_pid"
else
  say "Done; kube-emulator stopped"
fi
