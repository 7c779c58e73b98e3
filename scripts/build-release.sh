#!/usr/bin/env bash
# Release build of agent-operator and agent-supervisor (static Swift stdlib), packaged into out/ with the
# shared libraries they need, so they run on any glibc-based Linux (>= the glibc printed at the end):
#
#   out/bin/agent-operator                  RUNPATH $ORIGIN/../lib/agent-runtime/lib
#   out/lib/agent-runtime/agent-supervisor  RUNPATH $ORIGIN/lib   (the bundle the init container copies)
#   out/lib/agent-runtime/lib/*.so.*        libcivetweb, libcurl, libyaml and everything they load except glibc
#
# The Dockerfile copies out/ to /usr/local; scripts/rootfs-smoke.sh proves the result in a bare Debian root.
#   bash scripts/build-release.sh [--out DIR] [--scratch-path DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
out=out
scratch=.build-release
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out="$2"; shift 2 ;;
    --scratch-path) scratch="$2"; shift 2 ;;
    *) echo "usage: build-release.sh [--out DIR] [--scratch-path DIR]" >&2; exit 2 ;;
  esac
done
export PATH="/opt/swift/usr/bin:$PATH"
# patchelf sets RUNPATH; binutils strips and reads symbol versions.
missing=()
command -v patchelf >/dev/null || missing+=(patchelf)
command -v objdump >/dev/null && command -v strip >/dev/null || missing+=(binutils)
if ((${#missing[@]})); then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

start=$SECONDS
for product in agent-supervisor agent-operator; do
  swift build -c release --static-swift-stdlib --product "$product" --scratch-path "$scratch" 2>&1 |
    grep -v -e "warning: the use of \`mktemp' is dangerous" -e "_ThreadLocal.swift.o:function" | tail -1
done
bin=$(swift build -c release --static-swift-stdlib --scratch-path "$scratch" --show-bin-path)

rm -rf "$out"
mkdir -p "$out/bin" "$out/lib/agent-runtime/lib"
cp "$bin/agent-operator" "$out/bin/"
cp "$bin/agent-supervisor" "$out/lib/agent-runtime/"
# Debug info is most of the size; dynamic symbols and Swift metadata stay.
strip --strip-debug "$out/bin/agent-operator" "$out/lib/agent-runtime/agent-supervisor"

# glibc itself must come from the target system (it is tied to its dynamic loader); everything else
# either binary loads is bundled, libstdc++ and libgcc_s included (minimal images may lack them).
is_glibc() {
  case "$1" in
    libc.so.*|libm.so.*|libdl.so.*|libpthread.so.*|librt.so.*|libresolv.so.*|libutil.so.*|ld-linux*|linux-vdso*) return 0 ;;
  esac
  return 1
}
for exe in "$out/bin/agent-operator" "$out/lib/agent-runtime/agent-supervisor"; do
  ldd "$exe" | awk '/=> \// {print $1, $3}' | while read -r name path; do
    is_glibc "$name" || cp -L "$path" "$out/lib/agent-runtime/lib/$name"
  done
done
patchelf --set-rpath '$ORIGIN/lib' "$out/lib/agent-runtime/agent-supervisor"
patchelf --set-rpath '$ORIGIN/../lib/agent-runtime/lib' "$out/bin/agent-operator"
# RUNPATH is not inherited: each bundled library finds its own dependencies next to itself.
for lib in "$out/lib/agent-runtime/lib/"*; do
  chmod 0644 "$lib"
  patchelf --set-rpath '$ORIGIN' "$lib"
done
ln -s ../lib/agent-runtime/agent-supervisor "$out/bin/agent-supervisor"

# Oldest glibc the bundle can run on: the newest GLIBC_x.y symbol version anything in it references.
glibc=$(for f in "$out/bin/agent-operator" "$out/lib/agent-runtime/agent-supervisor" "$out/lib/agent-runtime/lib/"*; do
  objdump -T "$f" 2>/dev/null | grep -o 'GLIBC_[0-9.]*'
done | sed 's/GLIBC_//' | sort -V | tail -1)
echo "$glibc" >"$out/lib/agent-runtime/GLIBC_MINIMUM"
"$out/bin/agent-operator" --version >/dev/null
"$out/lib/agent-runtime/agent-supervisor" --version >"$out/lib/agent-runtime/VERSION"

echo "build-release: $(cat "$out/lib/agent-runtime/VERSION") in $out/ ($((SECONDS - start)) s):"
echo "  agent-operator $(du -h "$out/bin/agent-operator" | cut -f1), agent-supervisor $(du -h "$out/lib/agent-runtime/agent-supervisor" | cut -f1)," \
  "lib bundle $(du -sh "$out/lib/agent-runtime/lib" | cut -f1) ($(ls "$out/lib/agent-runtime/lib" | wc -l) libraries); needs glibc >= $glibc"
