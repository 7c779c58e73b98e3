#!/usr/bin/env bash
# Proves the release binaries run where they must: in a bare Debian bookworm root (debootstrap
# --variant=minbase: no libcurl, no civetweb, no libyaml), as the injected supervisor does inside a user's
# agent image. Steps, each timed:
#   1. scripts/build-release.sh (static Swift stdlib, lib bundle, RUNPATH)           -> out/
#   2. debootstrap bookworm minbase from this machine's Debian mirror (cached in .build-rootfs/)
#   3. install like the Dockerfile (out/ -> /usr/local) and like the init container (the supervisor bundle
#      -> /opt/agent-runtime), then `--version` of both binaries inside the root
#   4. a real session: agent-supervisor (uid 1000, as in agent pods) supervises /bin/sh inside the root;
#      /healthz, /readyz, /status and /logs are read from outside the root over loopback
# Needs root (debootstrap, chroot, mounts in a private mount namespace) and the Debian mirror.
#   sudo bash scripts/rootfs-smoke.sh [--scratch-path DIR] [--refresh]
set -euo pipefail
cd "$(dirname "$0")/.."
scratch=.build-release
refresh=false
while [ $# -gt 0 ]; do
  case "$1" in
    --scratch-path) scratch="$2"; shift 2 ;;
    --refresh) refresh=true; shift ;;
    *) echo "usage: rootfs-smoke.sh [--scratch-path DIR] [--refresh]" >&2; exit 2 ;;
  esac
done
[ "$(id -u)" -eq 0 ] || { echo "rootfs-smoke: needs root (debootstrap and chroot)" >&2; exit 2; }
missing=()
for pair in debootstrap:debootstrap patchelf:patchelf objdump:binutils curl:curl unshare:util-linux; do
  command -v "${pair%%:*}" >/dev/null || missing+=("${pair#*:}")
done
if ((${#missing[@]})); then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

timings=()
t=$SECONDS
lap() { timings+=("$(printf '%-58s %4ss' "$1" "$((SECONDS - t))")"); t=$SECONDS; }

echo "== 1. release build"
bash scripts/build-release.sh --out out --scratch-path "$scratch"
lap "release build (build-release.sh)"

echo "== 2. debootstrap bookworm minbase"
rootfs=.build-rootfs/bookworm-minbase
# The mirror apt uses here (deb822 URIs: or one-line deb entries).
mirror=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/* 2>/dev/null |
  grep -oE '^(URIs:|deb) +https?://[^ ]+/debian/?( |$)' | awk 'NR == 1 {print $2}' || true)
mirror=${mirror:-http://deb.debian.org/debian}
if $refresh || [ ! -f "$rootfs/.complete" ]; then
  rm -rf "$rootfs"
  mkdir -p "$(dirname "$rootfs")"
  debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$rootfs.log" 2>&1 ||
    { tail -20 "$rootfs.log"; echo "rootfs-smoke: debootstrap failed (log: $rootfs.log)" >&2; exit 1; }
  touch "$rootfs/.complete"
  lap "debootstrap bookworm minbase ($mirror)"
else
  lap "debootstrap (cached in $rootfs)"
fi
echo "  $(du -sh --exclude=./proc "$rootfs" 2>/dev/null | cut -f1) in $rootfs; glibc $(chroot "$rootfs" ldd --version | head -1 | awk '{print $NF}')"
if chroot "$rootfs" ldconfig -p | grep -qE 'libcurl|libcivetweb|libyaml'; then
  echo "rootfs-smoke: the minimal root already has libcurl/civetweb/yaml; it would not prove the bundle" >&2
  exit 1
fi

# Runs a command in the root the way a container runtime would: /proc mounted (glibc resolves $ORIGIN in
# RUNPATH through /proc/self/exe, so without it the bundle is not found) and /dev bound, in a private mount
# namespace so that nothing stays mounted afterwards. Same network namespace: loopback is shared.
root_sh='set -e; root=$1; shift; mount -t proc proc "$root/proc"; mount --rbind /dev "$root/dev"; exec chroot "$root" "$@"'
in_root() { unshare --mount --propagation private --fork sh -c "$root_sh" in_root "$rootfs" "$@"; }

echo "== 3. install and --version inside the root"
rm -rf "$rootfs/usr/local/bin/agent-"* "$rootfs/usr/local/lib/agent-runtime" "$rootfs/opt/agent-runtime"
cp -a out/. "$rootfs/usr/local/"                                  # the Dockerfile's COPY /out/ /usr/local/
mkdir -p "$rootfs/opt/agent-runtime"
cp -R "$rootfs/usr/local/lib/agent-runtime/." "$rootfs/opt/agent-runtime/"   # the init container's copy
in_root /opt/agent-runtime/agent-supervisor --version
in_root /usr/local/bin/agent-operator --version
in_root /usr/local/bin/agent-supervisor --version
for exe in /opt/agent-runtime/agent-supervisor /usr/local/bin/agent-operator; do
  unresolved=$(in_root ldd "$exe" | grep 'not found' || true)
  [ -z "$unresolved" ] || { echo "rootfs-smoke: $exe: unresolved libraries: $unresolved" >&2; exit 1; }
  echo "  $exe: libcivetweb from $(in_root ldd "$exe" | awk '/libcivetweb/ {print $3}')"
done
lap "install + --version in the root"

echo "== 4. a supervised session inside the root"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
token=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
log=$(mktemp /tmp/rootfs-smoke.XXXXXX)
# The supervisor runs as uid 1000 like in agent pods, with only the environment a pod would give it.
# exec: $! is then unshare, whose only child becomes the supervisor (sh, chroot and env exec into it).
(exec unshare --mount --propagation private --fork sh -c "$root_sh" in_root "$rootfs" \
  /usr/bin/env -i PATH=/usr/bin:/bin HOME=/tmp SUPERVISOR_TOKEN="$token" \
  /usr/sbin/chroot --userspec=1000:1000 / /opt/agent-runtime/agent-supervisor --listen "127.0.0.1:$port" --workdir /tmp \
  --log-format text -- /bin/sh -c 'echo hi from $(cat /etc/debian_version); exec sleep 30') >"$log" 2>&1 &
sup=$!
cleanup() { kill "$sup" 2>/dev/null && wait "$sup" 2>/dev/null || true; rm -f "$log"; }
trap cleanup EXIT
base="http://127.0.0.1:$port"
for _ in $(seq 100); do curl -fsS "$base/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
curl -fsS "$base/healthz" >/dev/null || { cat "$log"; echo "rootfs-smoke: /healthz did not answer" >&2; exit 1; }
for _ in $(seq 100); do curl -fsS "$base/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
auth=(-H "Authorization: Bearer $token")
state=$(curl -fsS "${auth[@]}" "$base/status" | python3 -c 'import json,sys; s=json.load(sys.stdin); print(s["state"], s["pid"])')
out=""
for _ in $(seq 50); do out=$(curl -fsS "${auth[@]}" "$base/logs?tail=5"); case "$out" in *"hi from"*) break ;; esac; sleep 0.1; done
echo "  /healthz 200, /readyz $(curl -s -o /dev/null -w '%{http_code}' "$base/readyz"), /status: $state, /logs: $(echo "$out" | grep 'hi from')"
case "$out" in *"hi from 12."*) ;; *) cat "$log"; echo "rootfs-smoke: the agent's output did not come through" >&2; exit 1 ;; esac
[ "$(curl -s -o /dev/null -w '%{http_code}' "$base/status")" = 401 ] || { echo "rootfs-smoke: /status without a token must be 401" >&2; exit 1; }
# unshare --fork ignores SIGTERM itself: signal its child, the supervisor.
kill -TERM "$(ps -o pid= --ppid "$sup" | tr -d ' ')"
status=0; wait "$sup" || status=$?
trap - EXIT
rm -f "$log"
[ "$status" -eq 0 ] || { echo "rootfs-smoke: agent-supervisor exited $status on SIGTERM" >&2; exit 1; }
lap "supervised session in the root (SIGTERM exit 0)"

echo
echo "rootfs-smoke: passed; timings:"
printf '  %s\n' "${timings[@]}"
