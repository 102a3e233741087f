"""The worker's lifecycle events, and the bus that delivers them to observers.

Handlers report what happens (a job started, a region completed, a tile failed, progress, a job
completed or failed) by emitting these typed events; status publishing to SNS, structured logs and
metrics are observers of them, like any extension's. An observer that raises is logged and counted,
never allowed to break processing or the other observers.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from model_runner.status import Status

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class JobStarted:
    """An image of a job was accepted and split into regions."""

    job_id: str
    image_id: str
    image_url: str
    region_count: int
    job_name: str | None = None


@dataclass(frozen=True)
class RegionStarted:
    """A worker started processing a region."""

    job_id: str
    image_id: str
    region_id: str
    total_tiles: int


@dataclass(frozen=True)
class TileFailed:
    """A tile could not be processed; ``reason`` says why."""

    job_id: str
    image_id: str
    region_id: str
    tile_id: str
    reason: str


@dataclass(frozen=True)
class RegionCompleted:
    """A region reached its terminal status."""

    job_id: str
    image_id: str
    region_id: str
    status: Status
    total_tiles: int
    failed_tiles: int
    duration_s: float
    failures: Sequence[str] = ()
    model_latencies_ms: Sequence[float] = ()
    """Duration of each successful model call of the region."""


@dataclass(frozen=True)
class Progress:
    """Regions of an image with an outcome so far, of all its regions."""

    job_id: str
    image_id: str
    completed: int
    total: int


@dataclass(frozen=True)
class JobCompleted:
    """An image of a job ended SUCCESS or PARTIAL; emitted exactly once per image."""

    job_id: str
    image_id: str
    status: Status
    duration_s: float
    features: int
    message: str
    job_name: str | None = None


@dataclass(frozen=True)
class JobFailed:
    """An image of a job ended FAILED; emitted exactly once per image."""

    job_id: str
    image_id: str
    reason: str
    duration_s: float
    job_name: str | None = None
    status: Status = field(default=Status.FAILED, init=False)


LifecycleEvent = (
    JobStarted | RegionStarted | TileFailed | RegionCompleted | Progress | JobCompleted | JobFailed
)


class Observer(Protocol):
    """Anything with ``on_event``: receives every lifecycle event."""

    def on_event(self, event: LifecycleEvent) -> None: ...


class EventBus:
    """Delivers each event to every observer, in registration order, isolating their failures."""

    def __init__(self, observers: Iterable[Observer] = ()) -> None:
        self._observers = list(observers)
        self._lock = threading.Lock()

    def subscribe(self, observer: Observer) -> None:
        """Add an observer."""
        with self._lock:
            self._observers.append(observer)

    def emit(self, event: LifecycleEvent) -> None:
        """Deliver ``event``; an observer that raises is logged and skipped."""
        with self._lock:
            observers = list(self._observers)
        for observer in observers:
            try:
                observer.on_event(event)
            except Exception:
                logger.exception(
                    "observer %s failed on %s; processing goes on",
                    type(observer).__name__,
                    type(event).__name__,
                )
