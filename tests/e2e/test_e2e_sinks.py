"""Where the features go: every feature arrives in the Kinesis stream, and a sink that cannot be
written fails (or, beside a working sink, makes PARTIAL) the image, naming the bucket."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from e2e_pipeline_support import image_messages, stream_features
from e2e_support import RESULTS_BUCKET, StatusCapture, image_request, send, upload, wait_for_images

from model_runner.local import LocalStack

pytestmark = pytest.mark.e2e

RGB_TILES = 16


@pytest.fixture
def rgb_url(stack: LocalStack, imagery_dir: Path) -> str:
    return upload(stack, imagery_dir / "RGB.byte.tif")


def test_every_feature_arrives_in_the_kinesis_stream(
    stack: LocalStack, in_process_worker: Any, rgb_url: str
) -> None:
    stream = stack.streams[0]
    body = image_request(stack, [rgb_url], outputs=[{"type": "Kinesis", "stream": stream, "batchSize": 5}])
    in_process_worker()

    send(stack, body)
    outcome = wait_for_images(stack, body["jobId"], [rgb_url]).only

    assert outcome.status == "SUCCESS", outcome.message
    features = stream_features(stack, stream, body["jobId"])
    assert len(features) == RGB_TILES
    assert all(feature["geometry"] is not None for feature in features)


@pytest.mark.parametrize(("with_kinesis", "status"), [(False, "FAILED"), (True, "PARTIAL")])
def test_a_bucket_that_does_not_exist_is_named_in_the_image_status(
    stack: LocalStack,
    statuses: StatusCapture,
    in_process_worker: Any,
    rgb_url: str,
    with_kinesis: bool,
    status: str,
) -> None:
    bucket = f"mr-missing-{uuid.uuid4().hex[:8]}"
    outputs: list[dict[str, Any]] = [{"type": "S3", "bucket": bucket, "prefix": "e2e"}]
    if with_kinesis:
        outputs.append({"type": "Kinesis", "stream": stack.streams[0]})
    body = image_request(stack, [rgb_url], outputs=outputs)
    in_process_worker()

    send(stack, body)
    outcome = wait_for_images(stack, body["jobId"], [rgb_url]).only

    assert outcome.status == status
    assert bucket in outcome.message
    images = image_messages(statuses, body["jobId"])
    assert [item["attributes"]["status"] for item in images] == ["STARTED", "IN_PROGRESS", status]
    assert bucket in images[-1]["message"]
    assert len(stream_features(stack, stack.streams[0], body["jobId"])) == (RGB_TILES if with_kinesis else 0)
    assert RESULTS_BUCKET not in outcome.message
