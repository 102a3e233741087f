"""Progress of a worker, and what being alive means: moving forward, not merely running.

Progress is marked when a poll returns, a message settles, a tile ends or a step of an image's
completion ends. A worker with no progress for STALL_TIMEOUT is stuck: its heartbeat stops keeping
its message (which goes to another worker) and the liveness file stops being touched, so
``model-runner health`` fails and the container is replaced.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

logger = logging.getLogger(__name__)


class ProgressMonitor:
    """When the worker last moved forward; thread-safe (a float assignment)."""

    def __init__(self, stall_after_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.stall_after_s = stall_after_s
        self._clock = clock
        self._last = clock()
        self._reported = threading.Event()

    def mark(self) -> None:
        """Record progress now."""
        self._last = self._clock()
        if self._reported.is_set():
            self._reported.clear()
            logger.warning("the worker makes progress again")

    def idle_s(self) -> float:
        """Seconds since the last progress."""
        return self._clock() - self._last

    def stalled(self) -> bool:
        """Whether the worker made no progress for STALL_TIMEOUT; logged once per stall."""
        idle = self.idle_s()
        if idle < self.stall_after_s:
            return False
        if not self._reported.is_set():
            self._reported.set()
            logger.error(
                "no progress for %.0f s (STALL_TIMEOUT %.0f s): the worker is stuck; its message is "
                "no longer kept and its health check fails",
                idle,
                self.stall_after_s,
            )
        return True
