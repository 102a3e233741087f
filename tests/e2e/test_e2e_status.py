"""The status a consumer receives: STARTED then exactly one terminal status per image, with the
attributes it filters on, one terminal status per region, and nothing counted twice when SQS
delivers a message again (section 3, defect 5)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from e2e_pipeline_support import (
    EIGHT_REGION_IMAGE,
    EIGHT_REGION_SIZE,
    allowing,
    extra_model,
    generated_image,
    image_messages,
    image_row,
    region_messages,
    region_rows,
    wait_until,
)
from e2e_support import StatusCapture, image_request, send, upload, wait_for_images

from model_runner.api import RegionRequest, parse_image_request
from model_runner.local import LocalStack, ModelSpec
from model_runner.tiling import GridTilingStrategy, Window

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize(
    ("model", "terminal"), [("centerpoint", "SUCCESS"), ("mixed", "PARTIAL"), ("broken", "FAILED")]
)
def test_an_image_reports_started_then_one_terminal_status_with_its_attributes(
    stack: LocalStack,
    statuses: StatusCapture,
    in_process_worker: Any,
    imagery_dir: Path,
    model: str,
    terminal: str,
) -> None:
    url = upload(stack, imagery_dir / "RGB.byte.tif")
    body = image_request(stack, [url], model=model, jobName="status e2e")
    in_process_worker(MODEL_MAX_RETRIES="0", REGION_SIZE="512")

    send(stack, body)
    outcome = wait_for_images(stack, body["jobId"], [url]).only

    images = image_messages(statuses, body["jobId"])
    assert [item["attributes"]["status"] for item in images] == ["STARTED", terminal]
    for item in images:
        attributes = item["attributes"]
        assert (attributes["job_id"], attributes["image_id"]) == (body["jobId"], outcome.image_id)
        assert attributes["job_name"] == "status e2e"
        assert float(attributes["processing_duration"]) >= 0
    rows = {row.region_id: row for row in region_rows(stack, outcome.image_id)}
    regions = region_messages(statuses, body["jobId"])
    assert sorted(item["attributes"]["region_id"] for item in regions) == sorted(rows)
    for item in regions:
        attributes = item["attributes"]
        row = rows[attributes["region_id"]]
        assert attributes["status"] == row.status.value
        assert int(attributes["failed_tile_count"]) == row.failed_tiles
        assert int(attributes["total_tile_count"]) == row.total_tiles
    assert sum(row.total_tiles for row in rows.values()) == 16


def queues_idle(stack: LocalStack) -> bool:
    """Nothing waits on, or is being processed from, the image and region queues."""
    sqs = stack.boto3_client("sqs")
    return all(
        int(value) == 0
        for queue in ("IMAGE_QUEUE", "REGION_QUEUE")
        for value in sqs.get_queue_attributes(
            QueueUrl=stack.env[queue],
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"].values()
    )


def test_redelivered_requests_and_regions_count_nothing_twice(
    stack: LocalStack, statuses: StatusCapture, in_process_worker: Any, tmp_path: Path
) -> None:
    url = generated_image(stack, tmp_path, *EIGHT_REGION_IMAGE)
    # a slow model, so both workers process the first region of the twice-sent request together
    with extra_model(ModelSpec("centerpoint", latency_ms=300)) as model_url:
        for _ in range(2):
            in_process_worker(REGION_SIZE=EIGHT_REGION_SIZE, **allowing(stack, model_url))
        body = image_request(stack, [url], imageProcessor={"name": model_url, "type": "HTTP_ENDPOINT"})
        send(stack, body)
        send(stack, body)
        first = wait_for_images(stack, body["jobId"], [url]).only
        wait_until(lambda: queues_idle(stack), 60, "duplicates processed")
        request, _ = parse_image_request(body)
        region = GridTilingStrategy().regions(
            Window(0, 0, *EIGHT_REGION_IMAGE), (256, 256), 256, 32, image_id=first.image_id
        )[3]
        stack.boto3_client("sqs").send_message(
            QueueUrl=stack.env["REGION_QUEUE"],
            MessageBody=RegionRequest.for_region(request, url, region).model_dump_json(by_alias=True),
        )
        send(stack, body)  # and once more after the image finished
        time.sleep(1)
        wait_until(lambda: queues_idle(stack), 60, "late duplicates processed")
        again = wait_for_images(stack, body["jobId"], [url]).only

    assert first.status == again.status == "SUCCESS", first.message
    assert len(again.features) == 15  # one per tile
    assert len(image_row(stack, first.image_id).regions_done) == 8
    images = image_messages(statuses, body["jobId"])
    assert [item["attributes"]["status"] for item in images] == ["STARTED", "SUCCESS"]
    regions = [item["attributes"]["region_id"] for item in region_messages(statuses, body["jobId"])]
    assert sorted(regions) == sorted({row.region_id for row in region_rows(stack, first.image_id)})
