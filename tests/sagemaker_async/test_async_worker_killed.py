"""A worker killed (SIGKILL) while its region's tiles are in flight: another worker resumes the
region from the tile ledger, awaits the tiles already submitted and the job still completes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from async_support import emulator_counts, image, request, wait_for_image, worker_env
from e2e_support import send

from model_runner.local import LocalStack

pytestmark = pytest.mark.e2e

SHORT_VISIBILITY = {"VISIBILITY_TIMEOUT": "6", "QUEUE_WAIT_SECONDS": "1"}


def test_a_region_of_a_killed_worker_is_finished_by_another_without_resubmitting(
    stack: LocalStack, start_worker: Callable[..., Any], tmp_path: Path
) -> None:
    before = emulator_counts(stack, "async-slow").get("async_accepted", 0)
    body = request(stack, image(stack, tmp_path, 600, 600), "async-slow")  # 9 tiles, 400 ms each
    log = (tmp_path / "killed.log").open("wb")
    env = {**os.environ, **worker_env(stack, ASYNC_MAX_IN_FLIGHT="2", **SHORT_VISIBILITY)}
    victim = subprocess.Popen(
        [sys.executable, "-m", "model_runner.cli", "worker"], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    try:
        send(stack, body)
        deadline = time.monotonic() + 60
        while emulator_counts(stack, "async-slow").get("async_accepted", 0) - before < 3:
            assert victim.poll() is None, (tmp_path / "killed.log").read_text()
            assert time.monotonic() < deadline, "the worker submitted no tiles"
            time.sleep(0.05)
    finally:
        victim.send_signal(signal.SIGKILL)
        victim.wait()
    accepted_at_kill = emulator_counts(stack, "async-slow")["async_accepted"] - before
    assert accepted_at_kill < 9

    start_worker(**SHORT_VISIBILITY)
    outcome = wait_for_image(stack, body, timeout_s=120)

    assert outcome.status == "SUCCESS", outcome.message
    assert len(outcome.features) == 9
    assert emulator_counts(stack, "async-slow")["async_accepted"] - before == 9  # none resubmitted
