"""An observer that follows one job on a local worker: its tiles, and the moment it ends."""

from __future__ import annotations

import threading
from typing import TextIO

from model_runner.events import JobCompleted, JobFailed, LifecycleEvent, Progress, RegionCompleted


class JobWatch:
    """Counts tiles as regions complete, optionally shows progress, and signals the job's end."""

    def __init__(self, progress: TextIO | None = None) -> None:
        self.tiles = 0
        self.failed_tiles = 0
        self.outcome: JobCompleted | JobFailed | None = None
        self.finished = threading.Event()
        self._progress = progress

    def on_event(self, event: LifecycleEvent) -> None:
        if isinstance(event, RegionCompleted):
            self.tiles += event.total_tiles
            self.failed_tiles += event.failed_tiles
        elif isinstance(event, Progress) and self._progress is not None:
            line = (
                f"\rregions {event.completed}/{event.total}, tiles {self.tiles} ({self.failed_tiles} failed)"
            )
            print(line, end="", file=self._progress, flush=True)
        elif isinstance(event, JobCompleted | JobFailed):
            self.outcome = event
            self.finished.set()

    @property
    def status(self) -> str:
        """The job's terminal status, or TIMED_OUT while it has none."""
        return self.outcome.status.value if self.outcome else "TIMED_OUT"

    @property
    def features(self) -> int:
        """Features written for the job (0 unless it completed)."""
        return self.outcome.features if isinstance(self.outcome, JobCompleted) else 0

    @property
    def message(self) -> str:
        """The job's terminal message or failure reason."""
        if isinstance(self.outcome, JobCompleted):
            return self.outcome.message
        return self.outcome.reason if self.outcome else ""
