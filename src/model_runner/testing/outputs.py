"""Output sinks that keep what they are given, for asserting what an image wrote."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Sequence

from model_runner.api import Sink as Output
from model_runner.sinks import Feature, ImageMetadata, Sink, SinkError, SinkReport
from model_runner.sinks.base import FeatureSource
from model_runner.testing.feature_list import features_of


class MemorySink:
    """One sink: every write kept as (job id, image id, features as dicts); ``fail`` makes writes fail."""

    def __init__(
        self, name: str, fail: str | None = None, before_write: Callable[[], None] | None = None
    ) -> None:
        self.name = name
        self.fail = fail
        self.before_write = before_write
        """Called at the start of each write: a test may block there, or raise (a crash)."""
        self.writes: list[tuple[str, str, list[Feature]]] = []
        self._lock = threading.Lock()

    @property
    def description(self) -> str:
        return f"memory sink {self.name!r}"

    def write(
        self,
        job_id: str,
        image_id: str,
        features: FeatureSource,
        *,
        metadata: ImageMetadata | None = None,
    ) -> SinkReport:
        if self.before_write is not None:
            self.before_write()
        if self.fail is not None:
            raise SinkError(self.fail)
        written: list[Feature] = [json.loads(text) for text in features_of(features)]
        with self._lock:
            self.writes.append((job_id, image_id, written))
        return SinkReport(self.description, len(written), f"memory://{self.name}/{image_id}")


class MemorySinks:
    """The sink factory port: one :class:`MemorySink` per output of a request, kept by position."""

    def __init__(self) -> None:
        self.sinks: list[MemorySink] = []
        self.failing: dict[int, str] = {}
        """Output position -> the reason its writes fail."""
        self.before_write: dict[int, Callable[[], None]] = {}
        """Output position -> what its sink calls at the start of each write."""

    def __call__(self, outputs: Sequence[Output]) -> list[Sink]:
        while len(self.sinks) < len(outputs):
            index = len(self.sinks)
            self.sinks.append(
                MemorySink(f"output-{index}", self.failing.get(index), self.before_write.get(index))
            )
        return list(self.sinks[: len(outputs)])
