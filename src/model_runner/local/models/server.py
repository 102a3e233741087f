"""The HTTP server of a built-in model: GET /ping and POST /invocations, HTTP/1.1 keep-alive."""

from __future__ import annotations

import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from osgeo import gdal

from model_runner.local.children import announce, exit_with_parent
from model_runner.local.models.answers import Answer, answer
from model_runner.local.models.spec import INVOCATIONS_PATH, PING_PATH, ModelSpec

PING_BODY = b'{"status":"healthy"}'


class ModelServer(ThreadingHTTPServer):
    """A thread per connection, serving the model ``spec``."""

    daemon_threads = True
    request_queue_size = 256

    def __init__(self, address: tuple[str, int], spec: ModelSpec) -> None:
        super().__init__(address, ModelRequestHandler)
        self.spec = spec

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Stay quiet when a caller gives up (e.g. its read timeout on a slow answer)."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class ModelRequestHandler(BaseHTTPRequestHandler):
    """One connection's requests."""

    server: ModelServer
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def do_GET(self) -> None:
        if self._route() == PING_PATH:
            self._send(Answer(200, PING_BODY))
        else:
            self._send(Answer(404, b'{"error":"not found"}'))

    def do_POST(self) -> None:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            body = self._read_chunked()
        else:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self._route() == INVOCATIONS_PATH:
            self._send(answer(self.server.spec, body))
        else:
            self._send(Answer(404, b'{"error":"not found"}'))

    def log_message(self, format: str, *args: Any) -> None:
        """Log nothing per request: thousands of tiles would flood the log."""

    def _read_chunked(self) -> bytes:
        """A body sent with Transfer-Encoding: chunked (size line, data, CRLF; a 0 size ends it)."""
        parts: list[bytes] = []
        while True:
            size = int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass  # trailer fields
                return b"".join(parts)
            parts.append(self.rfile.read(size))
            self.rfile.readline()

    def _route(self) -> str:
        return self.path.split("?", 1)[0]

    def _send(self, reply: Answer) -> None:
        if reply.delay_s:
            time.sleep(reply.delay_s)
        self.send_response(reply.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        self.wfile.write(reply.body)


def serve(spec: ModelSpec, host: str, port: int, parent_pid: int | None) -> None:
    """Serve ``spec`` on ``host:port`` (0: any free port) until the process is terminated."""
    gdal.UseExceptions()
    exit_with_parent(parent_pid)
    with ModelServer((host, port), spec) as server:
        announce(host, server.server_port)
        server.serve_forever()
