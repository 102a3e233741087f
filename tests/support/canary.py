"""A loopback HTTP server that records every request it receives: proof that nothing was fetched
(or, as a positive control, that something was). It answers with a scripted status and body, and
can redirect."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    headers: dict[str, str]


@dataclass
class Canary:
    """Answers every request with ``status`` and ``body`` (``location`` for a redirect)."""

    status: int = 200
    body: bytes = b'{"type": "FeatureCollection", "features": []}'
    location: str | None = None
    seen: list[Seen] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def record(self, seen: Seen) -> None:
        with self._lock:
            self.seen.append(seen)


@contextmanager
def canary_server(canary: Canary | None = None) -> Iterator[Canary]:
    """Serve ``canary`` on a free port of 127.0.0.1 until the block ends."""
    served = canary or Canary()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            self.answer()

        def do_POST(self) -> None:
            self.answer()

        def do_HEAD(self) -> None:
            self.answer()

        def answer(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            if length:
                self.rfile.read(length)
            served.record(Seen(self.command, self.path, dict(self.headers.items())))
            self.send_response(served.status)
            if served.location:
                self.send_header("Location", served.location)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(served.body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(served.body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    served.port = httpd.server_address[1]
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield served
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()
