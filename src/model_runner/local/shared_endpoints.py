"""``model-runner bench --scenario shared-endpoints``: many jobs sharing three endpoints.

Three emulated SageMaker endpoints of different capacity (an instance-backed one with the
``osml:instance-concurrency`` tag, one with the default per-instance concurrency, a serverless
one), each refusing calls past its capacity like SageMaker (ThrottlingException); a burst of large
jobs, then small ones; several in-process workers. The same scenario runs with the scheduler on and
off. Figures: each endpoint's utilisation while work waits for it (its calls in flight over its
capacity, time-weighted, from its first job's submission until its last region starts), its peak
calls in flight and peak calls attempted, throttled calls, and the wait of small jobs (submission
to their first region's start). Test and demo infrastructure.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import urllib3

from model_runner.api import image_id_for
from model_runner.config import load_settings
from model_runner.events import JobCompleted, JobFailed, LifecycleEvent, RegionStarted
from model_runner.local.sagemaker import STATS_PATH, EmulatedEndpoint, EmulatedVariant
from model_runner.local.stack import LocalStack
from model_runner.local.synthetic_image import generate_image
from model_runner.worker.wiring import WorkerRuntime, build_worker

SAMPLE_S = 0.05


@dataclass(frozen=True)
class SharedScenario:
    """Jobs per endpoint (large, small), image sizes, the model's latency and the workers."""

    jobs: Mapping[str, tuple[int, int]] = field(
        default_factory=lambda: {"ep-small": (1, 6), "ep-medium": (2, 8), "ep-large": (3, 10)}
    )
    capacities: Mapping[str, int] = field(
        default_factory=lambda: {"ep-small": 1, "ep-medium": 2, "ep-large": 4}
    )
    large_size: tuple[int, int] = (4096, 2048)
    small_size: tuple[int, int] = (1024, 1024)
    region_size: int = 1024
    tile_size: int = 256
    overlap: int = 32
    latency_ms: float = 100.0
    workers: int = 4
    tile_workers: int = 4
    timeout_s: float = 600.0


def shared_endpoints(scenario: SharedScenario, model: str) -> dict[str, EmulatedEndpoint]:
    """The scenario's endpoints: capacity from a tag (1 instance), from the default per-instance
    concurrency of 2 (instances = capacity / 2; the shared stack's DEFAULT_INSTANCE_CONCURRENCY),
    and a serverless MaxConcurrency."""
    small, medium, large = (scenario.capacities[name] for name in ("ep-small", "ep-medium", "ep-large"))
    latency = scenario.latency_ms
    return {
        "ep-small": EmulatedEndpoint.serving(
            model, latency_ms=latency, max_concurrency=small, instance_concurrency=small
        ),
        "ep-medium": EmulatedEndpoint(
            variants=(EmulatedVariant("AllTraffic", model, instance_count=max(1, medium // 2)),),
            latency_ms=latency,
            max_concurrency=medium,
        ),
        "ep-large": EmulatedEndpoint(
            variants=(EmulatedVariant("AllTraffic", model, serverless_max_concurrency=large),),
            latency_ms=latency,
            max_concurrency=large,
        ),
    }


class Timeline:
    """What the workers report: when each image's first region started, and when it ended."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.first_start: dict[str, float] = {}
        self.region_starts: dict[str, list[float]] = {}
        self.ended: dict[str, str] = {}
        self.all_ended = threading.Event()
        self.expected = 0

    def on_event(self, event: LifecycleEvent) -> None:
        now = time.monotonic()
        with self.lock:
            if isinstance(event, RegionStarted):
                self.first_start.setdefault(event.image_id, now)
                self.region_starts.setdefault(event.image_id, []).append(now)
            elif isinstance(event, JobCompleted | JobFailed):
                self.ended[event.image_id] = event.status.value
                if len(self.ended) >= self.expected:
                    self.all_ended.set()


def run_scenario(
    stack: LocalStack, scenario: SharedScenario, *, scheduling: bool, folder: Path, tag: str
) -> dict[str, Any]:
    """Run the scenario's jobs on ``stack`` (whose SageMaker emulator serves
    :func:`shared_endpoints`) with the scheduler on or off; the figures."""
    images = _images(stack, scenario, folder)
    timeline = Timeline()
    jobs = [
        (f"{tag}-{endpoint}-{kind}-{index}", endpoint, kind)
        for kind in ("large", "small")
        for endpoint, counts in scenario.jobs.items()
        for index in range(counts[0 if kind == "large" else 1])
    ]
    timeline.expected = len(jobs)
    env = {
        **stack.env,
        "SCHEDULER_THROTTLING_ENABLED": str(scheduling).lower(),
        "WORKERS": str(scenario.tile_workers),
        "REGION_SIZE": str(scenario.region_size),
        "QUEUE_WAIT_SECONDS": "1",
        "LOG_LEVEL": "ERROR",
        "METRICS_ENABLED": "false",
        "IMAGE_ALLOW_LOCAL_PATHS": "true",
    }
    sqs = stack.boto3_client("sqs")
    with _workers(env, scenario.workers, timeline), _sampler(stack) as samples:
        started = time.monotonic()
        submitted: dict[str, float] = {}
        for job_id, endpoint, kind in jobs:
            body = _request(job_id, endpoint, images[kind], scenario)
            sqs.send_message(QueueUrl=stack.env["IMAGE_QUEUE"], MessageBody=json.dumps(body))
            submitted[job_id] = time.monotonic()
        timeline.all_ended.wait(scenario.timeout_s)
        seconds = time.monotonic() - started
    return scenario_figures(scenario, jobs, images, submitted, timeline, samples, seconds)


def _images(stack: LocalStack, scenario: SharedScenario, folder: Path) -> dict[str, str]:
    s3 = stack.boto3_client("s3")
    urls = {}
    for kind, (width, height) in (("large", scenario.large_size), ("small", scenario.small_size)):
        path = folder / f"shared-{kind}-{width}x{height}.tif"
        if not path.exists():
            generate_image(path, width, height)
        s3.upload_file(str(path), "mr-images", path.name)
        urls[kind] = f"s3://mr-images/{path.name}"
    return urls


def _request(job_id: str, endpoint: str, image: str, scenario: SharedScenario) -> dict[str, Any]:
    return {
        "jobId": job_id,
        "imageUrls": [image],
        "imageProcessor": {"name": endpoint, "type": "SM_ENDPOINT"},
        "imageProcessorTileSize": scenario.tile_size,
        "imageProcessorTileOverlap": scenario.overlap,
        "outputs": [{"type": "S3", "bucket": "mr-results", "prefix": job_id}],
    }


@contextmanager
def _workers(env: dict[str, str], count: int, timeline: Timeline) -> Iterator[list[WorkerRuntime]]:
    runtimes = [build_worker(load_settings(env), observers=[timeline]) for _ in range(count)]
    threads = [
        threading.Thread(target=runtime.worker.run, name=f"shared-worker-{i}")
        for i, runtime in enumerate(runtimes)
    ]
    for thread in threads:
        thread.start()
    try:
        yield runtimes
    finally:
        for runtime in runtimes:
            runtime.shutdown.set()
        for runtime, thread in zip(runtimes, threads, strict=True):
            thread.join(60)
            runtime.close()


@contextmanager
def _sampler(stack: LocalStack) -> Iterator[list[tuple[float, dict[str, Any]]]]:
    """Samples of the emulator's counters (among them each endpoint's seconds of calls in flight,
    added up) every SAMPLE_S seconds."""
    assert stack.sagemaker_runtime_url is not None
    url = stack.sagemaker_runtime_url + STATS_PATH
    samples: list[tuple[float, dict[str, Any]]] = []
    done = threading.Event()
    pool = urllib3.PoolManager(timeout=2.0)

    def sample() -> None:
        while not done.wait(SAMPLE_S):
            samples.append((time.monotonic(), json.loads(pool.request("GET", url).data)))

    thread = threading.Thread(target=sample, name="shared-sampler", daemon=True)
    thread.start()
    try:
        yield samples
    finally:
        done.set()
        thread.join(5)
        samples.append((time.monotonic(), json.loads(pool.request("GET", url).data)))


def scenario_figures(
    scenario: SharedScenario,
    jobs: list[tuple[str, str, str]],
    images: dict[str, str],
    submitted: dict[str, float],
    timeline: Timeline,
    samples: list[tuple[float, dict[str, Any]]],
    seconds: float,
) -> dict[str, Any]:
    """The run's figures from what the workers reported (``timeline``), when each job was sent
    and the emulator's counters sampled over the run."""
    image_of = {job_id: image_id_for(job_id, images[kind]) for job_id, _, kind in jobs}
    waits = sorted(
        timeline.first_start[image_of[job_id]] - submitted[job_id]
        for job_id, _, kind in jobs
        if kind == "small" and image_of[job_id] in timeline.first_start
    )
    endpoints: dict[str, Any] = {}
    final = samples[-1][1] if samples else {}
    for endpoint, capacity in scenario.capacities.items():
        mine = [image_of[job_id] for job_id, name, _ in jobs if name == endpoint]
        starts = [start for image in mine for start in timeline.region_starts.get(image, [])]
        first = min((submitted[job_id] for job_id, name, _ in jobs if name == endpoint), default=0.0)
        last_start = max(starts, default=0.0)
        waiting = [(at, stats[endpoint]) for at, stats in samples if first <= at <= last_start]
        counters = final.get(endpoint, {})
        endpoints[endpoint] = {
            "capacity": capacity,
            "utilisation_while_waiting": _utilisation(waiting, capacity),
            "peak_in_flight": counters.get("peak_in_flight"),
            "peak_attempted": counters.get("peak_demand"),
            "throttled_calls": counters.get("throttled", 0),
        }
    statuses: dict[str, int] = {}
    for status in timeline.ended.values():
        statuses[status] = statuses.get(status, 0) + 1
    return {
        "seconds": round(seconds, 2),
        "jobs": len(jobs),
        "statuses": statuses,
        "small_wait_p50_s": round(_percentile(waits, 0.5), 2) if waits else None,
        "small_wait_p95_s": round(_percentile(waits, 0.95), 2) if waits else None,
        "endpoints": endpoints,
    }


def _utilisation(samples: list[tuple[float, dict[str, Any]]], capacity: int) -> float | None:
    """The endpoint's calls in flight over ``capacity``, time-weighted between the first and the
    last of ``samples`` (the emulator adds up each call's seconds in flight, so the mean does not
    depend on when the samples fell)."""
    if len(samples) < 2:
        return None
    (start, first), (end, last) = samples[0], samples[-1]
    busy_s = float(last["call_seconds"]) - float(first["call_seconds"])
    return round(busy_s / (capacity * (end - start)), 3)


def _percentile(values: list[float], share: float) -> float:
    index = min(len(values) - 1, max(0, round(share * (len(values) - 1))))
    return values[index]
