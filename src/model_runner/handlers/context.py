"""The handler context: every collaborator of the handlers, typed, built once per worker.

The worker wiring fills it with the AWS, imagery and inference adapters; unit tests fill it with
the in-memory fakes of :mod:`model_runner.testing`. Handlers read what they need from it and never
build adapters themselves, so a handler's dependencies are visible in one place.
"""

from __future__ import annotations

import os
import socket
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from model_runner.aws.client_factory import ClientFactory
from model_runner.config import WorkerSettings
from model_runner.handlers.ports import (
    DetectionWorkspace,
    EndpointCapacity,
    EventSink,
    ImageOpener,
    JobStore,
    ModelEndpoints,
    RegionQueue,
    RegionSchedule,
    RegionStore,
    SinkFactory,
    Tracer,
)
from model_runner.observability.tracing import NoTracer
from model_runner.tiling import GridTilingStrategy, TilingStrategy


def new_worker_id() -> str:
    """An id no other worker has: host, process id and a random part (a process may build several)."""
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"


def _no_progress() -> None:
    """Progress is not watched (fakes, tools)."""


@dataclass(frozen=True)
class HandlerContext:
    """What a handler works with; frozen, shared by every handler of a worker."""

    settings: WorkerSettings
    jobs: JobStore
    """Image rows of jobs (the job table)."""
    regions: RegionStore
    """Region rows (the region request table)."""
    region_queue: RegionQueue
    """Where an image's regions go for any worker."""
    workspace: DetectionWorkspace
    """Raw detections of regions until their image completes."""
    images: ImageOpener
    """Images, opened once per worker."""
    models: ModelEndpoints
    """The detector of a request's model."""
    capacity: EndpointCapacity
    """Concurrent calls an endpoint serves (SageMaker descriptions and tags, HTTP settings)."""
    schedule: RegionSchedule
    """The scheduling table: endpoint capacity leases and regions waiting for them."""
    sinks: SinkFactory
    """The output sinks of a request."""
    events: EventSink
    """Lifecycle events, for the observers (status, logs, metrics, extensions)."""
    clients: ClientFactory
    """boto3 clients per role, for services of extensions (and the asynchronous pair's)."""
    tiling: TilingStrategy = field(default_factory=GridTilingStrategy)
    shutdown: threading.Event = field(default_factory=threading.Event)
    """Set when the worker is stopping: long work stops taking new tiles."""
    tracer: Tracer = field(default_factory=NoTracer)
    """Spans of images, regions and model calls (X-Ray when TRACING_ENABLED; else nothing)."""
    worker_id: str = field(default_factory=new_worker_id)
    """Who claims the completion of an image: unique per worker (host, process, instance)."""
    progress: Callable[[], None] = _no_progress
    """Called whenever work moves forward (a tile ended, a step of completion ended); a worker
    that stops calling it for STALL_TIMEOUT is stuck and gives its message up."""
