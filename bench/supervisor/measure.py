#!/usr/bin/env python3
"""Measurements for bench/supervisor/run.sh (see docs/bench-supervisor.md).

Subcommands (each prints one number or one JSON line):
  rss BINARY                 idle supervisor: VmRSS/RssAnon/RssFile in KiB after it settled (JSON)
  ready BINARY               seconds from exec to /readyz 200 for an agent that shows its prompt at once
  login BINARY FIXTURE       seconds from exec to state login_required for the fake TUI login CLI
  relay-supervisor BINARY FILE   seconds to relay `cat FILE` through the supervisor (until it exits)
  relay-script FILE          seconds to relay `cat FILE` through `script -qfc` (util-linux)
"""
import http.client
import json
import os
import subprocess
import sys
import time

TOKEN = "bench-token"


def start(binary, args, agent):
    env = dict(os.environ, SUPERVISOR_TOKEN=TOKEN)
    p = subprocess.Popen([binary, "--listen", "127.0.0.1:0", "--log-level", "warning", *args, "--", *agent],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, text=True)
    return p


def port_of(p):
    line = p.stdout.readline()  # "listening on 127.0.0.1:PORT"
    return int(line.strip().rsplit(":", 1)[1])


def get(port, path):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    c.request("GET", path, headers={"Authorization": "Bearer " + TOKEN})
    r = c.getresponse()
    body = r.read()
    c.close()
    return r.status, body


def stop(p):
    p.terminate()
    try:
        p.wait(10)
    except subprocess.TimeoutExpired:
        p.kill()


def rss(binary):
    p = start(binary, [], ["sleep", "600"])
    port = port_of(p)
    time.sleep(1)
    for _ in range(5):  # an idle supervisor that has answered a few health checks
        get(port, "/healthz")
        get(port, "/status")
    time.sleep(2)
    fields = {}
    with open(f"/proc/{p.pid}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmRSS", "RssAnon", "RssFile", "Threads"):
                fields[k] = int(v.split()[0])
    stop(p)
    print(json.dumps(fields))


def wait_for(port, check, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check(port):
                return True
        except OSError:
            pass
        time.sleep(0.002)
    return False


def ready(binary):
    t0 = time.monotonic()
    p = start(binary, ["--ready-pattern", r"^bench>"], ["sh", "-c", "printf 'bench> '; exec sleep 600"])
    port = port_of(p)
    ok = wait_for(port, lambda port: get(port, "/readyz")[0] == 200)
    t = time.monotonic() - t0
    stop(p)
    print(f"{t:.4f}" if ok else "timeout")


def login(binary, fixture):
    t0 = time.monotonic()
    p = start(binary, ["--agent-type", "codex"], ["python3", fixture])
    port = port_of(p)
    ok = wait_for(port, lambda port: json.loads(get(port, "/status")[1])["state"] == "login_required")
    t = time.monotonic() - t0
    stop(p)
    print(f"{t:.4f}" if ok else "timeout")


def relay_supervisor(binary, path):
    t0 = time.monotonic()
    subprocess.run([binary, "--listen", "127.0.0.1:0", "--insecure-no-auth", "--exit-with-agent",
                    "--restart-policy", "Never", "--log-level", "warning", "--", "cat", path],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    print(f"{time.monotonic() - t0:.4f}")


def relay_script(path):
    t0 = time.monotonic()
    subprocess.run(["script", "-qfc", f"cat {path}", "/dev/null"], stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, check=True)
    print(f"{time.monotonic() - t0:.4f}")


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    {"rss": rss, "ready": ready, "login": login, "relay-supervisor": relay_supervisor,
     "relay-script": relay_script}[cmd](*args)
