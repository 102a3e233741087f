"""Capacity in units of concurrent model calls, the units one region leases, and the permits that
keep a region's calls within them."""

from __future__ import annotations

import heapq
import itertools
import math
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass


def target_capacity(capacity: int, target_fraction: float) -> int:
    """The concurrent calls the workers may keep in flight on an endpoint of ``capacity``: its
    ``target_fraction`` (CAPACITY_TARGET_PERCENTAGE), at least one, so any endpoint runs work."""
    return max(1, math.floor(capacity * target_fraction + 1e-9))


def region_units(tile_workers: int, tiles: int, target: int) -> int:
    """The calls a region keeps in flight, and so the units it leases: its tile workers, no more
    than it has tiles, and no more than the endpoint's whole target (so a region always fits an
    idle endpoint: a job alone on its endpoint always runs)."""
    return max(1, min(tile_workers, tiles, target))


class CallPermits:
    """At most ``units`` model calls at once under these permits.

    A leased region's calls each hold a permit only while the model answers (writing the answer's
    features holds none), so a call leaves as soon as a unit is free. When a worker hands a
    region's units over to its next region while the first one's last calls are in flight, both
    share the same permits: the calls under the units never outnumber them, and the calls of the
    older region (the lower ``order``) go first, so it finishes as soon as it would have alone. A
    call that ends hands its permit straight to the first waiting call (one thread woken, not all).
    """

    def __init__(self, units: int) -> None:
        if units < 1:
            raise ValueError(f"permits need at least 1 unit, got {units}")
        self.units = units
        self._in_flight = 0
        self._waiting: list[tuple[int, int, threading.Event]] = []
        self._arrivals = itertools.count()
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)

    @contextmanager
    def call(self, order: int = 0) -> Iterator[None]:
        """Hold a permit for one model call: at once if one is free, else when it is this call's
        turn (lowest ``order`` first, then first come)."""
        turn: threading.Event | None = None
        with self._lock:
            if self._in_flight < self.units:
                self._in_flight += 1
            else:
                turn = threading.Event()
                heapq.heappush(self._waiting, (order, next(self._arrivals), turn))
        if turn is not None:
            turn.wait()  # the permit was handed over: the count of calls in flight did not change
        try:
            yield
        finally:
            with self._lock:
                if self._waiting:
                    heapq.heappop(self._waiting)[2].set()
                else:
                    self._in_flight -= 1
                    if self._in_flight == 0:
                        self._idle.notify_all()

    def wait_idle(self, timeout_s: float) -> bool:
        """Wait until no call holds a permit (before the units go back); False on timeout."""
        with self._idle:
            return self._idle.wait_for(lambda: self._in_flight == 0, timeout_s)


@dataclass(frozen=True)
class LeasedCalls:
    """What the scheduler gives the region processed on this thread: its permits, and whom to tell
    when it is down to its last tiles and when its model calls are done."""

    permits: CallPermits
    order: int
    """The region's place among those sharing ``permits`` (lower: older, its calls go first)."""
    last_tiles: Callable[[], None]
    """The region is down to its last rounds of calls: the worker may start its next region now
    (which takes its units over and shares its permits, so it starts while these calls finish)."""
    calls_done: Callable[[], None]
    """The region's model calls are done: its units go back (recording needs no model capacity)."""


LEASED_CALLS: ContextVar[LeasedCalls | None] = ContextVar("leased_calls", default=None)
"""The lease of the region being processed on this thread (None: the region was not scheduled)."""


def tile_concurrency(tile_workers: int) -> int:
    """Model calls in flight for the region on this thread: WORKERS, or fewer when it leased fewer."""
    leased = LEASED_CALLS.get()
    return tile_workers if leased is None else max(1, min(tile_workers, leased.permits.units))


def leased_calls() -> LeasedCalls | None:
    """The lease of the region processed on this thread (None: it was not scheduled); its
    callbacks may be handed to other threads (a context variable is not)."""
    return LEASED_CALLS.get()


def model_calls_done() -> None:
    """Tell the scheduler (if the region was scheduled) that the region's model calls are done."""
    leased = LEASED_CALLS.get()
    if leased is not None:
        leased.calls_done()
