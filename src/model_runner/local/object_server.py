"""A loopback, read-only S3 endpoint serving a folder's files with S3's first-byte latency.

Real S3 answers a ranged GET after 20-50 ms whatever the object's size; the local stack's moto
answers at once but loads the whole object for every ranged GET (over 100 ms for a 200 MB image),
so neither shows what reading an image request by request costs. This server answers HEAD and
ranged GET of ``/<bucket>/<key>`` (path-style, as GDAL's /vsis3/ asks the local stack) from
``<folder>/<key>``, holding every request ``latency_ms`` before its first byte, over kept-alive
HTTP/1.1 connections, whatever the signature: it stands for S3's data path only. Run in a child
process (``python -m model_runner.local.object_server``) so that serving costs the measured
process nothing, as S3 would. Loopback only.
"""

from __future__ import annotations

import argparse
import re
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from urllib.parse import unquote, urlsplit

from model_runner.local.children import announce, exit_with_parent
from model_runner.local.processes import ServerCommand

POLL_S = 0.05
_RANGE = re.compile(r"bytes=(\d+)-(\d*)$")


def object_server_command(folder: Path, bucket: str, latency_ms: float) -> ServerCommand:
    """The child process serving ``folder`` as ``bucket`` with ``latency_ms`` per request."""
    return ServerCommand(__name__, (str(folder), bucket, "--latency-ms", str(latency_ms)))


class ObjectServer:
    """Serves the files of ``folder`` as the objects of bucket ``bucket`` on ``127.0.0.1``, each
    request held ``latency_ms`` first."""

    def __init__(self, folder: Path, bucket: str, latency_ms: float = 0.0) -> None:
        if latency_ms < 0:
            raise ValueError(f"latency must not be negative, got {latency_ms}")
        root, name, latency_s = folder.resolve(), bucket, latency_ms / 1000
        self.requests = 0
        """Requests answered so far."""
        counter = threading.Lock()

        def count() -> None:
            with counter:
                self.requests += 1

        class Handler(_ObjectHandler):
            folder = root
            bucket = name
            latency = latency_s
            counted = staticmethod(count)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(POLL_S,), name="object-server", daemon=True
        )
        self._thread.start()

    @property
    def url(self) -> str:
        """The endpoint's address (``AWS_S3_ENDPOINT`` for GDAL, path-style)."""
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def close(self) -> None:
        """Stop serving."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def __enter__(self) -> ObjectServer:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class _ObjectHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    folder: Path
    bucket: str
    latency: float
    counted: Callable[[], None]

    def do_HEAD(self) -> None:
        self._answer(body=False)

    def do_GET(self) -> None:
        self._answer(body=True)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the bench reports its own figures."""

    def _answer(self, *, body: bool) -> None:
        self.counted()
        time.sleep(self.latency)
        file = self._file()
        if file is None:
            self._empty(404)
            return
        size = file.stat().st_size
        start, end = 0, size - 1
        asked = self.headers.get("Range")
        if asked:
            match = _RANGE.match(asked.strip())
            if match is None or int(match.group(1)) >= size:
                self._empty(416)
                return
            start = int(match.group(1))
            end = min(int(match.group(2)) if match.group(2) else size - 1, size - 1)
        self.send_response(206 if asked else 200)
        self.send_header("Content-Length", str(end - start + 1))
        self.send_header("Accept-Ranges", "bytes")
        if asked:
            self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        self.end_headers()
        if body:
            self._send_bytes(file, start, end + 1)

    def _file(self) -> Path | None:
        bucket, _, key = unquote(urlsplit(self.path).path).lstrip("/").partition("/")
        if bucket != self.bucket or not key or ".." in key.split("/"):
            return None
        file = self.folder / key
        return file if file.is_file() else None

    def _send_bytes(self, file: Path, start: int, stop: int) -> None:
        """The bytes ``start`` to ``stop - 1`` of ``file``, copied by the kernel (as little of the
        machine's CPU as the bench can spend standing in for S3)."""
        self.wfile.flush()
        with file.open("rb") as handle:
            self.connection.sendfile(handle, start, stop - start)

    def _empty(self, status: int) -> None:
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("folder", type=Path)
    parser.add_argument("bucket")
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--parent-pid", type=int, default=None)
    args = parser.parse_args(argv)
    exit_with_parent(args.parent_pid)
    server = ObjectServer(args.folder, args.bucket, args.latency_ms)
    host, _, port = server.url.removeprefix("http://").partition(":")
    announce(host, int(port))
    threading.Event().wait()


if __name__ == "__main__":
    main()
