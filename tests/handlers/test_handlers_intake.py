"""What the image handler refuses at intake, and how it answers a jobId used again: limits on the
work a request asks for, a request that differs from the one its jobId started, a queue it cannot
reach."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import pytest
from handler_requests import IMAGE_URL, drain_regions, image_request, pair

from model_runner.errors import ResourceNotFoundError
from model_runner.events import JobCompleted, JobFailed, RequestIgnored
from model_runner.handlers.image_completion import ImageCompletion
from model_runner.status import Status
from model_runner.testing import FakeContext, fake_settings

IMAGE_ID = f"job-1:{IMAGE_URL}"


@pytest.mark.parametrize(
    ("keys", "settings", "named"),
    [
        (
            {"imageProcessorTileSize": 64, "imageProcessorTileOverlap": 63},
            {},
            "imageProcessorTileOverlap: tiles of 64 pixels overlapping by 63 start every 1 pixels; "
            "at least 32 are accepted (MIN_TILE_STRIDE)",
        ),
        (
            {"imageProcessorTileSize": 128, "imageProcessorTileOverlap": 16},
            {"MAX_TILES_PER_IMAGE": "29"},
            "imageProcessorTileSize: tiles of 128 pixels overlapping by 16 cut the 600 x 500 pixels to "
            "process into 30 tiles, more than the 29 accepted (MAX_TILES_PER_IMAGE)",
        ),
    ],
    ids=["stride", "tiles-per-image"],
)
def test_a_request_asking_for_too_much_work_fails_naming_the_key_before_any_tile(
    fakes: FakeContext, keys: dict[str, Any], settings: dict[str, str], named: str
) -> None:
    fakes.settings = fake_settings(REGION_SIZE="256", **settings)
    image_handler, _ = pair(fakes)

    image_handler.process_image_request(image_request(**keys), "http")

    (failed,) = fakes.events.of_type(JobFailed)
    assert failed.reason.startswith(named)
    assert fakes.jobs.get(IMAGE_ID).status is Status.FAILED
    assert fakes.detector.calls == 0 and fakes.region_queue.sent == []


def test_a_finished_job_id_sent_again_with_other_values_is_answered_and_not_processed(
    fakes: FakeContext,
) -> None:
    image_handler, region_handler = pair(fakes)
    image_handler.process_image_request(image_request(), "http")
    drain_regions(fakes, region_handler)
    calls = fakes.detector.calls

    image_handler.process_image_request(image_request(imageProcessorTileOverlap=20), "http")
    image_handler.process_image_request(image_request(), "http")  # the same request again: a redelivery

    (ignored,) = fakes.events.of_type(RequestIgnored)
    assert ignored.status is Status.SUCCESS and ignored.image_id == IMAGE_ID
    assert "already names image" in ignored.reason and "send it with a new jobId" in ignored.reason
    assert fakes.detector.calls == calls and fakes.region_queue.sent == []
    assert len(fakes.events.of_type(JobCompleted)) == 1


def test_a_job_id_in_progress_sent_with_other_values_does_not_mix_its_regions_in(fakes: FakeContext) -> None:
    image_handler, region_handler = pair(fakes)
    image_handler.process_image_request(image_request(), "http")
    regions = fakes.region_queue.take_all()

    image_handler.process_image_request(image_request(imageProcessorTileSize=256), "http")

    (ignored,) = fakes.events.of_type(RequestIgnored)
    assert ignored.status is Status.IN_PROGRESS
    assert fakes.region_queue.sent == []
    fakes.region_queue.send_many([json.loads(body) for body in regions])
    drain_regions(fakes, region_handler)
    assert fakes.jobs.get(IMAGE_ID).status is Status.SUCCESS


class MissingQueue:
    def send_many(self, bodies: Sequence[Mapping[str, Any]]) -> None:
        raise ResourceNotFoundError("send to https://sqs/regions: not found (QueueDoesNotExist)")


def test_a_missing_region_queue_after_the_image_was_recorded_fails_it_with_the_reason(
    fakes: FakeContext,
) -> None:
    fakes.region_queue = MissingQueue()  # type: ignore[assignment]
    image_handler, _ = pair(fakes)

    image_handler.process_image_request(image_request(), "http")

    record = fakes.jobs.get(IMAGE_ID)
    assert record.status is Status.FAILED and "QueueDoesNotExist" in record.message
    (failed,) = fakes.events.of_type(JobFailed)
    assert "QueueDoesNotExist" in failed.reason


def test_an_image_id_too_long_to_key_a_row_is_reported_failed_without_one(fakes: FakeContext) -> None:
    job_id = "j" * 2100
    image_id = f"{job_id}:{IMAGE_URL}"

    ImageCompletion(fakes.context).fail(
        job_id=job_id, job_name=None, image_id=image_id, image_url=IMAGE_URL, reason="jobId: too long"
    )

    (failed,) = fakes.events.of_type(JobFailed)
    assert (failed.image_id, failed.reason) == (image_id, "jobId: too long")
    assert fakes.jobs.rows == {}
