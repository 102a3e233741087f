"""Scheduled regions on their own threads, so that a worker starts its next region while the one
before finishes (its last model calls, whose units the next region of its endpoint takes over by
sharing its permits; its outcome; its image's completion), and takes new images in while a region
sends its tiles. An endpoint's calls then go on without the gap between a region's end and the next
one's start. At most two regions are in hand at once."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

logger = logging.getLogger(__name__)

REGIONS_IN_HAND = 6
"""One sending its tiles, the others finishing (their last calls, their outcome, their image's
completion, which may take longer than several regions' calls of a fast endpoint): memory stays
that of a few regions."""


class OverlappedRegions:
    """The threads of the scheduled regions one worker has in hand."""

    def __init__(self, limit: int = REGIONS_IN_HAND) -> None:
        self._limit = limit
        self._threads: list[threading.Thread] = []
        self._latest: threading.Event | None = None

    def make_room(self) -> None:
        """Wait until fewer than ``limit`` regions are in hand (the oldest first): before a claim,
        so that units are not leased to a region that cannot start."""
        self._threads = [thread for thread in self._threads if thread.is_alive()]
        while len(self._threads) >= self._limit:
            self._threads.pop(0).join()

    def start(self, name: str, process: Callable[[], None], next_may_start: threading.Event) -> None:
        """Start ``process`` on its own thread (after :meth:`make_room`); ``next_may_start`` is set
        when its region is down to its last tiles, or at the latest when ``process`` ends."""
        self.make_room()

        def processing() -> None:
            try:
                process()
            except Exception:
                logger.exception("processing region %s failed", name)
            finally:
                next_may_start.set()

        thread = threading.Thread(target=processing, name=name, daemon=True)
        self._latest = next_may_start
        thread.start()
        self._threads.append(thread)

    def in_hand(self) -> bool:
        """Whether a region is still being processed."""
        return any(thread.is_alive() for thread in self._threads)

    def sending(self) -> bool:
        """Whether the latest region is not yet down to its last tiles (the next may not start)."""
        return self._latest is not None and not self._latest.is_set()

    def wait_for_next(self, timeout_s: float) -> None:
        """Wait until the next region may start, at most ``timeout_s`` seconds."""
        if self._latest is not None:
            self._latest.wait(timeout_s)

    def join(self) -> None:
        """Wait for every region in hand to end."""
        for thread in self._threads:
            thread.join()
        self._threads.clear()
