"""A wall clock that moves only when a test says so (claims and leases expire without waiting)."""

from __future__ import annotations

import time


class ManualClock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds
