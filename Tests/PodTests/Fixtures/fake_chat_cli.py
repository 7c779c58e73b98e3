#!/usr/bin/env python3
"""A full-screen chat CLI shaped like Claude Code's (transcript, boxed input, footer), for the supervisor's
conversation tests where no real CLI fits (timing, multi-line replies, interrupts).

Raw terminal mode with bracketed paste; Enter submits; while "thinking" a spinner line shows
"(esc to interrupt)"; Esc interrupts. The reply to a message is `--reply TEXT` if given, else
"You said: <message>"; a message starting with "lines N" gets N numbered reply lines.

    fake_chat_cli.py [--think SECONDS] [--reply TEXT]
"""
import os, select, sys, termios, time, tty

think = 1.0
fixed = None
args = sys.argv[1:]
while args:
    a = args.pop(0)
    if a == "--think":
        think = float(args.pop(0))
    elif a == "--reply":
        fixed = args.pop(0)

fd = sys.stdin.fileno()
old = termios.tcgetattr(fd)
tty.setraw(fd)
out = sys.stdout
transcript = ["Fake Chat 1.0 (cwd: " + os.getcwd() + ")", ""]
buffer = ""
SPIN = "✻✶✳✢·✽"


def draw(status=None):
    rows = os.get_terminal_size().lines if os.isatty(1) else 24
    cols = os.get_terminal_size().columns if os.isatty(1) else 80
    box = min(cols, 80)
    tail = [status] if status else []
    tail += ["╭" + "─" * (box - 2) + "╮", "│ > " + buffer.ljust(box - 6)[: box - 6] + " │", "╰" + "─" * (box - 2) + "╯",
             "  ? for shortcuts"]
    body = transcript[-(rows - len(tail) - 1):]
    out.write("\x1b[H\x1b[2J" + "\r\n".join(body + [""] + tail))
    out.flush()


def reply_for(message):
    if fixed is not None:
        return fixed.split("\\n")
    if message.startswith("lines "):
        return [f"line {i} of the reply" for i in range(1, int(message.split()[1]) + 1)]
    return ["You said: " + message]


def think_then_reply(message):
    start = time.time()
    frame = 0
    while time.time() - start < think:
        draw(f"{SPIN[frame % len(SPIN)]} Thinking… (esc to interrupt)")
        frame += 1
        r, _, _ = select.select([fd], [], [], 0.1)
        if r and os.read(fd, 64).startswith(b"\x1b") :
            transcript.append("  ⎿  Interrupted by user")
            return
    for i, line in enumerate(reply_for(message)):
        transcript.append(("⏺ " if i == 0 else "  ") + line)


out.write("\x1b[?2004h")
draw()
try:
    pending = b""
    while True:
        data = os.read(fd, 4096)
        if not data:
            break
        pending += data
        while pending:
            if pending.startswith(b"\x1b[200~"):
                end = pending.find(b"\x1b[201~")
                if end < 0:
                    break
                buffer += pending[6:end].decode("utf-8", "replace").replace("\r", "\n")
                pending = pending[end + 6:]
            elif pending[:1] in (b"\r", b"\n"):
                pending = pending[1:]
                message = buffer.strip()
                buffer = ""
                if message:
                    for i, line in enumerate(message.split("\n")):
                        transcript.append(("> " if i == 0 else "  ") + line)
                    think_then_reply(message)
                    transcript.append("")
            elif pending[:1] == b"\x03":
                sys.exit(130)
            elif pending[:1] == b"\x7f":
                buffer = buffer[:-1]
                pending = pending[1:]
            elif pending[:1] == b"\x1b":
                pending = pending[1:]
            else:
                ch = pending.decode("utf-8", "ignore")[:1] or "?"
                buffer += ch
                pending = pending[len(ch.encode()):]
        draw()
finally:
    termios.tcsetattr(fd, termios.TCSADRAIN, old)
