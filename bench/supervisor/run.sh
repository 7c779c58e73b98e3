#!/usr/bin/env bash
# agent-supervisor benchmarks: idle memory, start-to-ready time, and output throughput against
# `script -qfc` (util-linux) relaying the same `cat` of a large file, in the same run.
# Usage: bash bench/supervisor/run.sh [SIZE_MB (default 200)] [RUNS (default 5)]
# Results: a Markdown table on stdout (docs/bench-supervisor.md records one run and how to read it).
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="/opt/swift/usr/bin:$PATH"
size_mb="${1:-200}"
runs="${2:-5}"
scratch="${BENCH_SCRATCH:-.build-bench}"
command -v script >/dev/null || { echo "bench: script(1) from util-linux is required" >&2; exit 1; }

# Release build, Swift runtime linked statically: that is the binary an agent pod runs (it is copied into
# images that have no Swift runtime).
echo "bench: building agent-supervisor (release, --static-swift-stdlib)" >&2
swift build -c release --static-swift-stdlib --scratch-path "$scratch" --product agent-supervisor >&2
bin="$scratch/release/agent-supervisor"
m="python3 bench/supervisor/measure.py"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# Deterministic text: lines of words, like a verbose agent or build log.
python3 - "$work/big.txt" "$size_mb" <<'PY'
import random, sys
random.seed(42)
words = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu".split()
target = int(sys.argv[2]) * 1024 * 1024
with open(sys.argv[1], "w") as f:
    n = 0
    while n < target:
        line = " ".join(random.choice(words) for _ in range(12)) + "\n"
        f.write(line)
        n += len(line)
PY
bytes=$(stat -c %s "$work/big.txt")

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

echo "bench: idle memory" >&2
rss_runs=(); for _ in 1 2 3; do rss_runs+=("$($m rss "$bin")"); done
rss_kb=$(printf '%s\n' "${rss_runs[@]}" | python3 -c 'import sys,json; v=sorted(json.loads(l)["VmRSS"] for l in sys.stdin); print(v[len(v)//2])')
anon_kb=$(printf '%s\n' "${rss_runs[@]}" | python3 -c 'import sys,json; v=sorted(json.loads(l)["RssAnon"] for l in sys.stdin); print(v[len(v)//2])')
file_kb=$(printf '%s\n' "${rss_runs[@]}" | python3 -c 'import sys,json; v=sorted(json.loads(l)["RssFile"] for l in sys.stdin); print(v[len(v)//2])')
threads=$(printf '%s\n' "${rss_runs[@]}" | python3 -c 'import sys,json; print(json.loads(sys.stdin.readline())["Threads"])')

echo "bench: start-to-ready" >&2
ready=$(for _ in $(seq "$runs"); do $m ready "$bin"; done | median)
login=$(for _ in $(seq "$runs"); do $m login "$bin" Tests/PodTests/Fixtures/fake_login_cli.py; done | median)

echo "bench: throughput, ${size_mb} MiB, $runs runs each, alternating" >&2
sup=(); scr=()
for _ in $(seq "$runs"); do
  scr+=("$($m relay-script "$work/big.txt")")
  sup+=("$($m relay-supervisor "$bin" "$work/big.txt")")
done
sup_med=$(printf '%s\n' "${sup[@]}" | median)
scr_med=$(printf '%s\n' "${scr[@]}" | median)

# Check that the supervisor really interpreted everything: its stripped log file holds every line.
"$bin" --listen 127.0.0.1:0 --insecure-no-auth --exit-with-agent --restart-policy Never --log-level warning \
  --log-file "$work/relay.log" --log-file-max-bytes 1000000000 -- cat "$work/big.txt" >/dev/null
if cmp -s "$work/big.txt" "$work/relay.log"; then verified="yes (stripped log file identical to the input)"; else verified="NO: log differs"; fi

mbps() { python3 -c "print(f'{$bytes/1048576/$1:.0f}')"; }
# Pairs are (script, supervisor) runs back to back; the ratio of medians and the pairs each side won say more
# than either median alone on a machine whose load moves.
ratio=$(python3 -c "print(f'{$sup_med/$scr_med:.3f}')")
wins=$(python3 -c "s='${sup[*]}'.split(); c='${scr[*]}'.split(); print(sum(float(a) <= float(b) for a, b in zip(s, c)))")
cat <<TABLE
| measurement | result | target |
| --- | --- | --- |
| idle supervisor, VmRSS (median of 3) | $((rss_kb / 1024)).$(( (rss_kb % 1024) * 10 / 1024 )) MiB ($anon_kb KiB anonymous + $file_kb KiB file-backed; $threads threads) | < 15 MB |
| start to ready (exec → /readyz 200, prompt printed at once; median of $runs) | $(python3 -c "print(f'{$ready*1000:.0f}')") ms | |
| start to login_required (fake TUI login CLI under python3; median of $runs) | $(python3 -c "print(f'{$login*1000:.0f}')") ms | |
| relay \`cat\` of ${size_mb} MiB: agent-supervisor (median of $runs) | ${sup_med} s ($(mbps "$sup_med") MiB/s) | ≤ script |
| relay \`cat\` of ${size_mb} MiB: \`script -qfc\` (median of $runs) | ${scr_med} s ($(mbps "$scr_med") MiB/s) | |
| supervisor / script (ratio of medians; pairs the supervisor was at least as fast) | $ratio; $wins of $runs | ≤ 1 |
| all output interpreted | $verified | |

runs (s): supervisor ${sup[*]}; script ${scr[*]}
TABLE

# Viewers against probes (docs/supervisor.md): 16 viewers (half never read) while the agent floods output,
# 34 more refused, /healthz and /status latency during and after the flood.
echo
python3 bench/supervisor/viewers.py "$bin" 16 34 10
