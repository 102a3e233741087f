"""Helpers of the asynchronous endpoint tests: one local stack with emulated asynchronous
endpoints, workers on it, and jobs as a user reads their outcome."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import urllib3

from model_runner.api import image_id_for
from model_runner.aws.region_table import RegionTable
from model_runner.local import LocalStack, ModelSpec
from model_runner.local.sagemaker import STATS_PATH, EmulatedEndpoint
from model_runner.local.stack import LOCAL_ASYNC_CONFIG
from model_runner.local.synthetic_image import generate_image
from model_runner.sinks import object_key

RESULTS_BUCKET = "mr-results"
IMAGES_BUCKET = "mr-images"
ASYNC_BUCKET = "mr-async"
PREFIX = "async-e2e"
MODELS = {"centre": ModelSpec("centerpoint"), "flood": ModelSpec("flood", count=4)}
ENDPOINTS = {
    "async-flood": EmulatedEndpoint.serving("flood", latency_ms=20, async_config=LOCAL_ASYNC_CONFIG),
    "async-narrow": EmulatedEndpoint.serving(
        "centre", latency_ms=150, max_concurrency=2, async_config=LOCAL_ASYNC_CONFIG
    ),
    "async-flaky": EmulatedEndpoint.serving(
        "centre", failure_rate=0.3, seed=7, async_config=LOCAL_ASYNC_CONFIG
    ),
    "async-twice": EmulatedEndpoint.serving(
        "centre", async_config=replace(LOCAL_ASYNC_CONFIG, notification_copies=2)
    ),
    "async-slow": EmulatedEndpoint.serving("centre", latency_ms=400, async_config=LOCAL_ASYNC_CONFIG),
}
WORKER_ENV = {
    "QUEUE_WAIT_SECONDS": "1",
    "LOG_LEVEL": "WARNING",
    "LOG_FORMAT": "text",
    "METRICS_ENABLED": "false",
    "ASYNC_POLL_SECONDS": "3",
    "ASYNC_MAX_IN_FLIGHT": "6",
}


def worker_env(stack: LocalStack, **overrides: str) -> dict[str, str]:
    """The worker's environment on the stack."""
    return {**stack.env, **WORKER_ENV, **overrides}


def image(stack: LocalStack, folder: Path, width: int, height: int) -> str:
    """A generated georeferenced image in the images bucket; its s3:// URL."""
    path = generate_image(folder / f"async-{width}x{height}.tif", width, height)
    key = f"{PREFIX}/{uuid.uuid4().hex[:8]}/{path.name}"
    stack.boto3_client("s3").upload_file(str(path), IMAGES_BUCKET, key)
    return f"s3://{IMAGES_BUCKET}/{key}"


def request(image_url: str, name: str, kind: str = "SM_ENDPOINT_ASYNC") -> dict[str, Any]:
    """An ImageRequest of ``image_url`` for the endpoint (or URL) ``name`` of type ``kind``."""
    return {
        "jobId": f"async-{uuid.uuid4().hex[:10]}",
        "imageUrls": [image_url],
        "imageProcessor": {"name": name, "type": kind},
        "imageProcessorTileSize": 256,
        "imageProcessorTileOverlap": 32,
        "imageProcessorTileFormat": "GTIFF",
        "outputs": [{"type": "S3", "bucket": RESULTS_BUCKET, "prefix": PREFIX}],
    }


def send(stack: LocalStack, body: Mapping[str, Any]) -> None:
    stack.boto3_client("sqs").send_message(QueueUrl=stack.env["IMAGE_QUEUE"], MessageBody=json.dumps(body))


@dataclass(frozen=True)
class Outcome:
    """A finished image: its status, message, features and region rows' failures."""

    image_id: str
    status: str
    message: str
    features: list[dict[str, Any]]


def wait_for_image(stack: LocalStack, body: Mapping[str, Any], timeout_s: float = 120) -> Outcome:
    """Wait for the terminal status of the request's one image; read its features."""
    dynamodb, s3 = stack.boto3_client("dynamodb"), stack.boto3_client("s3")
    job_id, url = body["jobId"], body["imageUrls"][0]
    image_id = image_id_for(job_id, url)
    deadline = time.monotonic() + timeout_s
    while True:
        item = dynamodb.get_item(
            TableName=stack.env["JOB_TABLE"], Key={"image_id": {"S": image_id}}, ConsistentRead=True
        ).get("Item", {})
        if "terminal_status" in item:
            break
        if time.monotonic() > deadline:
            raise AssertionError(f"image {image_id} did not finish in {timeout_s} s (row: {item})")
        time.sleep(0.2)
    features: list[dict[str, Any]] = []
    try:
        answer = s3.get_object(Bucket=RESULTS_BUCKET, Key=object_key(PREFIX, job_id, image_id))
        features = json.loads(answer["Body"].read())["features"]
    except s3.exceptions.NoSuchKey:
        pass
    return Outcome(image_id, item["status"]["S"], item.get("message", {}).get("S", ""), features)


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
