"""Faults injected into real `model-runner worker` processes, checked as an operator would: the
network going silent or resetting mid-job, moto paused, the queue purged mid-job, every message
delivered twice (the last region raced by two workers), hostile bodies, a model call stuck forever.
After each: the clean run's features, exactly one terminal status, no duplicate sink record, and a
worker still alive (or, when stuck, one that says so and stops when told).

One worker process serves the network faults: its AWS traffic goes through a loopback proxy in
front of the session's moto server. Timings are printed (``-s``) for the README's Faults table.
"""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from e2e_pipeline_support import (
    allowing,
    extra_model,
    generated_image,
    image_messages,
    stream_features,
    wait_for_job_of_workers,
    wait_until,
)
from e2e_support import StatusCapture, image_request, upload
from fault_proxy import FaultProxy, Mode, fault_proxy
from fault_support import (
    FaultWorker,
    elapsed_until,
    fault_settings,
    health,
    object_versions,
    pause_moto,
    resume_moto,
    shapes,
    versioned_bucket,
)

from model_runner.api import image_id_for
from model_runner.local import LocalStack, ModelSpec
from model_runner.local.models import INVOCATIONS_PATH
from model_runner.local.synthetic_image import generate_image

pytestmark = pytest.mark.e2e

TERMINAL = {"SUCCESS", "PARTIAL", "FAILED"}
FIRST_ROW_OF_BLOCKS = 1_500_000
"""Bytes the worker reads before the wide image's second row of blocks (1536 x 256 x 3 bytes and
the header): a fault after them meets the reads of the rows below."""
REGION_SIZE = "1024"
"""The wide image's first region holds 25 of its 35 tiles: its reads go on while it runs."""
JOB_TIMEOUT_S = 90


def report(what: str, seconds: float) -> None:
    print(f"\n[fault figures] {what}: {seconds:.1f} s")


@pytest.fixture(scope="module")
def slow_model() -> Iterator[str]:
    """The centerpoint model taking 150 ms a tile: a job lasts long enough to be hit mid-way."""
    with extra_model(ModelSpec("centerpoint", latency_ms=150)) as url:
        yield url


@pytest.fixture(scope="module")
def network(stack: LocalStack) -> Iterator[FaultProxy]:
    with fault_proxy(stack.endpoint_url) as proxy:
        yield proxy


@dataclass
class Images:
    """A wide image (2 regions, 35 tiles, read row by row as its tiles go) and a 1-region image."""

    stack: LocalStack
    wide_path: Path
    one: str

    def wide(self) -> str:
        """The wide image at a new key, so that a worker reads it from S3 (not from its caches)."""
        return upload(self.stack, self.wide_path)


@pytest.fixture(scope="module")
def images(stack: LocalStack, tmp_path_factory: pytest.TempPathFactory) -> Images:
    folder = tmp_path_factory.mktemp("fault-images")
    return Images(
        stack, generate_image(folder / "wide.tif", 1536, 1024), generated_image(stack, folder, 512, 512)
    )


@pytest.fixture(scope="module")
def worker(
    stack: LocalStack, network: FaultProxy, slow_model: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[FaultWorker]:
    """The worker whose AWS calls go through ``network``."""
    folder = tmp_path_factory.mktemp("fault-worker")
    settings = fault_settings(
        stack, AWS_ENDPOINT_URL=network.url, REGION_SIZE=REGION_SIZE, **allowing(stack, slow_model)
    )
    started = FaultWorker.start(stack, folder, 0, **settings)
    yield started
    started.stop()


def job(stack: LocalStack, image_url: str, model_url: str, **keys: Any) -> dict[str, Any]:
    return image_request(
        stack, [image_url], imageProcessor={"name": model_url, "type": "HTTP_ENDPOINT"}, **keys
    )


def terminal_statuses(statuses: StatusCapture, job_id: str) -> list[str]:
    published = [item["attributes"]["status"] for item in image_messages(statuses, job_id)]
    return [status for status in published if status in TERMINAL]


def run(stack: LocalStack, worker: FaultWorker, body: dict[str, Any], image_url: str) -> Any:
    return wait_for_job_of_workers(
        stack, body["jobId"], [image_url], worker.folder, worker.index + 1, JOB_TIMEOUT_S
    )


@pytest.fixture(scope="module")
def clean(stack: LocalStack, worker: FaultWorker, images: Images, slow_model: str) -> list[str]:
    """What the wide image gives without faults."""
    url = images.wide()
    body = job(stack, url, slow_model)
    worker.send(body)
    outcome = run(stack, worker, body, url).only
    assert outcome.status == "SUCCESS", outcome.message
    assert len(outcome.features) == 35
    return shapes(outcome.features)


FAULTS: dict[
    str, tuple[Callable[[FaultProxy, LocalStack], None], Callable[[FaultProxy, LocalStack], None], float]
] = {
    "network-silent-5s": (
        lambda net, _: net.set_mode(Mode.DROP),
        lambda net, _: net.set_mode(Mode.PASS),
        5.0,
    ),
    "connections-reset-3s": (
        lambda net, _: net.set_mode(Mode.RESET),
        lambda net, _: net.set_mode(Mode.PASS),
        3.0,
    ),
    "moto-paused-6s": (lambda _, stack: pause_moto(stack), lambda _, stack: resume_moto(stack), 6.0),
}
"""How each fault starts and ends, and how long it lasts."""


@pytest.mark.parametrize("fault", list(FAULTS))
def test_a_fault_mid_read_ends_with_the_clean_runs_features_one_status_and_the_worker_alive(
    stack: LocalStack,
    statuses: StatusCapture,
    worker: FaultWorker,
    network: FaultProxy,
    images: Images,
    slow_model: str,
    clean: list[str],
    fault: str,
) -> None:
    start, end, seconds = FAULTS[fault]
    url = images.wide()
    body = job(stack, url, slow_model)
    started = network.after_bytes(FIRST_ROW_OF_BLOCKS, lambda: start(network, stack))
    worker.send(body)
    try:
        assert started.wait(30), "the job never read its image"
        time.sleep(seconds)
    finally:
        network.disarm()
        end(network, stack)
    ended = time.monotonic()
    outcome = run(stack, worker, body, url).only

    report(f"{fault} mid-read: job done after the fault ended", time.monotonic() - ended)
    worker.assert_alive()
    assert f"cannot reach image {url} now" in worker.log()  # a tile read met the fault: retried
    assert outcome.status == "SUCCESS", outcome.message
    assert shapes(outcome.features) == clean
    wait_until(lambda: len(terminal_statuses(statuses, body["jobId"])) > 0, 30, "terminal status")
    assert terminal_statuses(statuses, body["jobId"]) == ["SUCCESS"]


def test_purging_the_queues_mid_job_leaves_the_worker_alive_and_taking_the_next_job(
    stack: LocalStack, worker: FaultWorker, images: Images, slow_model: str
) -> None:
    url = images.wide()
    purged = job(stack, url, slow_model)
    worker.send(purged)
    worker.wait_for_region_start(image_id_for(purged["jobId"], url))

    sqs = stack.boto3_client("sqs")
    for setting in ("IMAGE_QUEUE", "REGION_QUEUE"):
        sqs.purge_queue(QueueUrl=worker.overrides[setting])
    wait_until(
        lambda: "no longer on its queue" in worker.log(), 30, "the worker noticed its message was gone"
    )
    after = job(stack, images.one, slow_model)
    worker.send(after)
    outcome = run(stack, worker, after, images.one).only

    worker.assert_alive()
    assert outcome.status == "SUCCESS", outcome.message
    assert len(outcome.features) == 9


def test_every_message_twice_and_the_last_region_raced_write_each_feature_once(
    stack: LocalStack,
    statuses: StatusCapture,
    worker: FaultWorker,
    images: Images,
    slow_model: str,
    clean: list[str],
) -> None:
    second = FaultWorker.start(
        stack, worker.folder, 1, **{**worker.overrides, "AWS_ENDPOINT_URL": stack.endpoint_url}
    )
    bucket, stream = versioned_bucket(stack), stack.streams[0]
    outputs = [{"type": "S3", "bucket": bucket, "prefix": "twice"}, {"type": "Kinesis", "stream": stream}]
    raced = job(stack, images.one, slow_model, outputs=outputs)  # one region: its only region is the last
    wide = images.wide()
    fanned = job(stack, wide, slow_model, outputs=outputs)  # its region messages are sent twice
    try:
        for body in (raced, raced, fanned, fanned):
            worker.send(body)
        outcomes = {
            name: wait_for_job_of_workers(stack, body["jobId"], [url], worker.folder, 2, JOB_TIMEOUT_S).only
            for name, body, url in (("raced", raced, images.one), ("fanned", fanned, wide))
        }
        raced_id = image_id_for(raced["jobId"], images.one)
        both_raced = worker.regions_started(raced_id) == second.regions_started(raced_id) == 1
        worker.assert_alive()
        second.assert_alive()
    finally:
        second.stop()

    assert both_raced, "the two copies of the one-region job were not processed at once"
    for name, body in (("raced", raced), ("fanned", fanned)):
        outcome = outcomes[name]
        assert outcome.status == "SUCCESS", outcome.message
        records = stream_features(stack, stream, body["jobId"])
        ids = [record["id"] for record in records]
        assert len(ids) == len(set(ids)) == (9 if name == "raced" else 35), f"{name}: {len(ids)} records"
        wait_until(lambda body=body: terminal_statuses(statuses, body["jobId"]) != [], 30, "terminal status")
        assert terminal_statuses(statuses, body["jobId"]) == ["SUCCESS"]
    assert shapes(stream_features(stack, stream, fanned["jobId"])) == clean
    assert sorted(object_versions(stack, bucket).values()) == [1, 1]  # each S3 object written by one worker


def test_hostile_and_refused_requests_end_failed_naming_why_and_the_worker_goes_on(
    stack: LocalStack,
    statuses: StatusCapture,
    worker: FaultWorker,
    images: Images,
    slow_model: str,
) -> None:
    url = images.one
    long_id = "j" * 2100
    deep = job(stack, url, slow_model)
    deep_body = json.dumps(deep).replace(
        '"imageProcessorTileSize"', '"x": ' + "[" * 50_000 + "]" * 50_000 + ', "imageProcessorTileSize"'
    )
    large = job(stack, url, slow_model, jobName="n" * 220_000)
    tiny_stride = job(stack, url, slow_model, imageProcessorTileSize=64, imageProcessorTileOverlap=63)
    finished = job(stack, url, slow_model)
    worker.send(finished)
    run(stack, worker, finished, url)
    expected = {
        long_id: "jobId: the image id (jobId:imageUrl) would be",
        deep["jobId"]: "request: objects and lists are nested deeper than 32 levels",
        large["jobId"]: "request: the message is",
        tiny_stride[
            "jobId"
        ]: "imageProcessorTileOverlap: tiles of 64 pixels overlapping by 63 start every 1 pixels",
        finished["jobId"]: "already names image",
    }

    for body in (job(stack, url, slow_model, jobId=long_id), deep_body, json.dumps(large), tiny_stride):
        worker.send(body)
    worker.send({**finished, "imageProcessorTileOverlap": 16})  # a finished jobId, other values
    after = job(stack, url, slow_model)
    worker.send(after)
    outcome = run(stack, worker, after, url).only

    assert outcome.status == "SUCCESS", outcome.message
    worker.assert_alive()
    for job_id, reason in expected.items():
        wait_until(
            lambda job_id=job_id: len(image_messages(statuses, job_id)) >= 2 - (job_id != finished["jobId"]),
            30,
            f"status of {job_id[:20]}",
        )
        last = image_messages(statuses, job_id)[-1]
        assert reason in last["message"], (job_id[:20], last["message"][:300])
    assert [item["attributes"]["status"] for item in image_messages(statuses, long_id)] == ["FAILED"]
    assert image_messages(statuses, finished["jobId"])[-1]["attributes"]["status"] == "SUCCESS"
    dead = stack.boto3_client("sqs").receive_message(QueueUrl=stack.env["IMAGE_DLQ"], MaxNumberOfMessages=10)
    assert not [message for message in dead.get("Messages", []) if long_id in message["Body"]]


def test_a_stuck_model_call_fails_health_gives_the_message_up_and_sigterm_still_ends_the_worker(
    stack: LocalStack, statuses: StatusCapture, images: Images, slow_model: str, tmp_path: Path
) -> None:
    base = slow_model.removesuffix(INVOCATIONS_PATH)
    with fault_proxy(base) as model_network:
        settings = fault_settings(
            stack,
            STALL_TIMEOUT="3",
            SHUTDOWN_TIMEOUT="3",
            MODEL_READ_TIMEOUT="60",
            MODEL_MAX_RETRIES="0",
            **allowing(stack, model_network.url + INVOCATIONS_PATH),
        )
        stuck = FaultWorker.start(stack, tmp_path, 0, **settings)
        body = job(stack, images.one, model_network.url + INVOCATIONS_PATH)
        model_network.set_mode(Mode.DROP)  # every model call hangs: connected, never answered
        stuck.send(body)
        stuck.wait_for_region_start(image_id_for(body["jobId"], images.one))
        assert health(stuck.environment) == 0

        detected = elapsed_until(lambda: health(stuck.environment) != 0, 30, "health fails")
        sqs = stack.boto3_client("sqs")
        taken: list[dict[str, Any]] = []

        def another_receiver_gets_it() -> bool:
            taken.extend(
                sqs.receive_message(QueueUrl=stuck.image_queue, VisibilityTimeout=1).get("Messages", [])
            )
            return bool(taken)

        given_up = elapsed_until(another_receiver_gets_it, 30, "the message given up")
        stopping = time.monotonic()
        stuck.process.send_signal(signal.SIGTERM)
        stuck.process.wait(timeout=15)
        stopped = time.monotonic() - stopping

        model_network.set_mode(Mode.PASS)
        replacement = FaultWorker.start(stack, tmp_path, 1, **settings)
        try:
            outcome = wait_for_job_of_workers(
                stack, body["jobId"], [images.one], tmp_path, 2, JOB_TIMEOUT_S
            ).only
        finally:
            replacement.stop()

    report("stuck model call: health failing after the region started (STALL_TIMEOUT 3 s)", detected)
    report("stuck model call: message receivable by another worker after health failed", given_up)
    report("SIGTERM to exit with a call stuck (SHUTDOWN_TIMEOUT 3 s)", stopped)
    assert stopped < 3 + 5
    assert stuck.process.returncode == 3, stuck.log()[-3000:]  # forced: the call was still stuck
    assert outcome.status == "SUCCESS", outcome.message
    assert len(outcome.features) == 9
    wait_until(lambda: terminal_statuses(statuses, body["jobId"]) != [], 30, "terminal status")
    assert terminal_statuses(statuses, body["jobId"]) == ["SUCCESS"]
