"""Capacity in units of concurrent model calls, and the units one region leases."""

from __future__ import annotations

import math
from collections.abc import Callable
from contextvars import ContextVar


def target_capacity(capacity: int, target_fraction: float) -> int:
    """The concurrent calls the workers may keep in flight on an endpoint of ``capacity``: its
    ``target_fraction`` (CAPACITY_TARGET_PERCENTAGE), at least one, so any endpoint runs work."""
    return max(1, math.floor(capacity * target_fraction + 1e-9))


def region_units(tile_workers: int, tiles: int, target: int) -> int:
    """The calls a region keeps in flight, and so the units it leases: its tile workers, no more
    than it has tiles, and no more than the endpoint's whole target (so a region always fits an
    idle endpoint: a job alone on its endpoint always runs)."""
    return max(1, min(tile_workers, tiles, target))


LEASED_UNITS: ContextVar[int | None] = ContextVar("leased_units", default=None)
"""The units the scheduler leased for the region being processed on this thread (None: the region
was not scheduled): the region runs with no more calls in flight than it leased."""


def tile_concurrency(tile_workers: int) -> int:
    """Model calls in flight for the region on this thread: WORKERS, or fewer when it leased fewer."""
    units = LEASED_UNITS.get()
    return tile_workers if units is None else max(1, min(tile_workers, units))


CALLS_DONE: ContextVar[Callable[[], None] | None] = ContextVar("calls_done", default=None)
"""What to do, for the region being processed on this thread, once its model calls are done (the
scheduler gives its units back then: recording the outcome needs no model capacity)."""


def model_calls_done() -> None:
    """Tell the scheduler (if the region was scheduled) that the region's model calls are done."""
    done = CALLS_DONE.get()
    if done is not None:
        done()
