"""End-to-end support, its fixtures re-exported by tests/conftest.py.

One local stack per session (moto server, built-in models and emulated SageMaker endpoints over
HTTP, see stack_catalog); workers run in-process (threads) or as `model-runner worker` processes;
every SNS status event is captured through an SQS subscription, as a status consumer would.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from stack_catalog import ENDPOINTS, MODELS

from model_runner.api import image_id_for
from model_runner.config import load_settings
from model_runner.local import LocalStack, start_local_stack
from model_runner.sinks import object_key
from model_runner.worker.wiring import WorkerRuntime, build_worker

RESULTS_BUCKET = "mr-results"
IMAGES_BUCKET = "mr-images"
JOB_TIMEOUT_S = 240.0


@contextmanager
def running_stack(**options: Any) -> Iterator[LocalStack]:
    """The local stack with :data:`MODELS` (and ``options``), its dummy credentials exported for
    boto3 and GDAL, which read them from the environment."""
    with start_local_stack(MODELS, **options) as running, pytest.MonkeyPatch.context() as env:
        for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
            env.setenv(name, running.env[name])
        yield running


@pytest.fixture(scope="session")
def stack() -> Iterator[LocalStack]:
    """The session's one local stack, started by the first test that needs it."""
    with running_stack(sagemaker_endpoints=ENDPOINTS) as running:
        yield running


@dataclass
class StatusCapture:
    """The status messages SNS delivered to an SQS queue subscribed to both topics."""

    stack: LocalStack
    queue_url: str
    seen: list[dict[str, Any]] = field(default_factory=list)

    def drain(self) -> list[dict[str, Any]]:
        """Every message delivered so far: {'subject', 'message', 'attributes'} each."""
        sqs = self.stack.boto3_client("sqs")
        while True:
            answer = sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
            messages = answer.get("Messages", [])
            if not messages:
                return self.seen
            for message in messages:
                envelope = json.loads(message["Body"])
                attributes = {
                    name: value["Value"] for name, value in envelope.get("MessageAttributes", {}).items()
                }
                self.seen.append(
                    {
                        "topic": envelope.get("TopicArn", ""),
                        "message": envelope["Message"],
                        "attributes": attributes,
                    }
                )
                sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])

    def for_job(self, job_id: str) -> list[dict[str, Any]]:
        """The status messages of one job."""
        return [item for item in self.drain() if item["attributes"].get("job_id") == job_id]


@pytest.fixture(scope="session")
def statuses(stack: LocalStack) -> StatusCapture:
    sqs, sns = stack.boto3_client("sqs"), stack.boto3_client("sns")
    url = sqs.create_queue(QueueName="e2e-status-capture")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    for setting in ("IMAGE_STATUS_TOPIC", "REGION_STATUS_TOPIC"):
        sns.subscribe(TopicArn=stack.env[setting], Protocol="sqs", Endpoint=arn)
    return StatusCapture(stack, url)


def worker_env(stack: LocalStack, **overrides: str) -> dict[str, str]:
    """The worker's environment on the stack, with quick polling and quiet logs."""
    return {
        **stack.env,
        "QUEUE_WAIT_SECONDS": "1",
        "LOG_LEVEL": "WARNING",
        "LOG_FORMAT": "text",
        "METRICS_ENABLED": "false",
        **overrides,
    }


@dataclass
class ImageOutcome:
    """One image of a finished job, as the job table and the results bucket show it."""

    image_id: str
    status: str
    message: str
    features: list[dict[str, Any]]


@dataclass
class JobOutcome:
    job_id: str
    images: dict[str, ImageOutcome]

    @property
    def only(self) -> ImageOutcome:
        """The outcome of a one-image job."""
        (outcome,) = self.images.values()
        return outcome


def upload(stack: LocalStack, path: Path, key: str | None = None) -> str:
    """Put a file (and nothing else) in the images bucket; returns its s3:// URL."""
    key = key or f"e2e/{uuid.uuid4().hex[:8]}/{path.name}"
    stack.boto3_client("s3").upload_file(str(path), IMAGES_BUCKET, key)
    return f"s3://{IMAGES_BUCKET}/{key}"


def image_request(
    stack: LocalStack, image_urls: Sequence[str], model: str = "centerpoint", **keys: Any
) -> dict[str, Any]:
    """An ImageRequest for the built-in ``model`` over HTTP, writing to the results bucket."""
    job_id = keys.pop("jobId", f"e2e-{uuid.uuid4().hex[:10]}")
    return {
        "jobId": job_id,
        "imageUrls": list(image_urls),
        "imageProcessor": {"name": stack.model_url(model), "type": "HTTP_ENDPOINT"},
        "imageProcessorTileSize": 256,
        "imageProcessorTileOverlap": 32,
        "imageProcessorTileFormat": "GTIFF",
        "outputs": [{"type": "S3", "bucket": RESULTS_BUCKET, "prefix": "e2e"}],
        **keys,
    }


def send(stack: LocalStack, body: Mapping[str, Any] | str) -> None:
    """Queue an image request (a dict, or a raw body string)."""
    text = body if isinstance(body, str) else json.dumps(body)
    stack.boto3_client("sqs").send_message(QueueUrl=stack.env["IMAGE_QUEUE"], MessageBody=text)


def wait_for_images(
    stack: LocalStack, job_id: str, image_urls: Sequence[str], timeout_s: float = JOB_TIMEOUT_S
) -> JobOutcome:
    """Wait until every image of the job has a terminal status; read its features from S3."""
    dynamodb, s3 = stack.boto3_client("dynamodb"), stack.boto3_client("s3")
    deadline = time.monotonic() + timeout_s
    images: dict[str, ImageOutcome] = {}
    for url in image_urls:
        image_id = image_id_for(job_id, url)
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
            body = s3.get_object(Bucket=RESULTS_BUCKET, Key=object_key("e2e", job_id, image_id))[
                "Body"
            ].read()
            features = json.loads(body)["features"]
        except s3.exceptions.NoSuchKey:
            pass
        images[url] = ImageOutcome(
            image_id, item["status"]["S"], item.get("message", {}).get("S", ""), features
        )
    return JobOutcome(job_id, images)


@pytest.fixture
def in_process_worker(stack: LocalStack) -> Iterator[Any]:
    """Start in-process workers: ``start(**env_overrides) -> WorkerRuntime``; all stopped after the test."""
    running: list[tuple[WorkerRuntime, threading.Thread]] = []

    def start(**overrides: str) -> WorkerRuntime:
        runtime = build_worker(load_settings(worker_env(stack, **overrides)))
        thread = threading.Thread(target=runtime.worker.run, name="e2e-worker", daemon=True)
        thread.start()
        running.append((runtime, thread))
        return runtime

    yield start
    for runtime, _ in running:
        runtime.shutdown.set()
    for runtime, thread in running:
        thread.join(timeout=60)
        runtime.close()


def start_worker_process(
    stack: LocalStack, folder: Path, index: int, **overrides: str
) -> subprocess.Popen[bytes]:
    """A `model-runner worker` process on the stack, logging to ``folder/worker-<index>.log`` and
    touching ``folder/alive-<index>``."""
    env = {**os.environ, **worker_env(stack, LIVENESS_FILE=str(folder / f"alive-{index}"), **overrides)}
    with (folder / f"worker-{index}.log").open("wb") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "model_runner.cli", "worker"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )


def stop_worker_processes(processes: Sequence[subprocess.Popen[bytes]]) -> None:
    """SIGTERM each process, and SIGKILL any still running a minute later."""
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture
def worker_processes(stack: LocalStack, tmp_path: Path) -> Iterator[Any]:
    """Start `model-runner worker` processes: ``start(**env_overrides) -> Popen``; SIGTERM after the test."""
    processes: list[subprocess.Popen[bytes]] = []

    def start(**overrides: str) -> subprocess.Popen[bytes]:
        process = start_worker_process(stack, tmp_path, len(processes), **overrides)
        processes.append(process)
        return process

    yield start
    stop_worker_processes(processes)


def stream_records(stack: LocalStack, stream: str) -> list[dict[str, Any]]:
    """Every record of a Kinesis stream, read from the start of each of its shards."""
    kinesis = stack.boto3_client("kinesis")
    records: list[dict[str, Any]] = []
    for shard in kinesis.list_shards(StreamName=stream)["Shards"]:
        iterator = kinesis.get_shard_iterator(
            StreamName=stream, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        while iterator:
            answer = kinesis.get_records(ShardIterator=iterator, Limit=10000)
            records += answer["Records"]
            if not answer["Records"]:
                break
            iterator = answer.get("NextShardIterator")
    return records
