"""A handler context made of fakes, with handles on each fake for assertions."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from model_runner.api import ImageProcessor
from model_runner.config import WorkerSettings, load_settings
from model_runner.handlers import HandlerContext
from model_runner.testing.images import LocalImages
from model_runner.testing.models import ScriptedDetector, ScriptedModels, one_box
from model_runner.testing.outputs import MemorySinks
from model_runner.testing.schedule import InMemoryRegionSchedule
from model_runner.testing.stores import (
    InMemoryJobStore,
    InMemoryRegionQueue,
    InMemoryRegionStore,
    InMemoryWorkspace,
    RecordedEvents,
)

FAKE_ENVIRONMENT = {
    "AWS_DEFAULT_REGION": "us-east-1",
    "IMAGE_QUEUE": "memory://images",
    "REGION_QUEUE": "memory://regions",
    "JOB_TABLE": "jobs",
    "REGION_REQUEST_TABLE": "regions",
    "ENDPOINT_TABLE": "endpoints",
    "WORKSPACE_BUCKET": "workspace",
}


def fake_settings(**variables: str) -> WorkerSettings:
    """Worker settings for fakes, with ``variables`` (environment variable names) on top."""
    return load_settings({**FAKE_ENVIRONMENT, **variables})


class NoClients:
    """The client factory of a context without AWS: any call is a test bug, said plainly."""

    def __call__(self, service: str, *, role_arn: str | None = None) -> Any:
        raise AssertionError(f"a fake context has no AWS clients (asked for {service})")


class FixedCapacity:
    """Endpoint capacity port: ``default`` concurrent calls for every endpoint, or its own in
    ``endpoints`` (by name, or ``name/variant``)."""

    def __init__(self, default: int = 10, endpoints: dict[str, int] | None = None) -> None:
        self.default = default
        self.endpoints = dict(endpoints or {})

    def concurrency(self, processor: ImageProcessor, variant: str | None = None) -> int:
        name = processor.name if variant is None else f"{processor.name}/{variant}"
        return self.endpoints.get(name, self.default)


@dataclass
class FakeContext:
    """The fakes of one context, and the context made of them."""

    settings: WorkerSettings = field(default_factory=fake_settings)
    jobs: InMemoryJobStore = field(default_factory=InMemoryJobStore)
    regions: InMemoryRegionStore = field(default_factory=InMemoryRegionStore)
    region_queue: InMemoryRegionQueue = field(default_factory=InMemoryRegionQueue)
    workspace: InMemoryWorkspace = field(default_factory=InMemoryWorkspace)
    images: LocalImages = field(default_factory=LocalImages)
    detector: ScriptedDetector = field(default_factory=lambda: ScriptedDetector(one_box()))
    capacity: FixedCapacity = field(default_factory=FixedCapacity)
    schedule: InMemoryRegionSchedule = field(default_factory=InMemoryRegionSchedule)
    sinks: MemorySinks = field(default_factory=MemorySinks)
    events: RecordedEvents = field(default_factory=RecordedEvents)
    shutdown: threading.Event = field(default_factory=threading.Event)
    worker_id: str = "worker-1"
    """The worker these fakes stand for; ``dataclasses.replace(fakes.context, worker_id=...)``
    gives the context of another worker sharing the same stores."""

    @property
    def context(self) -> HandlerContext:
        """The handler context over these fakes (a new frozen value each time, same fakes)."""
        return HandlerContext(
            settings=self.settings,
            jobs=self.jobs,
            regions=self.regions,
            region_queue=self.region_queue,
            workspace=self.workspace,
            images=self.images,
            models=ScriptedModels(self.detector),
            capacity=self.capacity,
            schedule=self.schedule,
            sinks=self.sinks,
            events=self.events,
            clients=NoClients(),
            shutdown=self.shutdown,
            worker_id=self.worker_id,
        )


def fake_context(**fakes: Any) -> FakeContext:
    """Fakes for every port (any of them replaced by keyword), ready to build handlers with."""
    return FakeContext(**fakes)
