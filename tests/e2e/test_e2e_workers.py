"""Several `model-runner worker` processes on one job: they share its regions through the region
queue, each region is processed once, a stopped worker gives its region back at once, and every
worker reads the image with the request's imageReadRole (defects 6 and 8)."""

from __future__ import annotations

import json
import signal
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import pytest
from e2e_pipeline_support import (
    EIGHT_REGION_IMAGE,
    EIGHT_REGION_SIZE,
    allowing,
    extra_model,
    generated_image,
    image_row,
    logged_events,
    region_rows,
    wait_for_job_of_workers,
    wait_for_workers,
    wait_until,
    worker_log,
)
from e2e_support import image_request, send

from model_runner.api import image_id_for
from model_runner.aws.sqs import MessageQueue
from model_runner.local import LocalStack, ModelSpec
from model_runner.worker.heartbeat import heartbeat

pytestmark = pytest.mark.e2e

JSON_LOGS = {"LOG_LEVEL": "INFO", "LOG_FORMAT": "json", "WORKERS": "1"}


def regions_started(folder: Path, index: int, image_id: str) -> list[str]:
    """The region ids the ``index``-th worker process started for ``image_id``, by its log."""
    return [
        entry["region_id"]
        for entry in logged_events(folder, index, "RegionStarted")
        if entry["image_id"] == image_id
    ]


def share_one_job(
    stack: LocalStack, worker_processes: Any, folder: Path, **keys: Any
) -> tuple[str, list[list[str]]]:
    """Two worker processes run one 8-region job; returns its image id and each one's regions."""
    url = generated_image(stack, folder, *EIGHT_REGION_IMAGE)
    with extra_model(ModelSpec("centerpoint", latency_ms=150)) as model_url:
        environment = {"REGION_SIZE": EIGHT_REGION_SIZE, **JSON_LOGS, **allowing(stack, model_url)}
        workers = [worker_processes(**environment) for _ in range(2)]
        wait_for_workers(workers, folder)
        body = image_request(
            stack, [url], imageProcessor={"name": model_url, "type": "HTTP_ENDPOINT"}, **keys
        )
        send(stack, body)
        outcome = wait_for_job_of_workers(stack, body["jobId"], [url], folder, 2, timeout_s=90).only
    assert outcome.status == "SUCCESS", outcome.message
    assert len(outcome.features) == 15  # one centre point per tile
    return outcome.image_id, [regions_started(folder, index, outcome.image_id) for index in range(2)]


def test_two_worker_processes_share_the_regions_and_process_each_once(
    stack: LocalStack, worker_processes: Any, tmp_path: Path
) -> None:
    image_id, (first, second) = share_one_job(stack, worker_processes, tmp_path)

    assert first and second, "one worker did every region"
    assert not set(first) & set(second), "a region was processed by both workers"
    assert len(first) + len(second) == 8
    rows = region_rows(stack, image_id)
    assert {row.region_id for row in rows} == set(first) | set(second)
    assert {row.status.value for row in rows} == {"SUCCESS"}
    assert len(image_row(stack, image_id).regions_done) == 8


def assumed_roles(stack: LocalStack, role_arn: str) -> int:
    """How many times moto's STS answered AssumeRole for ``role_arn`` (moto's state dump: every
    resource of the session's stack, megabytes by the end of the tier, so a long timeout)."""
    with urllib.request.urlopen(f"{stack.endpoint_url}/moto-api/data.json", timeout=60) as answer:
        state = json.load(answer)
    return sum(role.get("role_arn") == role_arn for role in state.get("sts", {}).get("AssumedRole", []))


def test_every_worker_reads_its_regions_as_the_image_read_role(
    stack: LocalStack, worker_processes: Any, tmp_path: Path
) -> None:
    role_arn = f"arn:aws:iam::123456789012:role/e2e-reader-{uuid.uuid4().hex[:8]}"

    _, (first, second) = share_one_job(stack, worker_processes, tmp_path, imageReadRole=role_arn)

    assert first and second, "one worker did every region"
    # each process assumes the role once and reads every image of the role with its credentials
    assert assumed_roles(stack, role_arn) == 2


def test_a_stopped_worker_gives_its_region_back_at_once_and_another_finishes_the_job(
    stack: LocalStack, worker_processes: Any, tmp_path: Path
) -> None:
    url = generated_image(stack, tmp_path, 1024, 480)  # REGION_SIZE 512: regions of 6 and 4 tiles
    with extra_model(ModelSpec("centerpoint", latency_ms=600)) as model_url:
        environment = {"REGION_SIZE": "512", **JSON_LOGS, **allowing(stack, model_url)}
        stopped = worker_processes(**environment)
        wait_for_workers([stopped], tmp_path)
        body = image_request(stack, [url], imageProcessor={"name": model_url, "type": "HTTP_ENDPOINT"})
        image_id = image_id_for(body["jobId"], url)
        send(stack, body)
        wait_until(lambda: len(regions_started(tmp_path, 0, image_id)) == 2, 30, "second region started")

        stopped.send_signal(signal.SIGTERM)
        stopped.wait(timeout=10)  # at most the tile in flight (0.6 s) to finish
        released_at = time.monotonic()
        assert stopped.returncode == 0, worker_log(tmp_path, 0)
        assert len(image_row(stack, image_id).regions_done) == 1

        worker_processes(**environment)
        outcome = wait_for_job_of_workers(stack, body["jobId"], [url], tmp_path, 2, timeout_s=60).only

    # the region message's visibility timeout is 120 s: only a release lets it back this soon
    assert time.monotonic() - released_at < 60
    assert outcome.status == "SUCCESS", outcome.message
    assert len(outcome.features) == 10
    assert len(regions_started(tmp_path, 1, image_id)) == 1


def test_the_heartbeat_keeps_a_message_in_progress_from_every_other_receiver(stack: LocalStack) -> None:
    sqs = stack.boto3_client("sqs")
    queue = MessageQueue(sqs, sqs.create_queue(QueueName=f"e2e-heartbeat-{uuid.uuid4().hex[:8]}")["QueueUrl"])
    queue.send({"region": "long"})
    (message,) = queue.receive(wait_s=1, visibility_s=2)

    with heartbeat(queue, message, visibility_s=2, every_s=0.5):
        deadline = time.monotonic() + 5  # two and a half visibility timeouts
        while time.monotonic() < deadline:
            assert queue.receive(wait_s=0, visibility_s=2) == [], "another receiver got the message"
            time.sleep(0.2)

    # without the heartbeat the message comes back once its visibility timeout passes
    wait_until(lambda: bool(queue.receive(wait_s=1, visibility_s=30)), 6, "message visible again")
