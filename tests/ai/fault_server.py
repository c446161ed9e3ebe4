"""An OpenAI-compatible chat completions server on loopback that fails on demand.

A real socket, so the client's connection handling, timeouts and streaming are what the
tests exercise (httpx.MockTransport covers the rest). Use it as a context manager::

    with FaultServer("rate_limited", retry_after="0") as server:
        server.script("server_error", "ok")     # the next two requests, then the mode
        ...  # point an endpoint at server.url
        assert server.requests == 3

or on its own, for benchmarks: ``python tests/ai/fault_server.py --latency 0.2``.

Modes (``FaultServer.MODES``):

=====================  ================================================================
ok                     a valid completion whose content is ``server.answer`` as JSON (one
                       per ``<record id=...>`` of the prompt when the schema asks for
                       ``records``: several records per prompt)
rate_limited           429 with ``Retry-After: server.retry_after``
server_error           500 with a JSON error
html_502               502 with an HTML page, as a proxy in front of the model sends
unauthorized           401 whose message echoes the Authorization header (as some do)
not_json               200 with plain text
wrong_shape            200 with JSON that is not a chat completion
schema_mismatch        a completion whose content is JSON of the wrong shape
prose                  a completion whose content wraps the JSON answer in prose
truncated              a completion cut off: ``finish_reason == "length"``
reject_json_schema     500 naming ``response_format`` for json_schema (as llama-cpp-python
                       answers); else like ``ok``
reject_response_format 400 for any ``response_format``; else like ``prose``
hang                   reads the request and never answers
trickle                sends headers, then one byte of body every 0.2 s
reset                  closes the connection with a TCP reset
huge                   200 with a body of ``server.huge_bytes`` (with Content-Length)
flood                  200 with a chunked body of ``server.huge_bytes``
=====================  ================================================================

``latency`` (seconds) delays every answer, for benchmarks. Counters: ``requests``,
``served`` (per mode), ``peak_in_flight`` (most requests being answered at once),
``bodies`` (the last request bodies, parsed) and ``authorization`` (their
Authorization headers); ``GET /v1/_stats`` returns the counters as JSON (``?reset=1``
resets them), for a benchmark that runs the server in a process of its own.
"""

from __future__ import annotations

import argparse
import collections
import json
import re
import socket
import struct
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DEFAULT_ANSWER = {"summary": "A sturdy oak table for six.", "flags": []}

HTML_502 = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.27.0</center>\r\n"
    "</body>\r\n</html>\r\n"
)


class FaultServer:
    MODES = (
        "ok",
        "rate_limited",
        "server_error",
        "html_502",
        "unauthorized",
        "not_json",
        "wrong_shape",
        "schema_mismatch",
        "prose",
        "truncated",
        "reject_json_schema",
        "reject_response_format",
        "hang",
        "trickle",
        "reset",
        "huge",
        "flood",
    )

    def __init__(
        self,
        mode="ok",
        *,
        latency=0.0,
        answer=None,
        retry_after="1",
        huge_bytes=5 * 1024 * 1024,
        hang_seconds=60.0,
        host="127.0.0.1",
        port=0,
    ):
        self.mode = mode
        self.latency = latency
        self.answer = DEFAULT_ANSWER if answer is None else answer
        self.retry_after = retry_after
        self.huge_bytes = huge_bytes
        self.hang_seconds = hang_seconds
        self._script = collections.deque()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self.reset_counters()
        self._httpd = _Server((host, port), _Handler)
        self._httpd.fault = self
        self._thread = None

    # -- control ------------------------------------------------------------------

    @property
    def port(self):
        return self._httpd.server_address[1]

    @property
    def url(self):
        """The API root to use as an endpoint's BASE_URL."""
        return f"http://127.0.0.1:{self.port}/v1"

    def script(self, *modes):
        """Serve these modes to the next requests, in order, then ``self.mode`` again."""
        for mode in modes:
            if mode not in self.MODES:
                raise ValueError(f"unknown mode {mode!r}")
        with self._lock:
            self._script.extend(modes)

    def reset_counters(self):
        with self._lock:
            self.requests = 0
            self.in_flight = 0
            self.peak_in_flight = 0
            self.served = collections.Counter()
            self.bodies = collections.deque(maxlen=200)
            self.authorization = collections.deque(maxlen=200)

    def stats(self, *, reset=False):
        """The counters as JSON (``GET /v1/_stats``; ``?reset=1`` resets them after)."""
        with self._lock:
            stats = {
                "requests": self.requests,
                "in_flight": self.in_flight,
                "peak_in_flight": self.peak_in_flight,
                "served": dict(self.served),
                # CPU seconds of the whole server process so far (for a benchmark
                # that runs it in a process of its own).
                "cpu": time.process_time(),
            }
        if reset:
            self.reset_counters()
        return stats

    def start(self):
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self):
        self._stopping.set()  # releases handlers in "hang"
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread:
            self._thread.join(5)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()

    # -- used by the handler --------------------------------------------------------

    def _next_mode(self, body, authorization):
        with self._lock:
            mode = self._script.popleft() if self._script else self.mode
            self.requests += 1
            self.served[mode] += 1
            self.bodies.append(body)
            self.authorization.append(authorization)
            self.in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
            return mode

    def _done(self):
        with self._lock:
            self.in_flight -= 1


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # Benchmarks open 150+ connections at once; the default backlog of 5 would make
    # the kernel drop SYNs and the client wait a second to resend them.
    request_queue_size = 1024

    def handle_error(self, request, client_address):
        # A client that timed out or gave up mid-request is part of the game here.
        if not isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            super().handle_error(request, client_address)


def completion(content, *, finish_reason="stop", model="fault-server"):
    return {
        "id": "chatcmpl-fault",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": finish_reason,
            }
        ],
        "usage": {"prompt_tokens": 42, "completion_tokens": 7, "total_tokens": 49},
    }


#: How a prompt marks each record (toolkit/templates/toolkit/ai/*.txt): its id is JSON.
RECORD_ID = re.compile(r'<record id=("(?:[^"\\]|\\.)*"|[^>\s]+)>')


def answer_for(body, answer):
    """``answer``, or one copy of it per record when the request asks for several.

    A request for several records per prompt has a schema with a ``records`` array;
    the answer then holds ``{"id": ..., **answer}`` for each ``<record id=...>`` marker
    of its messages, as a model following the prompt would.
    """
    response_format = body.get("response_format") or {}
    schema = (response_format.get("json_schema") or {}).get("schema") or response_format.get(
        "schema"
    )
    properties = (schema or {}).get("properties") or {}
    if "records" not in properties or "records" in answer:
        return answer
    text = "\n".join(str(message.get("content", "")) for message in body.get("messages") or [])
    ids = []
    for raw in RECORD_ID.findall(text):
        try:
            ids.append(str(json.loads(raw)))
        except ValueError:
            ids.append(raw)
    return {"records": [{"id": record_id, **answer} for record_id in dict.fromkeys(ids)]}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fault-server/1"
    # Headers and body go out in two writes; with Nagle's algorithm the second waits for
    # the client's delayed ACK, adding 40 ms to every answer.
    disable_nagle_algorithm = True

    def log_message(self, format, *args):  # keep test output clean
        pass

    @property
    def fault(self):
        return self.server.fault

    def do_GET(self):
        if self.path.split("?")[0].rstrip("/").endswith("/_stats"):
            # For a benchmark that runs the server in another process.
            self._json(200, self.fault.stats(reset="reset=1" in self.path))
        elif self.path.rstrip("/").endswith("/models"):
            self._json(200, {"object": "list", "data": [{"id": "fault-server", "object": "model"}]})
        else:
            self._json(404, {"error": {"message": f"no route {self.path}"}})

    def do_POST(self):
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            body = json.loads(raw)
        except ValueError:
            self._json(400, {"error": {"message": "request body is not JSON"}})
            return
        mode = self.fault._next_mode(body, self.headers.get("Authorization"))
        try:
            if self.fault.latency:
                time.sleep(self.fault.latency)
            getattr(self, "_mode_" + mode)(body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up first: expected
        finally:
            self.fault._done()

    # -- writing ------------------------------------------------------------------

    def _send(self, status, payload, content_type, headers=()):
        data = payload.encode() if isinstance(payload, str) else payload
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _json(self, status, payload, headers=()):
        self._send(status, json.dumps(payload), "application/json", headers)

    def _answer(self, content, **kwargs):
        self._json(200, completion(content, **kwargs))

    # -- modes --------------------------------------------------------------------

    def _mode_ok(self, body):
        self._answer(json.dumps(answer_for(body, self.fault.answer)))

    def _mode_rate_limited(self, body):
        error = {"error": {"message": "Rate limit reached", "type": "rate_limit_exceeded"}}
        self._json(429, error, [("Retry-After", self.fault.retry_after)])

    def _mode_server_error(self, body):
        self._json(500, {"error": {"message": "The server had an error", "type": "server_error"}})

    def _mode_html_502(self, body):
        self._send(502, HTML_502, "text/html")

    def _mode_unauthorized(self, body):
        echoed = self.headers.get("Authorization") or "(none)"
        message = f"Incorrect API key provided: {echoed}."
        self._json(401, {"error": {"message": message, "type": "invalid_request_error"}})

    def _mode_not_json(self, body):
        self._send(200, "Service is up. Have a nice day!", "text/plain")

    def _mode_wrong_shape(self, body):
        self._json(200, {"object": "list", "data": [{"id": "fault-server"}]})

    def _mode_schema_mismatch(self, body):
        self._answer(json.dumps({"headline": 42}))

    def _mode_prose(self, body):
        self._answer(
            "Sure! Here is the summary you asked for:\n```json\n"
            + json.dumps(answer_for(body, self.fault.answer), indent=2)
            + "\n```\nLet me know if you need anything else {at all}."
        )

    def _mode_truncated(self, body):
        self._answer(json.dumps(self.fault.answer)[:20], finish_reason="length")

    def _mode_reject_json_schema(self, body):
        # What llama-cpp-python's server (0.3.x) answers: a 500 naming the field.
        if (body.get("response_format") or {}).get("type") == "json_schema":
            error = {
                "message": "1 validation error: {'type': 'literal_error', 'loc': ('body', "
                "'response_format', 'type'), 'msg': \"Input should be 'text' or "
                "'json_object'\", 'input': 'json_schema'}",
                "type": "internal_server_error",
            }
            self._json(500, {"error": error})
        else:
            self._mode_ok(body)

    def _mode_reject_response_format(self, body):
        if body.get("response_format"):
            self._json(
                400, {"error": {"message": "Unrecognized request argument: response_format"}}
            )
        else:
            self._mode_prose(body)

    def _mode_hang(self, body):
        self.fault._stopping.wait(self.fault.hang_seconds)
        self.close_connection = True

    def _mode_trickle(self, body):
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        deadline = time.monotonic() + self.fault.hang_seconds
        while time.monotonic() < deadline and not self.fault._stopping.is_set():
            self.wfile.write(b"1\r\n \r\n")
            time.sleep(0.2)
        self.close_connection = True

    def _mode_reset(self, body):
        # SO_LINGER with a zero timeout turns close() into a TCP RST.
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()
        self.close_connection = True

    def _huge_payload(self):
        filler = "x" * max(0, self.fault.huge_bytes - 400)
        return json.dumps(completion(json.dumps({"summary": filler, "flags": []}))).encode()

    def _mode_huge(self, body):
        self._send(200, self._huge_payload(), "application/json")

    def _mode_flood(self, body):
        data = self._huge_payload()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        step = 64 * 1024
        for start in range(0, len(data), step):
            chunk = data[start : start + step]
            self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        self.wfile.write(b"0\r\n\r\n")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--mode", default="ok", choices=FaultServer.MODES)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds per answer")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--answer", type=json.loads, help="the JSON answer of the ok modes")
    args = parser.parse_args(argv)
    server = FaultServer(
        args.mode, latency=args.latency, answer=args.answer, host=args.host, port=args.port
    )
    print(f"fault server ({args.mode}, latency {args.latency}s) on {server.url}", flush=True)
    if not sys.stdin.isatty():
        # Started with a pipe on stdin (as bench/ does): stop when the parent goes away,
        # however it ends, instead of lingering on the port.
        threading.Thread(target=_stop_at_eof, args=(server,), daemon=True).start()
    try:
        server._httpd.serve_forever(poll_interval=0.05)
    except KeyboardInterrupt:
        pass
    finally:
        server._httpd.server_close()


def _stop_at_eof(server):
    sys.stdin.read()
    server._httpd.shutdown()


if __name__ == "__main__":
    main()
