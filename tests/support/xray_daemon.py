"""A stand-in X-Ray daemon for tests: a UDP socket on loopback, as the SDK's emitter expects."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from typing import Any

import pytest


class Daemon:
    """A stand-in X-Ray daemon: a UDP socket on loopback collecting the documents it receives."""

    def __init__(self) -> None:
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.socket.bind(("127.0.0.1", 0))
        self.socket.settimeout(0.5)
        self.address = f"127.0.0.1:{self.socket.getsockname()[1]}"

    def documents(self) -> list[dict[str, Any]]:
        found = []
        while True:
            try:
                datagram = self.socket.recv(65536)
            except TimeoutError:
                return found
            header, _, body = datagram.partition(b"\n")
            assert json.loads(header) == {"format": "json", "version": 1}
            found.append(json.loads(body))

    def close(self) -> None:
        self.socket.close()


@pytest.fixture
def xray_daemon() -> Iterator[Daemon]:
    running = Daemon()
    yield running
    running.close()
