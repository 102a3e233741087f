"""Helpers of the distribution and failure end-to-end tests: extra models, generated images,
the status tables and status messages as a user reads them, and the worker processes' logs."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

from e2e_support import JobOutcome, StatusCapture, stream_records, upload, wait_for_images

from model_runner.aws.job_table import ImageRecord, JobTable
from model_runner.aws.region_table import RegionRecord, RegionTable
from model_runner.local import LocalStack, ModelSpec, start_model_server
from model_runner.local.models import INVOCATIONS_PATH
from model_runner.local.synthetic_image import generate_image

EIGHT_REGION_IMAGE = (1024, 512)
EIGHT_REGION_SIZE = "256"
"""REGION_SIZE that, with tile 256 and overlap 32, cuts EIGHT_REGION_IMAGE into 8 regions (15 tiles)."""


def allowing(stack: LocalStack, *model_urls: str) -> dict[str, str]:
    """The worker setting that allow-lists ``model_urls`` (extra models) besides the stack's own."""
    return {"MODEL_ENDPOINT_ALLOWLIST": ",".join([stack.env["MODEL_ENDPOINT_ALLOWLIST"], *model_urls])}


@contextmanager
def extra_model(spec: ModelSpec) -> Iterator[str]:
    """Serve ``spec`` beside the stack's models; yields its invocations URL."""
    with start_model_server(spec) as server:
        yield server.url + INVOCATIONS_PATH


def generated_image(stack: LocalStack, folder: Path, width: int, height: int) -> str:
    """A georeferenced GeoTIFF of ``width`` x ``height`` pixels in the images bucket; its URL."""
    path = generate_image(folder / f"generated-{width}x{height}.tif", width, height)
    return upload(stack, path)


def job_table(stack: LocalStack) -> JobTable:
    return JobTable(stack.boto3_client("dynamodb"), stack.env["JOB_TABLE"], ttl_days=1)


def region_table(stack: LocalStack) -> RegionTable:
    return RegionTable(stack.boto3_client("dynamodb"), stack.env["REGION_REQUEST_TABLE"], ttl_days=1)


def image_row(stack: LocalStack, image_id: str) -> ImageRecord:
    """The image's row in the job table."""
    return job_table(stack).get(image_id)


def region_rows(stack: LocalStack, image_id: str) -> list[RegionRecord]:
    """Every region row of the image."""
    return region_table(stack).regions_of(image_id)


def image_messages(statuses: StatusCapture, job_id: str) -> list[dict[str, Any]]:
    """The job's image status messages (not its regions'), in arrival order."""
    return [item for item in statuses.for_job(job_id) if "region_id" not in item["attributes"]]


def region_messages(statuses: StatusCapture, job_id: str) -> list[dict[str, Any]]:
    """The job's region status messages, in arrival order."""
    return [item for item in statuses.for_job(job_id) if "region_id" in item["attributes"]]


def wait_until(condition: Callable[[], bool], timeout_s: float, what: str) -> None:
    """Poll ``condition`` every 0.1 s until true; AssertionError naming ``what`` after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout_s} s")
        time.sleep(0.1)


def wait_for_workers(processes: list[subprocess.Popen[bytes]], folder: Path, timeout_s: float = 60) -> None:
    """Wait until every worker process (started by ``worker_processes`` in ``folder``) polls."""
    for index, process in enumerate(processes):
        alive = folder / f"alive-{index}"
        wait_until(partial(_polling, process, alive), timeout_s, f"worker {index} polling")
        assert process.poll() is None, worker_log(folder, index)


def _polling(process: subprocess.Popen[bytes], alive: Path) -> bool:
    return process.poll() is not None or alive.exists()


def worker_log(folder: Path, index: int) -> str:
    """The text the ``index``-th worker process wrote."""
    return (folder / f"worker-{index}.log").read_text(errors="replace")


def logged_events(folder: Path, index: int, event: str) -> list[dict[str, Any]]:
    """The fields of every ``event`` (e.g. RegionStarted) the ``index``-th worker logged as JSON."""
    found = []
    for line in worker_log(folder, index).splitlines():
        if line.startswith("{"):
            entry = json.loads(line)
            if entry.get("event") == event:
                found.append(entry)
    return found


def wait_for_job_of_workers(
    stack: LocalStack, job_id: str, image_urls: Sequence[str], folder: Path, workers: int, timeout_s: float
) -> JobOutcome:
    """:func:`wait_for_images`, quoting the logs of the ``workers`` worker processes if it fails."""
    try:
        return wait_for_images(stack, job_id, image_urls, timeout_s=timeout_s)
    except AssertionError as error:
        logs = "\n".join(
            f"--- worker {index}:\n{worker_log(folder, index)[-6000:]}" for index in range(workers)
        )
        raise AssertionError(f"{error}\n{logs}") from None


def stream_features(stack: LocalStack, stream: str, job_id: str) -> list[dict[str, Any]]:
    """Every feature of ``job_id`` in ``stream``: the records under its id, as the reference's
    consumers select them, each a FeatureCollection."""
    return [
        feature
        for record in stream_records(stack, stream)
        if record["PartitionKey"] == job_id
        for feature in json.loads(record["Data"])["features"]
    ]
