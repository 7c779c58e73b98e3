#!/usr/bin/env bash
# Reproduces one turn of a real agent CLI against the fake model server (docs/agent-clis.md):
#   bash scripts/try-agent-cli.sh claude|codex|aider [MESSAGE]
# Starts Tests/PodTests/Fixtures/fake_model_server.py on a free loopback port (also the CLI's HTTPS_PROXY, so any
# attempt to reach the internet is refused and shows in the log), writes the start-without-a-person config into
# a temporary HOME, runs the CLI (inline rendering: CLAUDE_CODE_DISABLE_ALTERNATE_SCREEN=1, codex --no-alt-screen)
# in a private tmux server (120x40), waits for its ready screen, types MESSAGE + Enter in one write, waits for
# the reply text, prints the final screen and the request log, and removes everything.
# Bounded: 60 s per wait. Needs tmux and `bash scripts/setup-agent-clis.sh`.
set -euo pipefail

name="${1:-}"; msg="${2:-say hi}"
case "$name" in claude|codex|aider) ;; *) echo "usage: $0 claude|codex|aider [MESSAGE]" >&2; exit 2 ;; esac
root="$(cd "$(dirname "$0")/.." && pwd)"
paths="$root/.venv-agents/bin/agent-cli-paths"
[ -f "$paths" ] || { echo "try-agent-cli: run scripts/setup-agent-clis.sh first" >&2; exit 1; }
# shellcheck disable=SC1090
source "$paths"
command -v tmux >/dev/null || { echo "try-agent-cli: tmux not found" >&2; exit 1; }

reply="PONG from the fake model ($name)"
tmp="$(mktemp -d /tmp/try-agent-cli.XXXXXX)"
home="$tmp/home"; work="$tmp/work"; mkdir -p "$home" "$work"
sock="try-agent-cli-$$"
srv_pid=""
cleanup() {
  tmux -L "$sock" kill-server 2>/dev/null || true
  [ -n "$srv_pid" ] && kill "$srv_pid" 2>/dev/null || true
  # The CLI may outlive the tmux server briefly (and write into its HOME while exiting), and a Codex started
  # without --no-daemon leaves a background app-server: end every process running from or in $tmp, by pid.
  local i pid
  for i in 1 2 3 4 5 6 7 8 9 10; do
    local left=()
    for pid in $(ls /proc | grep -E '^[0-9]+$'); do
      [ "$pid" = "$$" ] && continue
      if grep -qF "$tmp" "/proc/$pid/cmdline" 2>/dev/null || [[ "$(readlink "/proc/$pid/cwd" 2>/dev/null)" == "$tmp"* ]]; then
        left+=("$pid")
      fi
    done
    ((${#left[@]})) || break
    kill "${left[@]}" 2>/dev/null || true
    sleep 0.3
  done
  rm -rf "$tmp"
}
trap cleanup EXIT

python3 "$root/Tests/PodTests/Fixtures/fake_model_server.py" --reply "$reply" --log "$tmp/requests.jsonl" \
  --delay 1 --chunks 3 --chunk-delay 0.2 >"$tmp/server.out" 2>"$tmp/server.err" &
srv_pid=$!
for _ in $(seq 50); do grep -q '^listening on' "$tmp/server.out" 2>/dev/null && break; sleep 0.1; done
port="$(sed -n 's/^listening on 127.0.0.1://p' "$tmp/server.out")"
[ -n "$port" ] || { echo "try-agent-cli: fake server did not start" >&2; cat "$tmp/server.err" >&2; exit 1; }

base=(HOME="$home" PATH="/usr/local/bin:/usr/bin:/bin" TERM=xterm-256color LANG=C.UTF-8
  HTTPS_PROXY="http://127.0.0.1:$port" HTTP_PROXY="http://127.0.0.1:$port" NO_PROXY=127.0.0.1,localhost)
case "$name" in
  claude)
    cat >"$home/.claude.json" <<EOF
{"hasCompletedOnboarding": true, "hasSeenAutoDefaultNotice": true,
 "customApiKeyResponses": {"approved": ["sk-ant-test"], "rejected": []},
 "projects": {"$work": {"hasTrustDialogAccepted": true}}}
EOF
    cmd=(env -i "${base[@]}" ANTHROPIC_BASE_URL="http://127.0.0.1:$port" ANTHROPIC_API_KEY=sk-ant-test
      DISABLE_AUTOUPDATER=1 CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1
      CLAUDE_CODE_DISABLE_OFFICIAL_MARKETPLACE_AUTOINSTALL=1 CLAUDE_CODE_DISABLE_ALTERNATE_SCREEN=1 "$CLAUDE_BIN")
    ready='shift\+tab to cycle'
    ;;
  codex)
    mkdir -p "$home/.codex"
    cat >"$home/.codex/config.toml" <<EOF
model = "fake-model"
model_provider = "fake"
approval_policy = "never"
sandbox_mode = "read-only"
check_for_update_on_startup = false
disable_paste_burst = true

[model_providers.fake]
name = "Fake"
base_url = "http://127.0.0.1:$port/v1"
env_key = "FAKE_API_KEY"
wire_api = "responses"

[projects."$work"]
trust_level = "trusted"

[analytics]
enabled = false

[feedback]
enabled = false

[features]
plugins = false
apps = false

[tui]
show_tooltips = false
EOF
    cmd=(env -i "${base[@]}" PATH="$CODEX_PATH_DIR:/usr/local/bin:/usr/bin:/bin" CODEX_HOME="$home/.codex"
      FAKE_API_KEY=sk-test "$CODEX_BIN" --no-daemon --no-alt-screen)
    ready='^› '
    ;;
  aider)
    mkdir -p "$home/.aider/caches"
    echo '{"fake-model": {"max_input_tokens": 128000, "max_output_tokens": 8192, "input_cost_per_token": 0, "output_cost_per_token": 0, "litellm_provider": "openai", "mode": "chat"}}' \
      >"$home/.aider/caches/model_prices_and_context_window.json"
    cmd=(env -i "${base[@]}" LITELLM_LOCAL_MODEL_COST_MAP=True "$AIDER_BIN" --model openai/fake-model
      --openai-api-base "http://127.0.0.1:$port/v1" --openai-api-key sk-test --no-check-update
      --no-show-release-notes --no-git --no-show-model-warnings --analytics-disable --no-pretty --yes-always)
    ready='^> ?$'
    ;;
esac

screen() { tmux -L "$sock" capture-pane -p -t try; }
wait_for() { # REGEX SECONDS
  local end=$((SECONDS + $2))
  while ((SECONDS < end)); do
    screen | grep -Eq -- "$1" && return 0
    sleep 0.2
  done
  echo "try-agent-cli: timed out waiting for /$1/; screen:" >&2
  screen >&2
  return 1
}

cd "$work"
printf -v shcmd '%q ' "${cmd[@]}"
tmux -L "$sock" new-session -d -s try -x 120 -y 40 "$shcmd; sleep 30"
wait_for "$ready" 60
sleep 0.5
tmux -L "$sock" send-keys -t try -l "$msg"$'\r'
wait_for "PONG from the fake model" 60
# the turn is over when the CLI's busy marker is gone
for _ in $(seq 100); do
  s="$(screen)"
  case "$name" in
    claude) grep -q 'esc to interrupt' <<<"$s" || break ;;
    codex) grep -q 'esc to interrupt' <<<"$s" || break ;;
    aider) grep -q '^Tokens:' <<<"$s" && break ;;
  esac
  sleep 0.2
done
sleep 0.5
echo "=== final screen ($name)"
screen | sed -e :a -e '/^\n*$/{$d;N;ba' -e '}'
echo "=== requests (fake server log)"
cat "$tmp/requests.jsonl" 2>/dev/null || true
