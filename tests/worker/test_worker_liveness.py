"""Liveness that means progress: a worker whose work stops moving gives its message up and fails
its health check; one that moves stays healthy however long its message takes."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from model_runner.aws.sqs import MessageGoneError, QueueMessage
from model_runner.errors import ServiceError
from model_runner.worker.heartbeat import heartbeat
from model_runner.worker.liveness import Liveness
from model_runner.worker.progress import ProgressMonitor

MESSAGE = QueueMessage("https://sqs/regions", "m1", "receipt", "{}", 1)


class CountingQueue:
    def __init__(self, *errors: Exception) -> None:
        self.extended = 0
        self.errors = list(errors)

    def extend(self, message: QueueMessage, visibility_s: int) -> None:
        if self.errors:
            raise self.errors.pop(0)
        self.extended += 1


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_progress_is_stalled_only_after_the_stall_timeout_without_a_mark() -> None:
    clock = Clock()
    progress = ProgressMonitor(stall_after_s=10, clock=clock)

    clock.now = 9.9
    assert not progress.stalled()
    clock.now = 10.0
    assert progress.stalled()
    progress.mark()
    assert not progress.stalled() and progress.idle_s() == 0


def test_the_heartbeat_stops_keeping_a_message_whose_work_is_stuck() -> None:
    queue, stuck = CountingQueue(), [False]

    with heartbeat(queue, MESSAGE, visibility_s=30, every_s=0.05, stalled=lambda: stuck[0]):  # type: ignore[arg-type]
        time.sleep(0.3)
        moving = queue.extended
        stuck[0] = True
        time.sleep(0.2)
        after = queue.extended
        time.sleep(0.3)

    assert moving >= 3
    assert queue.extended - after == 0  # not one extension while stuck


def test_the_heartbeat_survives_failed_extensions_and_stops_once_the_message_is_gone() -> None:
    flaky = CountingQueue(ServiceError("read timeout"), ServiceError("connection reset"))
    with heartbeat(flaky, MESSAGE, visibility_s=30, every_s=0.05):  # type: ignore[arg-type]
        time.sleep(0.4)
    assert flaky.extended >= 2  # failures were logged, the next beats went on

    purged = CountingQueue(MessageGoneError("ReceiptHandleIsInvalid"))
    purged.errors.append(AssertionError("extended after the message was gone"))
    with heartbeat(purged, MESSAGE, visibility_s=30, every_s=0.05):  # type: ignore[arg-type]
        time.sleep(0.3)
    assert purged.extended == 0 and len(purged.errors) == 1


def health(tmp_path: Path, alive: Path, **variables: str) -> subprocess.CompletedProcess[str]:
    environment = {
        "AWS_DEFAULT_REGION": "us-east-1",
        "IMAGE_QUEUE": "q",
        "REGION_QUEUE": "r",
        "JOB_TABLE": "j",
        "REGION_REQUEST_TABLE": "rr",
        "ENDPOINT_TABLE": "e",
        "WORKSPACE_BUCKET": "w",
        "LIVENESS_FILE": str(alive),
        "PATH": "/usr/bin:/bin",
        **variables,
    }
    return subprocess.run(
        [sys.executable, "-m", "model_runner.cli", "health"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_health_passes_while_the_worker_progresses_and_fails_soon_after_it_stalls(tmp_path: Path) -> None:
    alive = tmp_path / "alive"
    progress = ProgressMonitor(stall_after_s=0.6)
    liveness = Liveness(alive)
    seen: list[Any] = []

    with liveness.kept_while_progressing(progress, interval_s=0.2):
        for _ in range(8):  # 1.6 s of steady progress: touched throughout
            progress.mark()
            time.sleep(0.2)
            seen.append(liveness.age_s())
        time.sleep(1.5)  # stuck: no mark
        stale = liveness.age_s()

    assert max(seen) < 0.5
    assert stale is not None and stale > 0.8
    assert health(tmp_path, alive, STALL_TIMEOUT="0.6").returncode == 1  # 4 intervals of 0.2 s
    liveness.touch()
    assert health(tmp_path, alive, STALL_TIMEOUT="0.6").returncode == 0
