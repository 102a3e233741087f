"""Regions on their own threads, so that a worker starts its next region while the one before
finishes (its last model calls, under permits the two share; its outcome; its image's completion).
An endpoint's calls then go on without the gap between a region's end and the next one's start.
With the scheduler, the loop also takes new images in while a region sends its tiles, and the
shared permits are the units it leased (docs/scheduling.md); without it, every message runs on its
own thread (an image's message runs the image's first region) under the worker's WORKERS permits
(:class:`SharedCalls`)."""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial

from model_runner.errors import DeferredError
from model_runner.scheduling import CallPermits, LeasedCalls, calls_leased
from model_runner.worker.memory import release_free_memory

logger = logging.getLogger(__name__)

REGIONS_IN_HAND = 6
"""One sending its tiles, the others finishing (their last calls, their outcome, their image's
completion, which may take longer than several regions' calls of a fast endpoint): memory stays
that of a few regions."""

COPY_DELAY_S = 10
"""How long a second copy of a region message in hand waits in its queue: once the region is done,
the copy is deleted unprocessed (until then it comes back every so often, never counted as a
failure)."""


class OverlappedRegions:
    """The threads of the regions one worker has in hand."""

    def __init__(self, limit: int = REGIONS_IN_HAND) -> None:
        self._limit = limit
        self._threads: list[threading.Thread] = []
        self._latest: threading.Event | None = None
        self._regions: set[str] = set()
        self._regions_lock = threading.Lock()

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

    @contextmanager
    def only_copy(self, region_id: str) -> Iterator[None]:
        """Process region ``region_id`` unless it is in hand already: a region message may come
        twice (a retried image sends its regions again), and two copies at once would call the
        model twice for each tile. The later copy goes back to its queue (``DeferredError``)."""
        with self._regions_lock:
            if region_id in self._regions:
                raise DeferredError(f"region {region_id} is in hand already", COPY_DELAY_S)
            self._regions.add(region_id)
        try:
            yield
        finally:
            with self._regions_lock:
                self._regions.discard(region_id)

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


class SharedCalls:
    """The model calls of a worker's regions without the scheduler: WORKERS permits shared by the
    regions in hand, the older region's calls first. The next region starts while the one before
    makes its last calls, and the calls in flight never outnumber WORKERS."""

    def __init__(self, units: int) -> None:
        self._permits = CallPermits(units)
        self._claims = itertools.count()

    def run(self, process: Callable[[], None], next_may_start: threading.Event) -> None:
        """Run ``process`` under the shared permits; ``next_may_start`` is set once its region's
        last tile is read and on its way (by the region; :meth:`OverlappedRegions.start` sets it at
        the end). Not earlier: by then the region has let its bands of pixels go, so the next
        region's bands do not add to them, and a receive and a region's start are quicker than a
        scheduling cycle."""
        lease = LeasedCalls(
            self._permits,
            next(self._claims),
            last_tiles=partial(_hand_over, next_may_start),
            calls_done=lambda: None,
            last_rounds=0,
        )
        with calls_leased(lease):
            process()


def _hand_over(next_may_start: threading.Event) -> None:
    """The region has let its bands of pixels go: their heap memory goes back to the system before
    the next region reads its own (on other threads, so in another heap), then it may start."""
    release_free_memory()
    next_may_start.set()
