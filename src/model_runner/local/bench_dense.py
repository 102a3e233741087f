"""The dense-scene side of ``model-runner bench``: boxes per tile, and when the image's completion ran.

Kept apart from the bench's loop so that other scenarios of the bench grow beside it.
"""

from __future__ import annotations

import argparse
import threading
import time

from model_runner.events import JobCompleted, JobFailed, LifecycleEvent, RegionCompleted
from model_runner.local.models import ModelSpec
from model_runner.tools.command_error import CommandError

MAX_BOXES_PER_TILE = 100_000


def check_dense_arguments(args: argparse.Namespace) -> None:
    """Raise CommandError naming a dense-scene flag that cannot be used as given."""
    boxes = args.boxes_per_tile
    if boxes is None:
        return
    if args.model != "flood":
        raise CommandError(f"--boxes-per-tile {boxes}: only the flood model finds boxes; add --model flood")
    if not 0 <= boxes <= MAX_BOXES_PER_TILE:
        raise CommandError(f"--boxes-per-tile {boxes}: give 0 to {MAX_BOXES_PER_TILE} boxes per tile")


def bench_model(args: argparse.Namespace) -> ModelSpec:
    """The built-in model the bench calls, with the boxes per tile asked for."""
    if args.boxes_per_tile is None:
        return ModelSpec(kind=args.model, latency_ms=args.latency_ms)
    return ModelSpec(kind=args.model, latency_ms=args.latency_ms, count=args.boxes_per_tile)


class CompletionClock:
    """Observes the job: the completion of an image runs from its last region's outcome to its
    terminal status (distillation of what regions left, the sinks, the terminal write)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last_region: float | None = None
        self._finished: float | None = None

    def on_event(self, event: LifecycleEvent) -> None:
        now = time.monotonic()
        with self._lock:
            if isinstance(event, RegionCompleted):
                self._last_region = now
            elif isinstance(event, JobCompleted | JobFailed):
                self._finished = now

    @property
    def completion_s(self) -> float | None:
        """Seconds the completion took, once the job finished."""
        with self._lock:
            if self._last_region is None or self._finished is None:
                return None
            return round(self._finished - self._last_region, 3)
