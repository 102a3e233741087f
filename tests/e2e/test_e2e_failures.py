"""What a user sees when tiles, models or requests go wrong: tile failures with their reasons in
the region rows, the image's PARTIAL or FAILED status naming why, and a worker that goes on
(defects 10 and 11 seen from outside, section 1's rejected keys)."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from e2e_pipeline_support import allowing, extra_model, image_messages, region_rows
from e2e_support import StatusCapture, image_request, send, upload, wait_for_images

from model_runner.local import LocalStack, ModelSpec

pytestmark = pytest.mark.e2e

NO_RETRIES = {"MODEL_MAX_RETRIES": "0"}
RGB_TILES = 16  # RGB.byte.tif (791 x 718 pixels), tile 256, overlap 32: one region of 4 x 4 tiles


@pytest.fixture
def rgb_url(stack: LocalStack, imagery_dir: Path) -> str:
    return upload(stack, imagery_dir / "RGB.byte.tif")


def test_a_model_failing_some_tiles_gives_partial_with_each_failed_tile_named(
    stack: LocalStack, in_process_worker: Any, rgb_url: str
) -> None:
    body = image_request(stack, [rgb_url], model="mixed")
    in_process_worker(**NO_RETRIES)

    send(stack, body)
    outcome = wait_for_images(stack, body["jobId"], [rgb_url]).only

    assert outcome.status == "PARTIAL", outcome.message
    (region,) = region_rows(stack, outcome.image_id)
    assert region.status.value == "PARTIAL"
    assert 0 < region.failed_tiles < RGB_TILES
    assert len(region.failures) == region.failed_tiles
    assert all(reason.startswith("tile ") and "500" in reason for reason in region.failures)
    assert len(outcome.features) == RGB_TILES - region.failed_tiles
    assert "1 not fully processed" in outcome.message


def test_a_model_answering_http_500_fails_the_image_with_the_reason(
    stack: LocalStack, in_process_worker: Any, rgb_url: str
) -> None:
    body = image_request(stack, [rgb_url], model="broken")
    in_process_worker(**NO_RETRIES)

    send(stack, body)
    outcome = wait_for_images(stack, body["jobId"], [rgb_url]).only

    assert outcome.status == "FAILED"
    assert "regions failed" in outcome.message
    (region,) = region_rows(stack, outcome.image_id)
    assert region.status.value == "FAILED"
    assert region.failed_tiles == RGB_TILES
    assert all("500" in reason for reason in region.failures)
    assert outcome.features == []


@pytest.mark.parametrize(
    ("spec", "settings", "reason"),
    [
        (ModelSpec("failure", failure_mode="malformed_json"), {}, "JSON"),
        (ModelSpec("failure", failure_mode="slow", slow_s=5), {"MODEL_READ_TIMEOUT": "0.3"}, "timed out"),
    ],
    ids=["malformed-json", "read-timeout"],
)
def test_every_tile_failure_names_its_cause(
    stack: LocalStack,
    in_process_worker: Any,
    rgb_url: str,
    spec: ModelSpec,
    settings: dict[str, str],
    reason: str,
) -> None:
    with extra_model(spec) as model_url:
        body = image_request(stack, [rgb_url], imageProcessor={"name": model_url, "type": "HTTP_ENDPOINT"})
        in_process_worker(WORKERS="8", **NO_RETRIES, **settings, **allowing(stack, model_url))
        send(stack, body)
        outcome = wait_for_images(stack, body["jobId"], [rgb_url], timeout_s=60).only

    assert outcome.status == "FAILED"
    (region,) = region_rows(stack, outcome.image_id)
    assert region.failed_tiles == RGB_TILES
    assert region.failures and all(reason in failure for failure in region.failures)


@pytest.mark.parametrize(
    ("keys", "named"),
    [
        ({"imageProcessorTileOverlap": 256}, "imageProcessorTileOverlap"),
        ({"imageProcessorTileFormat": "BMP"}, "imageProcessorTileFormat"),
        ({"regionOfInterest": "POLYGON ((1 2, 3"}, "regionOfInterest"),
    ],
    ids=["overlap-not-below-tile-size", "unknown-tile-format", "bad-wkt"],
)
def test_a_bad_key_fails_the_image_naming_the_key_and_the_worker_goes_on(
    stack: LocalStack,
    statuses: StatusCapture,
    in_process_worker: Any,
    rgb_url: str,
    keys: dict[str, Any],
    named: str,
) -> None:
    bad, good = image_request(stack, [rgb_url], **keys), image_request(stack, [rgb_url])
    in_process_worker()

    send(stack, bad)
    send(stack, good)
    rejected = wait_for_images(stack, bad["jobId"], [rgb_url]).only
    accepted = wait_for_images(stack, good["jobId"], [rgb_url]).only

    assert rejected.status == "FAILED"
    assert named in rejected.message
    (published,) = image_messages(statuses, bad["jobId"])
    assert published["attributes"]["status"] == "FAILED"
    assert named in published["message"]
    assert accepted.status == "SUCCESS", accepted.message


def test_a_body_that_is_not_json_goes_to_the_dead_letter_queue_and_the_next_request_runs(
    stack: LocalStack, in_process_worker: Any, rgb_url: str
) -> None:
    garbage = f"not json {uuid.uuid4().hex}"
    good = image_request(stack, [rgb_url])
    in_process_worker()

    send(stack, garbage)
    send(stack, good)
    outcome = wait_for_images(stack, good["jobId"], [rgb_url]).only

    assert outcome.status == "SUCCESS", outcome.message
    sqs = stack.boto3_client("sqs")
    dead = sqs.receive_message(QueueUrl=stack.env["IMAGE_DLQ"], MaxNumberOfMessages=10, WaitTimeSeconds=1)
    assert garbage in [message["Body"] for message in dead.get("Messages", [])]


def test_an_image_that_does_not_exist_fails_as_cannot_open(
    stack: LocalStack, statuses: StatusCapture, in_process_worker: Any
) -> None:
    missing = f"s3://mr-images/e2e/missing-{uuid.uuid4().hex[:8]}.tif"
    body = image_request(stack, [missing])
    in_process_worker()

    send(stack, body)
    outcome = wait_for_images(stack, body["jobId"], [missing]).only

    assert outcome.status == "FAILED"
    assert outcome.message.startswith(f"cannot open image {missing}")
    assert [item["attributes"]["status"] for item in image_messages(statuses, body["jobId"])] == ["FAILED"]
    assert outcome.features == []
