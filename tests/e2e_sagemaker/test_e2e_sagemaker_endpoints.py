"""Whole jobs whose model is a SageMaker real-time endpoint: through the queue, the worker, the
SageMaker runtime emulator and the built-in models, as a user of SM_ENDPOINT sees them."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from e2e_pipeline_support import generated_image, region_messages, region_rows
from e2e_sagemaker_support import DETECTOR, FAILING, NARROW, SPLIT, endpoint_stats
from e2e_support import ImageOutcome, StatusCapture, image_request, send, upload, wait_for_images

from model_runner.inference.sagemaker import PAYLOAD_LIMIT_BYTES
from model_runner.local import LocalStack

pytestmark = pytest.mark.e2e

RGB_TILES = 16  # RGB.byte.tif (791 x 718 pixels), tile 256, overlap 32: one region of 4 x 4 tiles
SMALL_TILES = {"imageProcessorTileSize": 128, "imageProcessorTileOverlap": 0}
"""42 tiles (7 x 6) of RGB.byte.tif: enough draws to see the variants' weights."""
ROLE = "arn:aws:iam::123456789012:role/model-invoker"


@pytest.fixture
def rgb_url(stack: LocalStack, imagery_dir: Path) -> str:
    return upload(stack, imagery_dir / "RGB.byte.tif")


def sagemaker_request(stack: LocalStack, url: str, endpoint: str, **keys: Any) -> dict[str, Any]:
    """An ImageRequest of ``url`` whose model is the SageMaker endpoint ``endpoint``."""
    processor = {"name": endpoint, "type": "SM_ENDPOINT", **keys.pop("imageProcessor", {})}
    return image_request(stack, [url], imageProcessor=processor, **keys)


def run_job(stack: LocalStack, body: dict[str, Any], url: str) -> ImageOutcome:
    send(stack, body)
    return wait_for_images(stack, body["jobId"], [url], timeout_s=120).only


def detections(outcome: ImageOutcome) -> list[tuple[Any, ...]]:
    """Each feature's world and pixel geometry and classes, in a stable order."""
    return sorted(
        (
            repr(feature["geometry"]),
            repr(feature["properties"]["imageGeometry"]),
            repr(feature["properties"]["featureClasses"]),
        )
        for feature in outcome.features
    )


def test_a_sagemaker_endpoint_finds_what_the_same_model_over_http_finds(
    stack: LocalStack, in_process_worker: Any, rgb_url: str
) -> None:
    in_process_worker()

    over_http = run_job(stack, image_request(stack, [rgb_url]), rgb_url)
    over_sagemaker = run_job(stack, sagemaker_request(stack, rgb_url, DETECTOR), rgb_url)

    assert over_http.status == "SUCCESS", over_http.message
    assert over_sagemaker.status == "SUCCESS", over_sagemaker.message
    assert len(over_sagemaker.features) == len(over_http.features) == RGB_TILES
    assert detections(over_sagemaker) == detections(over_http)


def test_a_throttled_endpoint_is_retried_until_every_tile_is_answered(
    stack: LocalStack, in_process_worker: Any, rgb_url: str
) -> None:
    before = endpoint_stats(stack, NARROW)
    in_process_worker(WORKERS="4", MODEL_MAX_RETRIES="10")

    outcome = run_job(stack, sagemaker_request(stack, rgb_url, NARROW), rgb_url)

    assert outcome.status == "SUCCESS", outcome.message
    (region,) = region_rows(stack, outcome.image_id)
    assert region.failed_tiles == 0 and region.failures == ()
    assert len(outcome.features) == RGB_TILES
    after = endpoint_stats(stack, NARROW)
    assert after.get("throttled", 0) > before.get("throttled", 0)
    assert after["answered"] - before.get("answered", 0) == RGB_TILES


def test_tiles_are_spread_over_the_variants_by_weight_unless_the_request_targets_one(
    stack: LocalStack, in_process_worker: Any, rgb_url: str
) -> None:
    in_process_worker()

    weighted = run_job(stack, sagemaker_request(stack, rgb_url, SPLIT, **SMALL_TILES), rgb_url)
    spread = endpoint_stats(stack, SPLIT)["variants"]
    targeted = run_job(
        stack,
        sagemaker_request(
            stack, rgb_url, SPLIT, imageProcessorParameters={"TargetVariant": "B"}, **SMALL_TILES
        ),
        rgb_url,
    )
    after = endpoint_stats(stack, SPLIT)["variants"]

    assert weighted.status == targeted.status == "SUCCESS", (weighted.message, targeted.message)
    tiles = len(weighted.features)
    assert tiles == len(targeted.features) == 42
    assert spread["A"] + spread["B"] == tiles
    assert 0.5 < spread["A"] / tiles < 0.95  # weights 3:1, so 0.75 expected
    assert after["A"] == spread["A"] and after["B"] - spread["B"] == tiles


def test_a_model_error_on_some_tiles_gives_partial_with_the_models_message(
    stack: LocalStack, in_process_worker: Any, rgb_url: str
) -> None:
    in_process_worker(MODEL_MAX_RETRIES="0")

    outcome = run_job(stack, sagemaker_request(stack, rgb_url, FAILING), rgb_url)

    assert outcome.status == "PARTIAL", outcome.message
    (region,) = region_rows(stack, outcome.image_id)
    assert 0 < region.failed_tiles < RGB_TILES
    assert len(outcome.features) == RGB_TILES - region.failed_tiles
    assert all(f"model of {FAILING} answered HTTP 500" in reason for reason in region.failures)


def test_an_unknown_endpoint_fails_the_image_naming_the_endpoint(
    stack: LocalStack, in_process_worker: Any, rgb_url: str
) -> None:
    in_process_worker(MODEL_MAX_RETRIES="0")

    outcome = run_job(stack, sagemaker_request(stack, rgb_url, "no-such-endpoint"), rgb_url)

    assert outcome.status == "FAILED"
    (region,) = region_rows(stack, outcome.image_id)
    assert region.failures and all("no-such-endpoint" in reason for reason in region.failures)
    assert outcome.features == []


def test_a_tile_over_the_payload_limit_is_refused_before_it_is_sent(
    stack: LocalStack, statuses: StatusCapture, in_process_worker: Any, tmp_path: Path
) -> None:
    url = generated_image(stack, tmp_path, 1500, 1500)
    in_process_worker()
    before = endpoint_stats(stack, DETECTOR)

    body = sagemaker_request(
        stack,
        url,
        DETECTOR,
        imageProcessorTileSize=1500,
        imageProcessorTileOverlap=0,
        imageProcessorTileFormat="NITF",
        imageProcessorTileCompression="NONE",
    )
    outcome = run_job(stack, body, url)

    assert outcome.status == "FAILED"
    (region,) = region_rows(stack, outcome.image_id)
    (reason,) = region.failures
    assert f"over SageMaker's {PAYLOAD_LIMIT_BYTES}-byte" in reason and DETECTOR in reason
    assert reason in region_messages(statuses, body["jobId"])[-1]["message"]
    assert endpoint_stats(stack, DETECTOR) == before  # no call was made


def test_the_requests_assumed_role_calls_the_endpoint(
    stack: LocalStack, in_process_worker: Any, rgb_url: str
) -> None:
    runtime = in_process_worker()
    signed_by: list[str] = []
    as_role = runtime.clients.client("sagemaker-runtime", role_arn=ROLE)
    as_role.meta.events.register(
        "before-send.sagemaker-runtime.InvokeEndpoint",
        lambda request, **_: signed_by.append(access_key(request.headers["Authorization"])),
    )

    outcome = run_job(
        stack, sagemaker_request(stack, rgb_url, DETECTOR, imageProcessor={"assumedRole": ROLE}), rgb_url
    )

    assert outcome.status == "SUCCESS", outcome.message
    assert len(signed_by) == RGB_TILES
    assert stack.env["AWS_ACCESS_KEY_ID"] not in signed_by  # the role's credentials, not the worker's


def access_key(authorization: str | bytes) -> str:
    """The access key id a SigV4 Authorization header was signed with."""
    text = authorization.decode() if isinstance(authorization, bytes) else authorization
    found = re.search(r"Credential=([^/]+)/", text)
    assert found is not None, text
    return found.group(1)
