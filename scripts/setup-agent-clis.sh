#!/usr/bin/env bash
# Installs the real agent CLIs (Claude Code, Codex CLI, Aider) from PyPI into .venv-agents/ (gitignored), for
# the supervisor's conversation tests against Tests/PodTests/Fixtures/fake_model_server.py. Facts about the
# CLIs (screens, config, flags): docs/agent-clis.md.
#
# Idempotent: skipped when .venv-agents/.installed holds exactly the pinned versions below; anything else
# (a half-finished or older install) is removed and redone. Pinned, because the tests match the CLIs' own
# screen wording.
#
#   claude-agent-sdk     its wheel carries the Claude Code CLI (a native binary, claude_agent_sdk/_bundled/claude)
#   openai-codex-cli-bin the Codex CLI (native Rust binary)
#   aider-chat           Aider (pure Python, many dependencies)
#
# The two binary wheels go in with --no-deps: only their executables are used, and the SDK's Python
# dependencies (mcp, pydantic, ...) would fight aider-chat's exact pins.
#
# Writes .venv-agents/bin/agent-cli-paths (shell-sourceable: CLAUDE_BIN=..., CODEX_BIN=..., AIDER_BIN=...)
# and prints it. About 320 MB of wheels plus Aider's dependencies, ~1.4 GB on disk, ~1 minute on a fast link (numbers: docs/agent-clis.md).
set -euo pipefail

CLAUDE_AGENT_SDK_VERSION=0.2.189   # Claude Code 2.x bundled (see `claude --version`)
CODEX_CLI_BIN_VERSION=0.163.0
AIDER_CHAT_VERSION=0.86.2

root="$(cd "$(dirname "$0")/.." && pwd)"
venv="$root/.venv-agents"
stamp="claude-agent-sdk==$CLAUDE_AGENT_SDK_VERSION openai-codex-cli-bin==$CODEX_CLI_BIN_VERSION aider-chat==$AIDER_CHAT_VERSION"

if [ -f "$venv/.installed" ] && [ "$(cat "$venv/.installed")" = "$stamp" ] && [ -f "$venv/bin/agent-cli-paths" ]; then
  cat "$venv/bin/agent-cli-paths"
  exit 0
fi

if ! python3 -m venv --help >/dev/null 2>&1 || ! python3 -c 'import ensurepip' >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends python3-venv >/dev/null
fi

echo "setup-agent-clis: installing $stamp into .venv-agents" >&2
rm -rf "$venv"
python3 -m venv "$venv"
pip=("$venv/bin/pip" install --quiet --disable-pip-version-check --no-input)
"${pip[@]}" --no-deps "claude-agent-sdk==$CLAUDE_AGENT_SDK_VERSION" "openai-codex-cli-bin==$CODEX_CLI_BIN_VERSION"
# pip then reports "claude-agent-sdk ... requires mcp ..., which is not installed": expected (--no-deps), filtered.
"${pip[@]}" "aider-chat==$AIDER_CHAT_VERSION" 2> >(grep -v -e "dependency resolver does not currently" \
  -e "dependency conflicts" -e "which is not installed" >&2)

py="$venv/bin/python"
site="$("$py" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
claude="$site/claude_agent_sdk/_bundled/claude"
# The Codex wheel's layout (codex_cli_bin/codex-package.json): bin/codex, plus codex-path/ (rg, which the
# npm launcher puts on PATH) and codex-resources/ (bwrap).
codex="$site/codex_cli_bin/bin/codex"
codex_path_dir="$site/codex_cli_bin/codex-path"
aider="$venv/bin/aider"
for b in "$claude" "$codex" "$aider"; do
  [ -x "$b" ] || { echo "setup-agent-clis: expected executable missing: $b" >&2; exit 1; }
done

cat >"$venv/bin/agent-cli-paths" <<EOF
CLAUDE_BIN=$claude
CODEX_BIN=$codex
CODEX_PATH_DIR=$codex_path_dir
AIDER_BIN=$aider
EOF
printf '%s\n' "$stamp" >"$venv/.installed"
cat "$venv/bin/agent-cli-paths"
