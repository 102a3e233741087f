"""Jobs through asynchronous SageMaker endpoints (emulated), end to end: tiles through S3, the
tile ledger, notifications through SNS -> SQS, and the region outcome the base pair records."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from async_support import (
    async_objects,
    emulator_counts,
    geometries,
    image,
    region_failures,
    request,
    wait_for_image,
)
from e2e_support import send

from model_runner.local import LocalStack

pytestmark = pytest.mark.e2e

NINE_TILES = (600, 600)
"""An image of one region and 3 x 3 tiles (tile 256, overlap 32)."""


def test_an_async_job_succeeds_with_the_features_of_the_http_mode(
    stack: LocalStack, start_worker: Callable[..., Any], tmp_path: Path
) -> None:
    url = image(stack, tmp_path, 700, 500)
    start_worker()
    by_http = request(stack, url, stack.model_url("flood"), "HTTP_ENDPOINT")
    by_async = request(stack, url, "async-flood")
    before = emulator_counts(stack, "async-flood").get("async_accepted", 0)

    send(stack, by_http)
    send(stack, by_async)
    http_outcome, async_outcome = wait_for_image(stack, by_http), wait_for_image(stack, by_async)

    assert async_outcome.status == "SUCCESS", async_outcome.message
    assert async_outcome.features
    assert geometries(async_outcome.features) == geometries(http_outcome.features)
    assert emulator_counts(stack, "async-flood")["async_accepted"] - before == 9
    assert not async_objects(stack)  # inputs and answers removed


def test_throttled_submissions_are_submitted_again_without_failures(
    stack: LocalStack, start_worker: Callable[..., Any], tmp_path: Path
) -> None:
    start_worker(ASYNC_MAX_IN_FLIGHT="5")
    body = request(stack, image(stack, tmp_path, *NINE_TILES), "async-narrow")

    send(stack, body)
    outcome = wait_for_image(stack, body)

    assert outcome.status == "SUCCESS", outcome.message
    assert len(outcome.features) == 9  # one centre point per tile
    counts = emulator_counts(stack, "async-narrow")
    assert counts["throttled"] > 0
    assert counts["async_completed"] == 9


def test_failure_notifications_make_the_image_partial_with_their_reasons(
    stack: LocalStack, start_worker: Callable[..., Any], tmp_path: Path
) -> None:
    start_worker()
    body = request(stack, image(stack, tmp_path, 1100, 600), "async-flaky")  # 5 x 3 tiles

    send(stack, body)
    outcome = wait_for_image(stack, body)

    failed = emulator_counts(stack, "async-flaky")["async_failed"]
    assert 0 < failed < 15
    assert outcome.status == "PARTIAL", outcome.message
    assert len(outcome.features) == 15 - failed
    reasons = region_failures(stack, outcome.image_id)
    assert len(reasons) == failed
    assert all("the endpoint reported a failure: ServiceUnavailable;" in reason for reason in reasons)
    assert not any("(injected)" in reason for reason in reasons)


def test_duplicate_notifications_change_nothing(
    stack: LocalStack, start_worker: Callable[..., Any], tmp_path: Path
) -> None:
    start_worker()
    body = request(stack, image(stack, tmp_path, *NINE_TILES), "async-twice")

    send(stack, body)
    outcome = wait_for_image(stack, body)

    assert outcome.status == "SUCCESS", outcome.message
    assert len(outcome.features) == 9
    assert emulator_counts(stack, "async-twice")["notifications"] == 18
