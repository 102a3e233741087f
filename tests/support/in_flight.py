"""Counting what is under way at once in a test (model calls, uploads, regions), and the most."""

from __future__ import annotations

import threading
from types import TracebackType


class InFlight:
    """``with in_flight:`` around each piece of work; ``most`` is the most under way at once."""

    def __init__(self) -> None:
        self.now = 0
        self.most = 0
        self._lock = threading.Lock()

    def __enter__(self) -> None:
        with self._lock:
            self.now += 1
            self.most = max(self.most, self.now)

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        with self._lock:
            self.now -= 1
