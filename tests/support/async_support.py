"""Helpers of the asynchronous endpoint tests: workers with the asynchronous settings on the
session's stack (its async-* endpoints, see stack_catalog), and jobs as a user reads their outcome;
built on e2e_support."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import e2e_support
import urllib3
from e2e_support import ImageOutcome, image_request, upload, wait_for_images

from model_runner.aws.region_table import RegionTable
from model_runner.local import LocalStack
from model_runner.local.sagemaker import STATS_PATH
from model_runner.local.synthetic_image import generate_image

ASYNC_BUCKET = "mr-async"
ASYNC_WORKER_ENV = {"ASYNC_POLL_SECONDS": "3", "ASYNC_MAX_IN_FLIGHT": "6"}
"""The worker settings of these tests, on top of e2e_support.worker_env."""


def worker_env(stack: LocalStack, **overrides: str) -> dict[str, str]:
    """The worker's environment on the stack, with :data:`ASYNC_WORKER_ENV`."""
    return e2e_support.worker_env(stack, **{**ASYNC_WORKER_ENV, **overrides})


def image(stack: LocalStack, folder: Path, width: int, height: int) -> str:
    """A generated georeferenced image in the images bucket; its s3:// URL."""
    return upload(stack, generate_image(folder / f"async-{width}x{height}.tif", width, height))


def request(stack: LocalStack, image_url: str, name: str, kind: str = "SM_ENDPOINT_ASYNC") -> dict[str, Any]:
    """An ImageRequest of ``image_url`` for the endpoint (or URL) ``name`` of type ``kind``."""
    return image_request(
        stack,
        [image_url],
        jobId=f"async-{uuid.uuid4().hex[:10]}",
        imageProcessor={"name": name, "type": kind},
    )


def wait_for_image(stack: LocalStack, body: Mapping[str, Any], timeout_s: float = 120) -> ImageOutcome:
    """Wait for the terminal status of the request's one image; read its features."""
    return wait_for_images(stack, body["jobId"], body["imageUrls"], timeout_s).only


def geometries(features: list[dict[str, Any]]) -> list[str]:
    """The features' geometries and classes, sorted, for comparing two runs."""
    return sorted(
        json.dumps([feature["geometry"], feature["properties"].get("featureClasses")], sort_keys=True)
        for feature in features
    )


def async_objects(stack: LocalStack) -> list[str]:
    """Keys in the async bucket."""
    answer = stack.boto3_client("s3").list_objects_v2(Bucket=ASYNC_BUCKET)
    return [item["Key"] for item in answer.get("Contents", [])]


def emulator_counts(stack: LocalStack, endpoint: str) -> dict[str, Any]:
    """What the SageMaker emulator counted for ``endpoint``."""
    assert stack.sagemaker_runtime_url is not None
    stats: dict[str, Any] = json.loads(urllib3.request("GET", stack.sagemaker_runtime_url + STATS_PATH).data)[
        endpoint
    ]
    return stats


def region_failures(stack: LocalStack, image_id: str) -> list[str]:
    """The tile failure reasons recorded in the image's region rows."""
    table = RegionTable(stack.boto3_client("dynamodb"), stack.env["REGION_REQUEST_TABLE"], ttl_days=1)
    return [reason for row in table.regions_of(image_id) for reason in row.failures]
