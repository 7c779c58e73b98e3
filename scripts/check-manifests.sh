#!/usr/bin/env bash
# CI checks of the Helm chart, the plain manifests and the samples, with real tools:
#   - the chart's CRD is the same file as manifests/crd/, and versions agree with agentRuntimeVersion
#   - every YAML file parses; helm lint (Helm v3 through helm-sdkpy, Helm v4 through helm-python-sdk)
#   - the rendered chart (default and ci/ values) and `kubectl kustomize manifests` validate strictly
#     against the Kubernetes schemas of the oldest (1.27) and newest bundled (1.37) versions
#   - chart and plain manifests agree: RBAC, the operator Deployment, the operator config
#   - kube-emulator accepts, through `kubectl apply`: the CRD, what it serves of the rendered chart and of the
#     plain manifests, and every sample; the real agent-operator starts with the chart's and the plain
#     manifests' config and flags and becomes ready
#   bash scripts/check-manifests.sh          (SWIFT_SCRATCH_PATH=.build-x to build elsewhere than .build)
#   bash scripts/check-manifests.sh --sync   copy manifests/crd/ into the chart first
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"
chart=charts/agent-operator
crd=agentsessions.parallax.ai.yaml
[ "${1:-}" = "--sync" ] && cp "manifests/crd/$crd" "$chart/crds/$crd"

t0=$SECONDS
step() { printf '\n== %s (%ss)\n' "$*" "$((SECONDS - t0))"; }
die() { echo "check-manifests: $*" >&2; exit 1; }

step "tools"
py=$(bash scripts/setup-tools.sh)
tools() { "$py" scripts/chart_tools.py "$@"; }
work=$(mktemp -d /tmp/check-manifests.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

step "the chart ships manifests/crd/$crd unchanged"
cmp "manifests/crd/$crd" "$chart/crds/$crd" || die "$chart/crds/$crd differs from manifests/crd/$crd: run scripts/check-manifests.sh --sync"
[ "$(ls "$chart/crds")" = "$crd" ] || die "$chart/crds/ holds more than $crd"

step "versions agree with agentRuntimeVersion"
version=$(sed -n 's/^public let agentRuntimeVersion = "\(.*\)"$/\1/p' Sources/RuntimeCore/CommandLine.swift)
[ -n "$version" ] || die "agentRuntimeVersion not found in Sources/RuntimeCore/CommandLine.swift"
grep -qx "appVersion: \"$version\"" "$chart/Chart.yaml" || die "$chart/Chart.yaml appVersion is not \"$version\""
grep -qx "version: $version" "$chart/Chart.yaml" || die "$chart/Chart.yaml version is not $version"
stale=$(grep -rnoE 'ghcr\.io/parallax-ai/[a-z-]+:[0-9][0-9A-Za-z.+-]*' "$chart" manifests images Dockerfile docs/*.md |
  grep -v ":$version\$" || true)
[ -z "$stale" ] || die "image tags other than $version: $stale"
echo "  $version: Chart.yaml, image tags in the chart, manifests, images/, Dockerfile and docs"

step "every YAML file parses"
mapfile -t yamls < <(find charts manifests images .github -name '*.yaml' -o -name '*.yml' 2>/dev/null |
  grep -v "^$chart/templates/" | sort)
tools parse "${yamls[@]}"
"$py" -c 'import json,sys; [json.load(open(f)) for f in sys.argv[1:]]' "$chart/values.schema.json" docs/grafana-dashboard.json
echo "  JSON: values.schema.json, docs/grafana-dashboard.json parse"

step "helm lint"
mapfile -t ci_values < <(ls "$chart"/ci/*.yaml)
lint_args=(); for v in "${ci_values[@]}"; do lint_args+=(-f "$v"); done
tools lint "$chart" "${lint_args[@]}"

step "render (default, ci/ and docs/install.md values; the docs' kustomize overlay) and validate"
# docs/install.md's own examples (my-values.yaml, the kustomize overlay) are rendered as written.
tools doc-block docs/install.md "# my-values.yaml" | sed 's|<registry>|registry.example.com/team|' >"$work/my-values.yaml"
ci_values+=("$work/my-values.yaml")
tools render "$chart" --crds >"$work/chart.yaml"
for v in "${ci_values[@]}"; do tools render "$chart" --crds -f "$v" >"$work/chart-$(basename "$v")"; done
kubectl kustomize manifests >"$work/plain.yaml"
mkdir -p "$work/overlay/my-overlay"
cp -r manifests "$work/overlay/"
tools doc-block docs/install.md "# my-overlay/kustomization.yaml" | sed 's|<registry>|registry.example.com/team|' \
  >"$work/overlay/my-overlay/kustomization.yaml"
kubectl kustomize "$work/overlay/my-overlay" >"$work/overlay.yaml"
tools validate --k8s 1.27.0 --k8s 1.37.0 "$work"/chart*.yaml "$work/plain.yaml" "$work/overlay.yaml" manifests/samples/*.yaml
if tools render "$chart" --set-json '{"config":{"quotas":{"maxSesionsPerNamespace":1}}}' >/dev/null 2>&1; then
  die "values.schema.json accepted a misspelt config key"
fi
echo "  values.schema.json rejects a misspelt config key"

step "chart and plain manifests agree"
diff <(tools rbac "$work/chart.yaml") <(tools rbac manifests/rbac/*.yaml) || die "chart RBAC differs from manifests/rbac/"
for v in "${ci_values[@]}"; do
  diff <(tools rbac "$work/chart-$(basename "$v")") <(tools rbac manifests/rbac/*.yaml) || die "chart RBAC ($v) differs from manifests/rbac/"
done
echo "  RBAC: the chart (every values file) grants what manifests/rbac/ grants"
tools same-deployment "$work/chart.yaml" "$work/plain.yaml"
"$py" - "$chart/values.yaml" manifests/config/operator-config.yaml <<'PY' || die "chart config defaults differ from manifests/config/operator-config.yaml"
import sys, yaml
chart = yaml.safe_load(open(sys.argv[1]))["config"]
plain = yaml.safe_load(open(sys.argv[2]))
if chart != plain:
    print(f"  chart config: {chart}\n  plain config: {plain}")
    sys.exit(1)
print("  config: the chart's defaults are manifests/config/operator-config.yaml")
PY
(cd manifests && for f in "crd/$crd" rbac/*.yaml operator/*.yaml; do
  grep -qx "  - $f" kustomization.yaml || { echo "manifests/kustomization.yaml does not list $f" >&2; exit 1; }
done) || die "manifests/kustomization.yaml is incomplete"
echo "  kustomization.yaml lists every file of crd/, rbac/ and operator/"

step "build kube-emulator and agent-operator"
scratch=(); [ -n "${SWIFT_SCRATCH_PATH:-}" ] && scratch=(--scratch-path "$SWIFT_SCRATCH_PATH")
swift build "${scratch[@]}" --product kube-emulator 2>&1 | tail -1
swift build "${scratch[@]}" --product agent-operator 2>&1 | tail -1
bin=$(swift build "${scratch[@]}" --show-bin-path)

step "kubectl apply to kube-emulator"
# No --token: kubectl does not send tokens over plain HTTP. Manifests only: kubectl's imperative
# generators send protobuf, which the emulator refuses.
"$bin/kube-emulator" --listen 127.0.0.1:0 --kubeconfig-out "$work/kubeconfig" --log-format text --log-level warning \
  >"$work/emulator.out" 2>&1 &
pids+=($!)
for _ in $(seq 100); do grep -q '^ready' "$work/emulator.out" && break; sleep 0.1; done
grep -q '^ready' "$work/emulator.out" || { cat "$work/emulator.out"; die "kube-emulator did not start"; }
export KUBECONFIG="$work/kubeconfig"
kubectl apply -f "manifests/crd/$crd"
kubectl wait --for=condition=Established "crd/${crd%.yaml}" --timeout=20s
kubectl api-resources --no-headers | awk '{print $(NF-2) "/" $NF}' >"$work/served"
kubectl apply -f manifests/operator/namespace.yaml
for rendered in "$work"/chart*.yaml "$work/plain.yaml"; do
  tools served --kinds "$work/served" "$rendered" >"$work/served.yaml"
  kubectl apply --validate=strict -f "$work/served.yaml"
done
kubectl apply --validate=strict -f manifests/samples/namespace.yaml
kubectl apply --validate=strict -f manifests/samples/
kubectl get agentsessions -A

step "agent-operator starts with the chart's and the plain manifests' config and flags"
port() { "$py" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
for rendered in "$work"/chart*.yaml "$work/plain.yaml"; do
  source=$(basename "$rendered" .yaml)
  mkdir -p "$work/run-$source"
  health=$(port)
  mapfile -t args < <(tools operator-args "$rendered" --workdir "$work/run-$source" --kubeconfig "$work/kubeconfig" \
    --metrics "$(port)" --health "$health" --api "$(port)")
  POD_NAMESPACE=agent-runtime "$bin/agent-operator" "${args[@]}" >"$work/run-$source/log" 2>&1 &
  op=$!
  pids+=("$op")
  ready=""
  for _ in $(seq 150); do
    curl -fsS "http://127.0.0.1:$health/readyz" >/dev/null 2>&1 && { ready=yes; break; }
    kill -0 "$op" 2>/dev/null || break
    sleep 0.2
  done
  [ -n "$ready" ] || { tail -20 "$work/run-$source/log"; die "agent-operator with the $source config did not become ready"; }
  kill -TERM "$op"
  status=0; wait "$op" || status=$?
  [ "$status" -eq 0 ] || { tail -20 "$work/run-$source/log"; die "agent-operator ($source) exited $status on SIGTERM"; }
  echo "  $source: ready, clean exit on SIGTERM (${args[*]:2})"
done

printf '\ncheck-manifests: all checks passed in %ss\n' "$((SECONDS - t0))"
