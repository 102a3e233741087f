"""An observer that follows one job on a local worker: its tiles, and the moment every image ended."""

from __future__ import annotations

import threading
from typing import TextIO

from model_runner.events import JobCompleted, JobFailed, LifecycleEvent, Progress, RegionCompleted
from model_runner.status import Status


class JobWatch:
    """Counts tiles as regions complete, optionally shows progress, and signals when each of the
    job's ``images`` has its terminal status."""

    def __init__(self, progress: TextIO | None = None, *, images: int = 1) -> None:
        self.tiles = 0
        self.failed_tiles = 0
        self.outcomes: dict[str, JobCompleted | JobFailed] = {}
        """Each finished image's terminal event, by image id."""
        self.finished = threading.Event()
        self._images = images
        self._regions: dict[str, tuple[int, int]] = {}
        self._progress = progress

    def on_event(self, event: LifecycleEvent) -> None:
        if isinstance(event, RegionCompleted):
            self.tiles += event.total_tiles
            self.failed_tiles += event.failed_tiles
        elif isinstance(event, Progress):
            self._regions[event.image_id] = (event.completed, event.total)
            self._show()
        elif isinstance(event, JobCompleted | JobFailed):
            self.outcomes[event.image_id] = event
            self._show()
            if len(self.outcomes) >= self._images:
                self.finished.set()

    def _show(self) -> None:
        if self._progress is None:
            return
        done = sum(completed for completed, _ in self._regions.values())
        total = sum(total for _, total in self._regions.values())
        images = f"images {len(self.outcomes)}/{self._images}, " if self._images > 1 else ""
        line = f"\r{images}regions {done}/{total}, tiles {self.tiles} ({self.failed_tiles} failed)"
        print(line, end="", file=self._progress, flush=True)

    @property
    def outcome(self) -> JobCompleted | JobFailed | None:
        """The first image's terminal event (the only one of a one-image job)."""
        return next(iter(self.outcomes.values()), None)

    @property
    def status(self) -> str:
        """The job's status over its images: SUCCESS or FAILED when all agree, PARTIAL when they
        differ, TIMED_OUT while an image has none."""
        if len(self.outcomes) < self._images:
            return "TIMED_OUT"
        found = {outcome.status for outcome in self.outcomes.values()}
        return found.pop().value if len(found) == 1 else Status.PARTIAL.value

    @property
    def features(self) -> int:
        """Features written for the job's images."""
        return sum(
            outcome.features for outcome in self.outcomes.values() if isinstance(outcome, JobCompleted)
        )

    @property
    def message(self) -> str:
        """The first image's terminal message or failure reason."""
        return message_of(self.outcome) if self.outcome else ""


def message_of(outcome: JobCompleted | JobFailed) -> str:
    """An image's terminal message, or its failure reason."""
    return outcome.message if isinstance(outcome, JobCompleted) else outcome.reason
