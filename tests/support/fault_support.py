"""Faults on the session's stack, and what a user checks after one.

Fault workers are `model-runner worker` processes whose AWS traffic (boto3 and GDAL's /vsis3 alike)
may go through a :class:`~fault_proxy.FaultProxy` in front of moto; they read image and region
queues of their own (so purging them touches nothing else), and their timeouts and visibility
timeout are short, so each fault is noticed in seconds. moto itself can be paused (SIGSTOP).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from e2e_pipeline_support import logged_events, wait_until, worker_log
from e2e_support import start_worker_process, stop_worker_processes, worker_env

from model_runner.local import LocalStack

FAST_FAULTS = {
    "VISIBILITY_TIMEOUT": "6",  # a heartbeat every 2 s; a message given up is back within 6 s
    "QUEUE_WAIT_SECONDS": "1",
    "AWS_CONNECT_TIMEOUT": "1",
    "AWS_READ_TIMEOUT": "1.5",
    "AWS_MAX_ATTEMPTS": "1",
    "IMAGE_CONNECT_TIMEOUT": "1",
    "IMAGE_READ_TIMEOUT": "1",
    "IMAGE_MAX_RETRIES": "0",
    "THROTTLING_RETRY_TIMEOUT": "1",
    "LOG_LEVEL": "INFO",
    "LOG_FORMAT": "json",
    "WORKERS": "2",
}
"""Settings that make every fault show within seconds (each AWS call gives up after 1.5 s)."""


def pause_moto(stack: LocalStack) -> None:
    """moto stops answering (SIGSTOP: connections are accepted by the kernel, never served)."""
    os.kill(stack.pids[0], signal.SIGSTOP)


def resume_moto(stack: LocalStack) -> None:
    os.kill(stack.pids[0], signal.SIGCONT)


def own_queues(stack: LocalStack, name: str) -> dict[str, str]:
    """IMAGE_QUEUE and REGION_QUEUE settings naming new queues of the worker's own."""
    sqs = stack.boto3_client("sqs")
    suffix = uuid.uuid4().hex[:8]
    return {
        setting: sqs.create_queue(QueueName=f"{name}-{kind}-{suffix}")["QueueUrl"]
        for setting, kind in (("IMAGE_QUEUE", "images"), ("REGION_QUEUE", "regions"))
    }


def versioned_bucket(stack: LocalStack) -> str:
    """A new results bucket keeping every version of every object (to count the writes)."""
    s3 = stack.boto3_client("s3")
    bucket = f"mr-faults-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    return bucket


def object_versions(stack: LocalStack, bucket: str) -> dict[str, int]:
    """How many times each object of ``bucket`` was written."""
    listing = stack.boto3_client("s3").list_object_versions(Bucket=bucket).get("Versions", [])
    counts: dict[str, int] = {}
    for version in listing:
        counts[version["Key"]] = counts.get(version["Key"], 0) + 1
    return counts


def shapes(features: Sequence[Mapping[str, Any]]) -> list[str]:
    """What a job found, independent of its job id: each feature's pixel box, classes and place."""
    return sorted(
        json.dumps(
            [
                feature["properties"]["imageBBox"],
                feature["properties"]["featureClasses"],
                [round(value, 7) for value in feature["bbox"]],
            ]
        )
        for feature in features
    )


def health(worker_environment: Mapping[str, str]) -> int:
    """The exit status of `model-runner health` in the worker's environment."""
    return subprocess.run(
        [sys.executable, "-m", "model_runner.cli", "health"],
        env={**os.environ, **worker_environment},
        capture_output=True,
        timeout=60,
        check=False,
    ).returncode


@dataclass
class FaultWorker:
    """A worker process started with ``overrides`` on top of the stack's environment."""

    stack: LocalStack
    folder: Path
    index: int
    overrides: dict[str, str]
    process: subprocess.Popen[bytes]

    @classmethod
    def start(cls, stack: LocalStack, folder: Path, index: int, **overrides: str) -> FaultWorker:
        process = start_worker_process(stack, folder, index, **overrides)
        wait_until(lambda: process.poll() is not None or (folder / f"alive-{index}").exists(), 60, "polling")
        worker = cls(stack, folder, index, overrides, process)
        worker.assert_alive()
        return worker

    @property
    def environment(self) -> dict[str, str]:
        """The worker's whole environment (for `model-runner health`)."""
        return worker_env(
            self.stack, LIVENESS_FILE=str(self.folder / f"alive-{self.index}"), **self.overrides
        )

    @property
    def image_queue(self) -> str:
        return self.overrides["IMAGE_QUEUE"]

    def send(self, body: Mapping[str, Any] | str) -> None:
        """Queue a request on this worker's image queue (straight to moto, never through a proxy)."""
        text = body if isinstance(body, str) else json.dumps(body)
        self.stack.boto3_client("sqs").send_message(QueueUrl=self.image_queue, MessageBody=text)

    def regions_started(self, image_id: str) -> int:
        events = logged_events(self.folder, self.index, "RegionStarted")
        return sum(entry["image_id"] == image_id for entry in events)

    def wait_for_region_start(self, image_id: str, timeout_s: float = 30) -> None:
        wait_until(lambda: self.regions_started(image_id) > 0, timeout_s, "a region started")

    def log(self) -> str:
        return worker_log(self.folder, self.index)

    def assert_alive(self) -> None:
        assert self.process.poll() is None, self.log()[-6000:]

    def stop(self) -> None:
        stop_worker_processes([self.process])


def fault_settings(stack: LocalStack, **overrides: str) -> dict[str, str]:
    """Short timeouts and queues of one's own, with ``overrides`` (e.g. AWS_ENDPOINT_URL: a proxy)."""
    return {**FAST_FAULTS, **own_queues(stack, "faults"), **overrides}


def elapsed_until(condition: Callable[[], bool], timeout_s: float, what: str) -> float:
    """Seconds until ``condition()`` holds (polled every 0.1 s)."""
    started = time.monotonic()
    wait_until(condition, timeout_s, what)
    return time.monotonic() - started
