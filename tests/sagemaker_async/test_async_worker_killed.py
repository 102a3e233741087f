"""A worker killed (SIGKILL) while its region's tiles are in flight: another worker resumes the
region from the tile ledger, awaits the tiles already submitted and the job still completes; a
tile it marked submitted but never sent is sent again once no submission can still be under way."""

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

from model_runner.aws.tile_ledger import TileLedger, TileState
from model_runner.config import load_settings
from model_runner.handlers.sagemaker.async_inference import region_key
from model_runner.local import LocalStack

pytestmark = pytest.mark.e2e

SHORT_VISIBILITY = {"VISIBILITY_TIMEOUT": "6", "QUEUE_WAIT_SECONDS": "1"}

IN_DOUBT_SOON = {
    "MODEL_READ_TIMEOUT": "1",
    "AWS_CONNECT_TIMEOUT": "1",
    "AWS_READ_TIMEOUT": "4",
    "AWS_MAX_ATTEMPTS": "2",
}
"""Settings under which a tile submitted with no output location is in doubt after 22 s: the
submission call (1 + 1 + 10 s) and the write of its locations (2 x (1 + 4) s), timed out."""


def ledger_of(stack: LocalStack) -> TileLedger:
    return TileLedger(stack.boto3_client("dynamodb"), load_settings(stack.env).tile_ledger_table or "", 1)


def test_a_region_of_a_killed_worker_is_finished_by_another_without_resubmitting(
    stack: LocalStack, start_worker: Callable[..., Any], tmp_path: Path
) -> None:
    before = emulator_counts(stack, "async-slow").get("async_accepted", 0)
    url = image(stack, tmp_path, 600, 600)
    body = request(stack, url, "async-slow")  # 9 tiles, 400 ms each
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
    records = ledger_of(stack).tiles(region_key(f"{body['jobId']}:{url}:x0-y0-w600-h600"))
    in_doubt = sum(1 for tile in records if tile.state is TileState.SUBMITTED and not tile.output_location)

    start_worker(**SHORT_VISIBILITY, **IN_DOUBT_SOON)  # the kill may land in a submission: sent again soon
    outcome = wait_for_image(stack, body, timeout_s=120)

    assert outcome.status == "SUCCESS", outcome.message
    assert len(outcome.features) == 9
    sent_again = emulator_counts(stack, "async-slow")["async_accepted"] - before - 9
    assert 0 <= sent_again <= in_doubt  # only a tile whose submission the kill cut short


def test_a_tile_a_dead_worker_marked_submitted_but_never_sent_is_sent_again(
    stack: LocalStack, start_worker: Callable[..., Any], tmp_path: Path
) -> None:
    url = image(stack, tmp_path, 600, 600)
    body = request(stack, url, "async-slow")  # one region, 9 tiles
    region = region_key(f"{body['jobId']}:{url}:x0-y0-w600-h600")
    ledger = ledger_of(stack)
    ledger.open_region(region, ["x0-y0-w256-h256"])
    assert ledger.submit(region, "x0-y0-w256-h256")  # as a worker killed before its call went out leaves it
    before = emulator_counts(stack, "async-slow").get("async_accepted", 0)

    start_worker(**IN_DOUBT_SOON)
    send(stack, body)
    outcome = wait_for_image(stack, body, timeout_s=90)

    assert outcome.status == "SUCCESS", outcome.message
    assert len(outcome.features) == 9
    assert emulator_counts(stack, "async-slow")["async_accepted"] - before == 9  # that tile sent once
