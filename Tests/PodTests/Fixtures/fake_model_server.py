#!/usr/bin/env python3
"""A fake model server for the real agent CLIs (Claude Code, Codex CLI, Aider), standard library only.

Listens on 127.0.0.1 (``--port 0``: a free port), prints ``listening on 127.0.0.1:PORT`` (flushed) and answers
every model request with the same reply text (``--reply``), in the wire format the path asks for:

- Anthropic Messages API: ``POST /v1/messages`` (JSON, or SSE with ``"stream": true``: message_start,
  content_block_start, ping, content_block_delta/text_delta..., content_block_stop, message_delta,
  message_stop), ``POST /v1/messages/count_tokens``;
- OpenAI Responses API: ``POST /v1/responses`` (SSE: response.created, response.in_progress,
  response.output_item.added, response.content_part.added, response.output_text.delta...,
  response.output_text.done, response.content_part.done, response.output_item.done, response.completed;
  JSON without ``"stream": true``);
- OpenAI Chat Completions: ``POST /v1/chat/completions`` (SSE ``data: {chunk}`` lines and ``data: [DONE]``,
  or JSON);
- ``GET /v1/models`` (and ``/v1/models/ID``) in a shape both Anthropic's and OpenAI's clients accept.

Paths are matched by suffix, so a base URL with or without ``/v1`` works. Anything else is logged with
``"unknown": true`` and answered 404 (POST) or 200 ``{}`` (GET/HEAD). ``CONNECT host:port`` (a CLI using this
server as its HTTPS_PROXY) and absolute-URI requests for other hosts (HTTP_PROXY) are logged with the host and
refused with 403, which shows every attempt to reach
the internet without letting it through.

Every request is appended to ``--log FILE`` as one JSON line: time, method, path, query, kind (what was
answered), status, a few headers (user-agent, anthropic-version/beta, content-type; never credentials, only
whether an API key header was present) and a short body summary (model, stream, message count, the last
user text cut to 200 characters, tool count, max_tokens).

Options: ``--reply TEXT`` (default "Hello from the fake model."), ``--delay SECONDS`` before a model answer
starts (to see a CLI's busy screen), ``--chunk-delay SECONDS`` between text deltas, ``--chunks N`` (the reply
split into N deltas), ``--model NAME`` (what model listings report; requests' own model is echoed back).
"""
import argparse
import gzip
import json
import sys
import threading
import time
import uuid
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

OPTS = None
LOG_LOCK = threading.Lock()


def new_id(prefix):
    return prefix + uuid.uuid4().hex[:24]


def split_text(text, n):
    """The reply in about n pieces (at least one), cut at character boundaries."""
    n = max(1, min(n, len(text) or 1))
    size = -(-len(text) // n) if text else 1
    return [text[i:i + size] for i in range(0, len(text), size)] or [""]


def text_of(content):
    """Plain text of a message's content (a string or a list of typed parts)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        out = []
        for part in content:
            if isinstance(part, dict):
                if isinstance(part.get("text"), str):
                    out.append(part["text"])
                elif "content" in part:
                    out.append(text_of(part["content"]))
            elif isinstance(part, str):
                out.append(part)
        return "\n".join(x for x in out if x)
    return ""


def summarize(body):
    """A short, log-safe summary of a JSON request body."""
    if not isinstance(body, dict):
        return None
    s = {}
    for k in ("model", "stream", "max_tokens", "max_output_tokens", "store", "previous_response_id"):
        if k in body:
            s[k] = body[k]
    msgs = body.get("messages")
    if isinstance(msgs, list):
        s["messages"] = len(msgs)
        users = [m for m in msgs if isinstance(m, dict) and m.get("role") == "user"]
        if users:
            s["last_user_text"] = text_of(users[-1].get("content"))[-200:]
    items = body.get("input")
    if isinstance(items, list):
        s["input_items"] = len(items)
        users = [i for i in items if isinstance(i, dict) and i.get("role") == "user"]
        if users:
            s["last_user_text"] = text_of(users[-1].get("content"))[-200:]
    elif isinstance(items, str):
        s["last_user_text"] = items[-200:]
    if isinstance(body.get("tools"), list):
        s["tools"] = len(body["tools"])
    system = body.get("system", body.get("instructions"))
    if system is not None:
        s["system_chars"] = len(text_of(system))
    return s


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake-model-server/1"

    def log_message(self, fmt, *args):  # quiet: the JSONL log is the record
        pass

    # --- plumbing -----------------------------------------------------------------------------------------

    def read_body(self):
        raw = b""
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
                raw += self.rfile.read(size)
                self.rfile.readline()
        else:
            n = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(n) if n > 0 else b""
        enc = self.headers.get("Content-Encoding", "").lower()
        self.body_encoding = enc or None
        try:
            if enc == "gzip":
                raw = gzip.decompress(raw)
            elif enc == "deflate":
                raw = zlib.decompress(raw)
            elif enc:
                return raw, None  # e.g. zstd: not in the standard library
        except Exception:
            return raw, None
        try:
            return raw, json.loads(raw) if raw else None
        except ValueError:
            return raw, None

    def record(self, kind, status, body=None, raw=b"", extra=None):
        if not OPTS.log:
            return
        u = urlsplit(self.path)
        h = self.headers
        entry = {
            "time": round(time.time(), 3),
            "method": self.command,
            "path": u.path if self.command != "CONNECT" else self.path,
            "kind": kind,
            "status": status,
        }
        if u.query:
            entry["query"] = u.query
        heads = {}
        for name in ("User-Agent", "anthropic-version", "anthropic-beta", "Content-Type", "OpenAI-Beta",
                     "originator", "x-app"):
            if h.get(name):
                heads[name.lower()] = h.get(name)[:200]
        heads["api_key"] = bool(h.get("x-api-key") or h.get("Authorization"))
        entry["headers"] = heads
        if raw:
            entry["body_bytes"] = len(raw)
        if getattr(self, "body_encoding", None):
            entry["content_encoding"] = self.body_encoding
        summary = summarize(body)
        if summary is not None:
            entry["body"] = summary
        elif raw and body is None:
            entry["body_text"] = raw[:200].decode("utf-8", "replace")
        if extra:
            entry.update(extra)
        line = json.dumps(entry, ensure_ascii=False)
        with LOG_LOCK:
            with open(OPTS.log, "a", encoding="utf-8") as f:
                f.write(line + "\n")

    def send_json(self, status, obj, kind, body=None, raw=b"", extra=None):
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("request-id", new_id("req_"))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        self.record(kind, status, body, raw, extra)

    def start_sse(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("request-id", new_id("req_"))
        self.end_headers()

    def chunk(self, data):
        if data:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            self.wfile.flush()

    def end_sse(self):
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def event(self, name, obj):
        """One SSE event; name None: a bare `data:` line (Chat Completions)."""
        payload = obj if isinstance(obj, str) else json.dumps(obj)
        head = ("event: %s\n" % name) if name else ""
        self.chunk((head + "data: " + payload + "\n\n").encode())

    # --- verbs --------------------------------------------------------------------------------------------

    def do_CONNECT(self):
        self.send_response(403)
        self.send_header("Content-Length", "0")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        self.record("connect-refused", 403, extra={"host": self.path})

    def proxied_elsewhere(self):
        """A plain-HTTP proxy request (absolute URI) for another host: logged and refused with 403."""
        u = urlsplit(self.path)
        if not u.scheme or (u.hostname or "") in ("127.0.0.1", "localhost"):
            return False
        if self.command in ("POST", "PUT", "PATCH"):
            self.read_body()
        self.send_response(403)
        self.send_header("Content-Length", "0")
        self.end_headers()
        self.record("proxy-refused", 403, extra={"host": u.netloc})
        return True

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        if self.proxied_elsewhere():
            return
        path = urlsplit(self.path).path.rstrip("/")
        if path.endswith("/models"):
            return self.send_json(200, self.models(), "models")
        if "/models/" in path:
            return self.send_json(200, self.model_entry(path.rsplit("/", 1)[1]), "model")
        self.send_json(200, {}, "unknown-get", extra={"unknown": True})

    def do_DELETE(self):
        self.send_json(200, {}, "unknown-delete", extra={"unknown": True})

    def do_POST(self):
        if self.proxied_elsewhere():
            return
        raw, body = self.read_body()
        path = urlsplit(self.path).path.rstrip("/")
        b = body if isinstance(body, dict) else {}
        if path.endswith("/messages/count_tokens"):
            return self.send_json(200, {"input_tokens": max(1, len(raw) // 4)}, "anthropic.count_tokens", body, raw)
        if path.endswith("/messages"):
            return self.anthropic(b, body, raw)
        if path.endswith("/responses"):
            return self.openai_responses(b, body, raw)
        if path.endswith("/chat/completions"):
            return self.openai_chat(b, body, raw)
        if path.endswith("/completions"):
            return self.send_json(200, {"id": new_id("cmpl-"), "object": "text_completion", "created": int(time.time()),
                                        "model": b.get("model", OPTS.model),
                                        "choices": [{"index": 0, "text": OPTS.reply, "finish_reason": "stop"}]},
                                  "openai.completions", body, raw)
        self.send_json(404, {"type": "error", "error": {"type": "not_found_error", "message": "fake-model-server: "
                                                         "no such endpoint " + path}},
                       "unknown-post", body, raw, {"unknown": True})

    # --- model listings -----------------------------------------------------------------------------------

    def model_entry(self, mid):
        return {"id": mid, "object": "model", "type": "model", "created": 0, "owned_by": "fake",
                "display_name": mid, "created_at": "2025-01-01T00:00:00Z"}

    def models(self):
        data = [self.model_entry(OPTS.model)]
        return {"object": "list", "data": data, "has_more": False, "first_id": OPTS.model, "last_id": OPTS.model}

    def pause(self):
        if OPTS.delay > 0:
            time.sleep(OPTS.delay)

    def pieces(self):
        for i, p in enumerate(split_text(OPTS.reply, OPTS.chunks)):
            if i and OPTS.chunk_delay > 0:
                time.sleep(OPTS.chunk_delay)
            yield p

    # --- Anthropic Messages -------------------------------------------------------------------------------

    def anthropic(self, b, body, raw):
        model = b.get("model", OPTS.model)
        mid = new_id("msg_")
        usage = {"input_tokens": max(1, len(raw) // 4), "output_tokens": max(1, len(OPTS.reply) // 4),
                 "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0}
        self.pause()
        if not b.get("stream"):
            return self.send_json(200, {"id": mid, "type": "message", "role": "assistant", "model": model,
                                        "content": [{"type": "text", "text": OPTS.reply}],
                                        "stop_reason": "end_turn", "stop_sequence": None, "usage": usage},
                                  "anthropic.messages", body, raw)
        self.start_sse()
        self.event("message_start", {"type": "message_start", "message": {
            "id": mid, "type": "message", "role": "assistant", "model": model, "content": [],
            "stop_reason": None, "stop_sequence": None, "usage": dict(usage, output_tokens=1)}})
        self.event("content_block_start", {"type": "content_block_start", "index": 0,
                                           "content_block": {"type": "text", "text": ""}})
        self.event("ping", {"type": "ping"})
        for p in self.pieces():
            self.event("content_block_delta", {"type": "content_block_delta", "index": 0,
                                               "delta": {"type": "text_delta", "text": p}})
        self.event("content_block_stop", {"type": "content_block_stop", "index": 0})
        self.event("message_delta", {"type": "message_delta",
                                     "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                                     "usage": {"output_tokens": usage["output_tokens"]}})
        self.event("message_stop", {"type": "message_stop"})
        self.end_sse()
        self.record("anthropic.messages.stream", 200, body, raw)

    # --- OpenAI Responses ---------------------------------------------------------------------------------

    def openai_responses(self, b, body, raw):
        model = b.get("model", OPTS.model)
        rid, iid = new_id("resp_"), new_id("msg_")
        now = int(time.time())
        inp, out = max(1, len(raw) // 4), max(1, len(OPTS.reply) // 4)
        usage = {"input_tokens": inp, "input_tokens_details": {"cached_tokens": 0}, "output_tokens": out,
                 "output_tokens_details": {"reasoning_tokens": 0}, "total_tokens": inp + out}
        item = {"type": "message", "id": iid, "status": "completed", "role": "assistant",
                "content": [{"type": "output_text", "text": OPTS.reply, "annotations": []}]}

        def response(status, output, with_usage):
            r = {"id": rid, "object": "response", "created_at": now, "status": status, "model": model,
                 "output": output, "error": None, "incomplete_details": None, "parallel_tool_calls": True,
                 "tool_choice": "auto", "tools": [], "usage": usage if with_usage else None}
            return r

        self.pause()
        if not b.get("stream"):
            r = response("completed", [item], True)
            r["output_text"] = OPTS.reply
            return self.send_json(200, r, "openai.responses", body, raw)
        self.start_sse()
        seq = iter(range(1 << 30))

        def ev(name, obj):
            obj = dict(obj, type=name, sequence_number=next(seq))
            self.event(name, obj)

        ev("response.created", {"response": response("in_progress", [], False)})
        ev("response.in_progress", {"response": response("in_progress", [], False)})
        ev("response.output_item.added", {"output_index": 0,
                                          "item": dict(item, status="in_progress", content=[])})
        ev("response.content_part.added", {"item_id": iid, "output_index": 0, "content_index": 0,
                                           "part": {"type": "output_text", "text": "", "annotations": []}})
        for p in self.pieces():
            ev("response.output_text.delta", {"item_id": iid, "output_index": 0, "content_index": 0, "delta": p})
        ev("response.output_text.done", {"item_id": iid, "output_index": 0, "content_index": 0,
                                         "text": OPTS.reply})
        ev("response.content_part.done", {"item_id": iid, "output_index": 0, "content_index": 0,
                                          "part": item["content"][0]})
        ev("response.output_item.done", {"output_index": 0, "item": item})
        ev("response.completed", {"response": response("completed", [item], True)})
        self.end_sse()
        self.record("openai.responses.stream", 200, body, raw)

    # --- OpenAI Chat Completions --------------------------------------------------------------------------

    def openai_chat(self, b, body, raw):
        model = b.get("model", OPTS.model)
        cid, now = new_id("chatcmpl-"), int(time.time())
        inp, out = max(1, len(raw) // 4), max(1, len(OPTS.reply) // 4)
        usage = {"prompt_tokens": inp, "completion_tokens": out, "total_tokens": inp + out}
        self.pause()
        if not b.get("stream"):
            return self.send_json(200, {"id": cid, "object": "chat.completion", "created": now, "model": model,
                                        "choices": [{"index": 0, "message": {"role": "assistant",
                                                                             "content": OPTS.reply},
                                                     "finish_reason": "stop"}],
                                        "usage": usage}, "openai.chat", body, raw)
        self.start_sse()

        def chunk(delta, finish=None, **extra):
            c = {"id": cid, "object": "chat.completion.chunk", "created": now, "model": model,
                 "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
            c.update(extra)
            self.event(None, c)

        chunk({"role": "assistant", "content": ""})
        for p in self.pieces():
            chunk({"content": p})
        chunk({}, "stop")
        if (b.get("stream_options") or {}).get("include_usage"):
            self.event(None, {"id": cid, "object": "chat.completion.chunk", "created": now, "model": model,
                              "choices": [], "usage": usage})
        self.event(None, "[DONE]")
        self.end_sse()
        self.record("openai.chat.stream", 200, body, raw)


def main():
    global OPTS
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--reply", default="Hello from the fake model.")
    ap.add_argument("--log", default=None, help="JSONL file every request is appended to")
    ap.add_argument("--delay", type=float, default=0.0, help="seconds before a model answer starts")
    ap.add_argument("--chunk-delay", type=float, default=0.0, help="seconds between text deltas")
    ap.add_argument("--chunks", type=int, default=3, help="number of text deltas the reply is split into")
    ap.add_argument("--model", default="fake-model", help="model id in model listings")
    OPTS = ap.parse_args()
    srv = ThreadingHTTPServer(("127.0.0.1", OPTS.port), Handler)
    srv.daemon_threads = True
    print("listening on 127.0.0.1:%d" % srv.server_address[1], flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
