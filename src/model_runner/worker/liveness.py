"""Liveness of a worker process, for container health checks: a file touched while the worker is
polling or processing, and ``model-runner health`` checking that it is fresh."""

from __future__ import annotations

import time
from pathlib import Path

from model_runner.config import WorkerSettings, load_settings
from model_runner.errors import ConfigurationError


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


def stale_after_s(settings: WorkerSettings) -> float:
    """How old the liveness file may be: three heartbeats or three polls, whichever is longer."""
    return 3 * max(settings.heartbeat_s, 2 * settings.queue_wait_s, 10)


def check_health() -> int:
    """Exit status of ``model-runner health``: 0 when the worker in this container is alive."""
    try:
        settings = load_settings()
    except ConfigurationError as error:
        print(f"unhealthy: configuration: {error}")
        return 1
    age = Liveness(settings.liveness_file).age_s()
    if age is None or age > stale_after_s(settings):
        print(f"unhealthy: {settings.liveness_file} " + ("missing" if age is None else f"{age:.0f} s old"))
        return 1
    print(f"healthy: last alive {age:.0f} s ago")
    return 0
