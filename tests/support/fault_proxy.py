"""A loopback TCP proxy that injects network faults between a worker and a server of the stack.

Modes, switched at any time:

* ``PASS``: bytes flow both ways;
* ``DROP``: a blackhole; connections are accepted and stay silent, connections already open stop
  moving bytes either way (as when packets are dropped); when the proxy passes again, the silent
  connections are cut, as a peer that timed out would see them;
* ``RESET``: every open connection is reset (SO_LINGER 0, so the peer gets an RST) and every new
  one is reset as soon as it is accepted.

Loopback only: it listens on 127.0.0.1 and forwards to a loopback target.
"""

from __future__ import annotations

import enum
import socket
import struct
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from urllib.parse import urlsplit

POLL_S = 0.05
CHUNK = 65536


class Mode(enum.Enum):
    PASS = "pass"
    DROP = "drop"
    RESET = "reset"


def _reset(sock: socket.socket) -> None:
    """Close with an RST instead of a FIN."""
    with suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


@dataclass(eq=False)
class _Link:
    """One accepted connection and, once passing, its connection to the target."""

    client: socket.socket
    upstream: socket.socket | None = None
    closed: threading.Event = field(default_factory=threading.Event)

    def close(self, *, reset: bool) -> None:
        if self.closed.is_set():
            return
        self.closed.set()
        for sock in (self.client, self.upstream):
            if sock is None:
                continue
            if reset:
                _reset(sock)
            else:
                sock.close()


class FaultProxy:
    """Forwards ``127.0.0.1:<port>`` to ``target`` (``http://127.0.0.1:PORT``) in the current mode."""

    def __init__(self, target: str) -> None:
        parts = urlsplit(target)
        if parts.hostname not in ("127.0.0.1", "localhost") or parts.port is None:
            raise ValueError(f"loopback targets only, with a port (got {target!r})")
        self._target = ("127.0.0.1", parts.port)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(POLL_S)
        self.port: int = self._listener.getsockname()[1]
        self._mode = Mode.PASS
        self._links: set[_Link] = set()
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self.accepted = 0
        """Connections accepted so far (in any mode)."""
        self.forwarded = 0
        """Bytes passed on so far, both ways."""
        self._trigger: tuple[int, Callable[[], None], threading.Event] | None = None
        self._acceptor = threading.Thread(target=self._accept, name="fault-proxy", daemon=True)
        self._acceptor.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def mode(self) -> Mode:
        return self._mode

    def set_mode(self, mode: Mode) -> None:
        """Switch mode; entering RESET resets every open connection, leaving DROP cuts the silent ones."""
        with self._lock:
            previous, self._mode = self._mode, mode
            links = list(self._links)
        if mode is Mode.RESET:
            for link in links:
                link.close(reset=True)
        elif previous is Mode.DROP and mode is Mode.PASS:
            for link in links:
                if link.upstream is None:
                    link.close(reset=True)

    def after_bytes(self, more_bytes: int, action: Callable[[], None]) -> threading.Event:
        """Run ``action`` once ``more_bytes`` more bytes have passed (mid-transfer, so a read in
        progress meets what it does); the event is set when it ran."""
        done = threading.Event()
        with self._lock:
            self._trigger = (self.forwarded + more_bytes, action, done)
        return done

    def disarm(self) -> None:
        """Forget an action of :meth:`after_bytes` that has not run."""
        with self._lock:
            self._trigger = None

    def stop(self) -> None:
        self._stopped.set()
        self._acceptor.join()
        self._listener.close()
        with self._lock:
            links = list(self._links)
        for link in links:
            link.close(reset=False)

    def _accept(self) -> None:
        while not self._stopped.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.accepted += 1
            link = _Link(client)
            mode = self._mode
            if mode is Mode.RESET:
                link.close(reset=True)
                continue
            with self._lock:
                self._links.add(link)
            if mode is Mode.DROP:
                continue  # accepted, and silent until the mode changes
            self._start_passing(link)

    def _start_passing(self, link: _Link) -> None:
        try:
            link.upstream = socket.create_connection(self._target, timeout=5)
        except OSError:
            self._forget(link, reset=True)
            return
        for source, sink in ((link.client, link.upstream), (link.upstream, link.client)):
            threading.Thread(target=self._pump, args=(link, source, sink), daemon=True).start()

    def _pump(self, link: _Link, source: socket.socket, sink: socket.socket) -> None:
        try:
            source.settimeout(POLL_S)
        except OSError:  # the link was reset (a fault fired) before this direction's pump started
            self._forget(link, reset=False)
            return
        while not link.closed.is_set() and not self._stopped.is_set():
            if self._mode is Mode.DROP:
                link.closed.wait(POLL_S)  # bytes wait in the kernel buffers, undelivered
                continue
            try:
                data = source.recv(CHUNK)
            except TimeoutError:
                continue
            except OSError:
                break
            if not data:
                break
            try:
                sink.sendall(data)
            except OSError:
                break
            self.forwarded += len(data)
            self._fire_trigger()
        self._forget(link, reset=False)

    def _fire_trigger(self) -> None:
        with self._lock:
            trigger = self._trigger
            if trigger is None or self.forwarded < trigger[0]:
                return
            self._trigger = None
        _, action, done = trigger
        action()
        done.set()

    def _forget(self, link: _Link, *, reset: bool) -> None:
        link.close(reset=reset)
        with self._lock:
            self._links.discard(link)


@contextmanager
def fault_proxy(target: str) -> Iterator[FaultProxy]:
    """A running proxy in front of ``target``, stopped on exit."""
    proxy = FaultProxy(target)
    try:
        yield proxy
    finally:
        proxy.stop()
