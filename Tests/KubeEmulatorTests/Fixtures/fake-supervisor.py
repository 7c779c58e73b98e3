#!/usr/bin/env python3
"""Stands in for agent-supervisor in kubelet tests: serves /readyz and /env on --listen, exits 0 on SIGTERM.

Usage: fake-supervisor.py --listen ADDR:PORT [ignored flags] -- COMMAND...
Readiness can be flipped by creating/removing the file named by $READY_FILE (ready when absent if unset).
"""
import http.server, json, os, signal, sys

args = sys.argv[1:]
listen = args[args.index("--listen") + 1]
host, port = listen.rsplit(":", 1)

class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/readyz":
            ready = os.path.exists(os.environ["READY_FILE"]) if os.environ.get("READY_FILE") else True
            self.send_response(200 if ready else 503); self.end_headers(); return
        if self.path == "/env":
            body = json.dumps({"env": dict(os.environ), "cwd": os.getcwd(), "argv": sys.argv}).encode()
            self.send_response(200); self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body); return
        self.send_response(404); self.end_headers()
    def log_message(self, *a): pass

signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
http.server.HTTPServer((host, int(port)), Handler).serve_forever()
