#!/usr/bin/env bash
# Installs what building, testing and the demo need on a Debian machine (idempotent; apt-get as root).
set -euo pipefail

packages=(
  libcurl4-openssl-dev   # HTTP client (every outgoing HTTP call)
  libyaml-dev            # YAML parsing
  libcivetweb-dev        # HTTP/WebSocket server
  etcd-server etcd-client  # the registry the tests and demo run against
  wrk                    # HTTP load generator for the benchmark ceiling
  util-linux             # script(1), the PTY relay baseline
  procps                 # ps/pkill used by scripts
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}" >&2
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

command -v swift >/dev/null || { [ -x /opt/swift/usr/bin/swift ] && export PATH="/opt/swift/usr/bin:$PATH"; }
command -v swift >/dev/null || { echo "setup: Swift 6 toolchain not found (expected on PATH or /opt/swift)" >&2; exit 1; }
command -v kubectl >/dev/null || echo "setup: warning: kubectl not found; the kubectl tests will fail" >&2

# --- Aider, for agent-supervisor's real-CLI test (Tests/PodTests/LoginPatternsTests) -------------------------
# aider-chat from PyPI in a virtualenv at .venv-aider/ (gitignored). Idempotent: skipped once
# .venv-aider/bin/aider exists; a half-finished earlier install is removed and redone. Pinned, because the test
# asserts Aider's own login-screen wording.
# AGENT_SETUP_SKIP_AIDER=1 skips it (the demo does not need Aider and must stay within its time budget).
root="$(cd "$(dirname "$0")/.." && pwd)"
if [ "${AGENT_SETUP_SKIP_AIDER:-0}" != 1 ] && [ ! -x "$root/.venv-aider/bin/aider" ]; then
  if ! python3 -m venv --help >/dev/null 2>&1; then
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends python3-venv >/dev/null
  fi
  echo "setup: installing aider-chat into .venv-aider (for the supervisor's Aider test)" >&2
  rm -rf "$root/.venv-aider"
  python3 -m venv "$root/.venv-aider"
  "$root/.venv-aider/bin/pip" install --quiet --disable-pip-version-check aider-chat==0.86.2
fi
