#!/usr/bin/env bash
# Runs the whole test suite: installs what is missing, builds, and runs `swift test` (XCTest).
# The tests start their own real parts (kube-emulator, etcd, kubectl) on random loopback ports.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="/opt/swift/usr/bin:$PATH"
bash scripts/check-manifests.sh; [ "$(id -u)" -ne 0 ] || bash scripts/rootfs-smoke.sh  # chart, manifests, release (issue 7)
swift build --build-tests
swift test --skip-build "$@"
