#!/usr/bin/env bash
# Installs the chart and manifest checkers into .venv-tools/ (gitignored), idempotently:
#   helm-sdkpy          real Helm (v3, Go library) for `helm lint`; it declares Python 3.12 but works on 3.11
#   helm-python-sdk     real Helm (v4) for rendering templates offline (helm-sdkpy has no `helm template`)
#   kubernetes-validate the Kubernetes OpenAPI schemas, bundled, for offline validation
# Re-installs when the pins below change. Prints the venv's python path on stdout.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="$root/.venv-tools"
pins=(helm-sdkpy==0.1.32 helm-python-sdk==0.2.2 kubernetes-validate==1.37.0 PyYAML==6.0.3)
stamp="$venv/.pins"

if [ "$(cat "$stamp" 2>/dev/null)" != "${pins[*]}" ]; then
  if ! python3 -m venv --help >/dev/null 2>&1; then
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends python3-venv >/dev/null
  fi
  echo "setup-tools: installing ${pins[*]} into .venv-tools" >&2
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check --ignore-requires-python "${pins[@]}" >&2
  echo "${pins[*]}" >"$stamp"
fi
echo "$venv/bin/python"
