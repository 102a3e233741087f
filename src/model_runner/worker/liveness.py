"""Liveness of a worker process, for container health checks: a file touched while the worker
makes progress, and ``model-runner health`` checking that it is fresh.

The file is touched every LIVENESS interval (a third of STALL_TIMEOUT, at most 5 s) by a thread of
its own, as long as the worker is not stuck (see :mod:`model_runner.worker.progress`): a worker
that is busy but moving stays healthy, one that hangs goes unhealthy within STALL_TIMEOUT plus a
few intervals, and so does a process that stopped altogether.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from model_runner.config import WorkerSettings, load_settings
from model_runner.errors import ConfigurationError
from model_runner.periodic import every
from model_runner.worker.progress import ProgressMonitor

STALE_INTERVALS = 4
"""Liveness intervals after which an untouched file means an unhealthy worker."""


class Liveness:
    """The worker's liveness file."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def touch(self) -> None:
        """Record that the worker is alive now."""
        self.path.touch()

    def clear(self) -> None:
        """Record that the worker stopped: health fails at once instead of when the file gets stale."""
        self.path.unlink(missing_ok=True)

    def age_s(self) -> float | None:
        """Seconds since the worker was last alive; None when it never was."""
        try:
            return time.time() - self.path.stat().st_mtime
        except FileNotFoundError:
            return None

    @contextmanager
    def kept_while_progressing(self, progress: ProgressMonitor, interval_s: float) -> Iterator[None]:
        """Touch the file every ``interval_s`` while the worker is not stuck, until the block ends."""

        def beat() -> None:
            if not progress.stalled():
                self.touch()

        self.touch()
        with every(interval_s, beat, name="liveness"):
            yield


def stale_after_s(settings: WorkerSettings) -> float:
    """How old the liveness file may be before the worker counts as dead or stuck."""
    return STALE_INTERVALS * settings.liveness_interval_s


def check_health() -> int:
    """Exit status of ``model-runner health``: 0 when the worker in this container is alive."""
    try:
        settings = load_settings()
    except ConfigurationError as error:
        print(f"unhealthy: configuration: {error}")
        return 1
    age = Liveness(settings.liveness_file).age_s()
    if age is None or age > stale_after_s(settings):
        state = "missing" if age is None else f"{age:.0f} s old: the worker is stuck or gone"
        print(f"unhealthy: {settings.liveness_file} {state}")
        return 1
    print(f"healthy: last progress {age:.0f} s ago")
    return 0
