#!/usr/bin/env bash
# The demo's scripted coding-agent CLI: a Codex-style device-code login screen (full-screen, cursor
# addressing, like the real TUIs), then its ready screen once a line is entered, then it "works" on each
# task typed. agent-supervisor's codex login patterns recognise both screens; no network, no account.
set -u
code="$(printf '%s' "DEMO-$(printf '%05X' $((RANDOM * 32 + RANDOM % 32)))" | cut -c1-10)"
w() { printf '%b' "$1"; }

w '\e[?1049h\e[2J\e[H\e[?25l'
w '\e[3;5H\e[38;5;39m╭──────────────────────────────────────────────────────╮\e[0m'
for r in 4 5 6 7 8 9 10; do w "\e[${r};5H│\e[${r};60H│"; done
w '\e[11;5H╰──────────────────────────────────────────────────────╯'
w '\e[4;7H\e[1mDemoAgent\e[0m v1.0 (a scripted stand-in for a coding CLI)'
w '\e[6;7HSign in with ChatGPT to continue'
w '\e[7;7HOpen this link in your browser and sign in:'
w '\e[8;9H\e[4mhttps://auth.example.com/codex/device\e[24m'
w "\e[9;7HEnter this one-time code: \e[38;5;33m${code}\e[0m"
w '\e[13;1HPress Enter once you have signed in\e[?25h'

IFS= read -r _ || exit 0

w '\e[2J\e[H'
w '\e[1;1H\e[1mDemoAgent\e[0m v1.0  (signed in as demo@example.com)'
w '\e[3;3HTo get started, describe a task'
w '\e[5;1H› \e[K'
row=7
while IFS= read -r task; do
  [ -z "$task" ] && continue
  w "\e[${row};1H\e[Kworking on: ${task}"
  w "\e[$((row + 1));1H\e[K  ✓ read the code  ✓ wrote a fix  ✓ tests pass (pretend)"
  row=$((row + 3)); [ "$row" -gt 30 ] && row=7
  w '\e[5;3H\e[K'
done
