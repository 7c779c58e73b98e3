#!/usr/bin/env python3
"""A fake coding-agent CLI with a full-screen TUI login, for the supervisor's tests.

Draws a boxed login screen on the alternate screen with cursor addressing (no plain lines): a device-code
flow in the style of Codex CLI, with a URL and a one-time code. After a line of input it clears the screen
and draws its ready screen, then answers each further line on a fixed row.
"""
import sys

out = sys.stdout


def w(s):
    out.write(s)
    out.flush()


w("\x1b[?1049h\x1b[2J\x1b[H\x1b[?25l")
w("\x1b[3;5H\x1b[38;5;39m╭" + "─" * 50 + "╮\x1b[0m")
for r in range(4, 10):
    w(f"\x1b[{r};5H│\x1b[{r};56H│")
w("\x1b[10;5H╰" + "─" * 50 + "╯")
w("\x1b[4;7H\x1b[1mWelcome to FakeAgent\x1b[0m v1.0")
w("\x1b[6;7HSign in with ChatGPT to continue")
w("\x1b[7;7HOpen \x1b[4mhttps://auth.example.test/device\x1b[24m")
w("\x1b[8;7HEnter this one-time code: \x1b[38;5;33mWXYZ-ABCD9\x1b[0m")
w("\x1b[12;1HPress Enter when done\x1b[?25h")

sys.stdin.readline()

w("\x1b[2J\x1b[H")
w("\x1b[1;1HFakeAgent v1.0 (logged in)")
w("\x1b[18;3HTo get started, describe a task")
w("\x1b[20;1H› \x1b[K")
for line in sys.stdin:
    w(f"\x1b[22;1Hgot: {line.strip()}\x1b[K\x1b[20;3H")
