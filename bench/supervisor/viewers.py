#!/usr/bin/env python3
"""Viewers against probes (docs/supervisor.md, "Viewers and probes").

Starts agent-supervisor with an agent that floods output for FLOOD_SECONDS, attaches VIEWERS raw WebSocket
viewers (half read their output, half never read a byte), tries EXTRA more (expected: 503), and measures the
latency of /healthz and /status every 20 ms while the viewers stream and after the output is quiet.

    python3 bench/supervisor/viewers.py BINARY [VIEWERS=16] [EXTRA=34] [FLOOD_SECONDS=10]

Prints one Markdown table row per phase. Bounded: every socket has a timeout, the agent ends by itself.
"""
import base64, http.client, os, socket, statistics, subprocess, sys, threading, time

binary = sys.argv[1]
viewers = int(sys.argv[2]) if len(sys.argv) > 2 else 16
extra = int(sys.argv[3]) if len(sys.argv) > 3 else 34
flood_seconds = float(sys.argv[4]) if len(sys.argv) > 4 else 10
token = base64.b16encode(os.urandom(16)).decode()

agent = f"end=$((SECONDS+{int(flood_seconds)})); while [ $SECONDS -lt $end ]; do head -c 65536 /dev/urandom | base64; done; echo flood-done; exec sleep 600"
env = dict(os.environ, SUPERVISOR_TOKEN=token)
proc = subprocess.Popen([binary, "--listen", "127.0.0.1:0", "--", "bash", "-c", agent], env=env,
                        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
port = int(proc.stdout.readline().strip().rsplit(":", 1)[1])


def upgrade(sock):
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall((f"GET /attach HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: tty\r\n"
                  f"Authorization: Bearer {token}\r\n\r\n").encode())
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = sock.recv(4096)
        if not chunk:
            break
        head += chunk
    return int(head.split(b" ")[1]) if head.startswith(b"HTTP/") else 0


received = [0] * viewers
stop = threading.Event()


def reader(i, sock):
    while not stop.is_set():
        try:
            data = sock.recv(65536)
        except socket.timeout:
            continue
        except OSError:
            return
        if not data:
            return
        received[i] += len(data)


sockets, answers = [], []
for i in range(viewers):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    answers.append(upgrade(s))
    sockets.append(s)
    if i % 2 == 0:  # half the viewers read; the other half never read a byte
        s.settimeout(0.5)
        threading.Thread(target=reader, args=(i, s), daemon=True).start()
refused = []
for _ in range(extra):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    try:
        refused.append(upgrade(s))
    except socket.timeout:
        refused.append("timeout")
    s.close()


def probe(path):
    t = time.monotonic()
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
        c.request("GET", path, headers={"Authorization": f"Bearer {token}", "Connection": "close"})
        status = c.getresponse().status
        c.close()
    except Exception:
        status = 0
    return status, (time.monotonic() - t) * 1000


def phase(name, seconds):
    lat = {"/healthz": [], "/status": []}
    failed = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for path in lat:
            status, ms = probe(path)
            lat[path].append(ms)
            failed += status != 200
        time.sleep(0.02)
    row = [name, str(answers.count(101)), f"{refused.count(503)} of {extra}"]
    for path, values in lat.items():
        values.sort()
        row += [f"{statistics.median(values):.2f}", f"{values[int(len(values) * 0.99) - 1]:.2f}", f"{values[-1]:.2f}"]
    row += [str(failed), f"{sum(received) / 1e6:.1f}"]
    print("| " + " | ".join(row) + " |", flush=True)


print("| phase | viewers held | extra viewers refused (503) | /healthz p50 ms | p99 ms | max ms | /status p50 ms | p99 ms | max ms | failed probes | MB streamed to reading viewers |")
print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
phase("output flooding", flood_seconds * 0.8)
time.sleep(flood_seconds * 0.2 + 1)
phase("output quiet", 3)
stop.set()
for s in sockets:
    s.close()
proc.terminate()
proc.wait(timeout=15)
