"""A stand-in on the model's port while the model is being installed or has failed.

Without it an AI action run too early gets "connection refused" and says the endpoint
"cannot be reached; is the server running?", which sends a person looking for a server
to start. The stand-in answers every request with HTTP 503 and an OpenAI-style error
whose message is the status sentence ("The local model is still being installed (about
12 minutes left); run this again once it is ready."), which the toolkit's client shows
as the endpoint's answer; ``x-should-retry: false`` tells it not to try again (the
answer will not change within seconds).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)  # read the request, or the client may see a reset
        body = json.dumps(
            {"error": {"message": self.server.message(), "type": "model_not_ready", "code": 503}}
        ).encode()
        self.send_response(503)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("x-should-retry", "false")
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _answer

    def log_message(self, format: str, *args: object) -> None:
        pass  # the console is for progress lines


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], message: Callable[[], str]) -> None:
        self.message = message
        super().__init__(address, _Handler)


class Placeholder:
    """Answers on ``host:port`` with ``message()`` until :meth:`stop`."""

    def __init__(self, host: str, port: int, message: Callable[[], str]) -> None:
        self.address = (host, port)
        self.message = message
        self._server: _Server | None = None

    def start(self) -> bool:
        """Listen; returns False when the port is taken (something else answers there)."""
        if self._server is not None:
            return True
        try:
            self._server = _Server(self.address, self.message)
        except OSError:
            return False
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return True

    def stop(self) -> None:
        """Stop listening, so the model's server can take the port."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
