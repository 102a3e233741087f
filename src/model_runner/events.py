"""The worker's lifecycle events, and the bus that delivers them to observers.

Handlers report what happens (a job started, a region completed, a tile failed, progress, a job
completed or failed) by emitting these typed events; status publishing to SNS, structured logs and
metrics are observers of them, like any extension's.

Observers never stall the processing thread: each has its own bounded queue and delivery thread,
so a slow or failing observer delays neither tiles nor the other observers. An observer that
raises is logged and skipped. When an observer falls so far behind that its queue is full, events
that only report progress (tile failures, progress, region starts) are dropped for it and counted;
status changes wait for room, so none is ever lost. The worker flushes the bus before it settles a
message, so what a message caused is delivered before the message is deleted.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from model_runner.status import Status, TileBounds

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
    failed_tile_bounds: Sequence[TileBounds] = ()
    """Each failed tile as ((row, column), (width, height))."""
    model_name: str = ""
    """The model (endpoint name or URL) the region's tiles went to."""
    input_format: str = ""
    """The image's format as GDAL names it (NITF, GTIFF, ...)."""


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
    outputs: Sequence[str] = ()
    """Where the features were written: ``s3://bucket/key`` of each S3 object, stream names."""
    model_name: str = ""
    """The model (endpoint name or URL), for metrics; empty when unknown."""
    input_format: str = ""
    """The image's format as GDAL names it (NITF, GTIFF, ...), for metrics; empty when unknown."""


@dataclass(frozen=True)
class JobFailed:
    """An image of a job ended FAILED; emitted exactly once per image."""

    job_id: str
    image_id: str
    reason: str
    duration_s: float
    job_name: str | None = None
    model_name: str = ""
    input_format: str = ""
    status: Status = field(default=Status.FAILED, init=False)


@dataclass(frozen=True)
class RequestIgnored:
    """A request named an image its jobId already started with other values, so it was not
    processed: the sender is told, with the image's own ``status`` (unchanged)."""

    job_id: str
    image_id: str
    status: Status
    reason: str
    job_name: str | None = None
    duration_s: float = 0.0
    """Nothing was processed."""


@dataclass(frozen=True)
class RegionAdmitted:
    """The scheduler leased capacity of ``endpoint`` for a region that waited ``waited_s``."""

    job_id: str
    image_id: str
    endpoint: str
    units: int
    waited_s: float


@dataclass(frozen=True)
class EndpointThrottled:
    """A scheduling cycle found work waiting for ``endpoint`` and no room in its capacity."""

    endpoint: str
    waiting: int
    used: int
    target: int


@dataclass(frozen=True)
class CapacityWait:
    """An image's regions wait for capacity of ``endpoint`` (reported about once a minute)."""

    job_id: str
    image_id: str
    endpoint: str
    used: int
    target: int


LifecycleEvent = (
    JobStarted
    | RegionStarted
    | TileFailed
    | RegionCompleted
    | Progress
    | JobCompleted
    | JobFailed
    | RequestIgnored
    | RegionAdmitted
    | EndpointThrottled
    | CapacityWait
)


class Observer(Protocol):
    """Anything with ``on_event``: receives every lifecycle event."""

    def on_event(self, event: LifecycleEvent) -> None: ...


PROGRESS_ONLY = (TileFailed, Progress, RegionStarted, RegionAdmitted, EndpointThrottled, CapacityWait)
"""Events an observer that cannot keep up may miss; every other event is a status change."""

QUEUE_CAPACITY = 10_000
"""Events waiting per observer before progress events are dropped for it."""
STOP_CHECK_S = 1.0
"""How often a status change waiting for room in a full queue checks that its observer still runs."""


class EventBus:
    """Delivers each event to every observer, in order, on the observer's own thread."""

    def __init__(self, observers: Iterable[Observer] = (), *, capacity: int = QUEUE_CAPACITY) -> None:
        self._capacity = capacity
        self._deliveries: list[_Delivery] = []
        self._lock = threading.Lock()
        for observer in observers:
            self.subscribe(observer)

    def subscribe(self, observer: Observer, name: str | None = None) -> None:
        """Add an observer; ``name`` labels its thread and log lines."""
        delivery = _Delivery(observer, name or type(observer).__name__, self._capacity)
        with self._lock:
            self._deliveries.append(delivery)

    def emit(self, event: LifecycleEvent) -> None:
        """Queue ``event`` for every observer; returns without waiting for any of them."""
        with self._lock:
            deliveries = list(self._deliveries)
        for delivery in deliveries:
            delivery.offer(event, essential=not isinstance(event, PROGRESS_ONLY))

    def flush(self, timeout_s: float) -> bool:
        """Wait until every queued event was delivered; False when ``timeout_s`` ran out first."""
        deadline = time.monotonic() + timeout_s
        with self._lock:
            deliveries = list(self._deliveries)
        return all(delivery.wait_idle(deadline) for delivery in deliveries)

    def close(self, timeout_s: float) -> bool:
        """Deliver the events queued (for at most ``timeout_s``), then end every observer's thread,
        so that a closed worker leaves none behind (nor what its observers hold, such as their
        clients); events emitted afterwards reach no one. False when the time ran out first."""
        delivered = self.flush(timeout_s)
        with self._lock:
            deliveries, self._deliveries = self._deliveries, []
        for delivery in deliveries:
            delivery.stop()
        return delivered

    @property
    def dropped(self) -> int:
        """Progress events dropped for observers that could not keep up."""
        with self._lock:
            return sum(delivery.dropped for delivery in self._deliveries)


class _Delivery:
    """One observer's queue and the daemon thread that feeds it."""

    def __init__(self, observer: Observer, name: str, capacity: int) -> None:
        self._observer = observer
        self._name = name
        self._queue: queue.Queue[LifecycleEvent | None] = queue.Queue(capacity)
        """Events to deliver; None ends the thread."""
        self._stopped = threading.Event()
        self.dropped = 0
        threading.Thread(target=self._run, name=f"observer-{name}", daemon=True).start()

    def stop(self) -> None:
        """End the thread after the event it may be delivering (the events still queued, when a
        stuck observer kept them, are dropped)."""
        self._stopped.set()
        with contextlib.suppress(queue.Full):  # full: the thread sees the flag after its event
            self._queue.put_nowait(None)

    def offer(self, event: LifecycleEvent, *, essential: bool) -> None:
        if essential:  # waits for room while the observer runs: no status change is lost
            while not self._stopped.is_set():
                with contextlib.suppress(queue.Full):
                    self._queue.put(event, timeout=STOP_CHECK_S)
                    return
            return
        try:
            self._queue.put_nowait(event)
        except queue.Full:
            self.dropped += 1
            if self.dropped == 1 or self.dropped % 1000 == 0:
                logger.warning(
                    "observer %s cannot keep up: %d progress events dropped", self._name, self.dropped
                )

    def wait_idle(self, deadline: float) -> bool:
        """Wait until the queue is empty and its last event handled, or the deadline passes."""
        with self._queue.all_tasks_done:
            while self._queue.unfinished_tasks:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._queue.all_tasks_done.wait(remaining)
        return True

    def _run(self) -> None:
        while not self._stopped.is_set():
            event = self._queue.get()
            try:
                if event is not None:
                    self._observer.on_event(event)
            except Exception:
                logger.exception(
                    "observer %s failed on %s; processing goes on", self._name, type(event).__name__
                )
            finally:
                self._queue.task_done()
