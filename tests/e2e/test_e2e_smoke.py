"""The smallest whole job: a real image through queue, worker, model, workspace, sink and status."""

from __future__ import annotations

from typing import Any

import pytest
from e2e_support import StatusCapture, image_request, send, upload, wait_for_images

from model_runner.local import LocalStack

pytestmark = pytest.mark.e2e


def test_a_real_image_from_s3_ends_success_with_one_feature_per_tile(
    stack: LocalStack, statuses: StatusCapture, in_process_worker: Any, imagery_dir: Any
) -> None:
    url = upload(stack, imagery_dir / "RGB.byte.tif")
    body = image_request(stack, [url])
    in_process_worker()

    send(stack, body)
    outcome = wait_for_images(stack, body["jobId"], [url]).only

    assert outcome.status == "SUCCESS", outcome.message
    assert len(outcome.features) == 16  # 791 x 718 pixels, tile 256, overlap 32: 4 x 4 tiles
    image_statuses = [
        item["attributes"]["status"]
        for item in statuses.for_job(body["jobId"])
        if "region_id" not in item["attributes"]
    ]
    assert image_statuses == ["STARTED", "IN_PROGRESS", "SUCCESS"]


def test_a_worker_opens_an_image_once_for_all_its_regions(
    stack: LocalStack, in_process_worker: Any, imagery_dir: Any
) -> None:
    url = upload(stack, imagery_dir / "RGB.byte.tif")
    body = image_request(stack, [url])
    runtime = in_process_worker(REGION_SIZE="256")  # 9 regions of one tile or more each

    send(stack, body)
    outcome = wait_for_images(stack, body["jobId"], [url]).only

    assert outcome.status == "SUCCESS", outcome.message
    assert runtime.image_cache.opened == 1
