"""``model-runner bench``: the whole pipeline against a bare loop, on the same tiles, in one run.

It generates an N x N georeferenced image, runs one job through the local stack (queues, tables,
workspace, sinks, a built-in model) and then a bare loop that only reads, encodes and posts the
same tiles to the same model with the same concurrency. The ratio of the two rates is the
pipeline's overhead. Each measured job follows a small one on the same worker, unmeasured: a
worker's first job also pays one-off costs (imports, PROJ's database, first connections and
requests) that a running worker, and the bare loop run after it, do not. The last line on
standard output is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
import tempfile
import threading
import time
from contextlib import closing
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from model_runner.api import parse_image_request
from model_runner.config import load_settings
from model_runner.errors import InvalidRequestError
from model_runner.events import LifecycleEvent
from model_runner.handlers.tile_reads import BandedReads, ReadArrangement
from model_runner.imagery import TileCompression, TileFormat, content_type, encode_tile, open_image
from model_runner.inference.bounded_executor import run_bounded
from model_runner.inference.endpoint_guard import EndpointGuard
from model_runner.inference.http_client import HttpModelClient
from model_runner.inference.http_policy import HttpCallPolicy
from model_runner.local import ModelSpec, start_local_stack
from model_runner.local.bench_dense import CompletionClock, bench_model, check_dense_arguments
from model_runner.local.bench_image import IMAGES_BUCKET, BenchImage, make_image, renamed, s3_url
from model_runner.local.bench_memory import RegionMemory, peak_mib, start_peak_afresh
from model_runner.local.bench_rounds import summary
from model_runner.local.job_flags import in_flag_terms
from model_runner.local.job_watch import JobWatch
from model_runner.local.object_server import object_server_command
from model_runner.local.processes import cpu_seconds, start_servers
from model_runner.local.shared_endpoints import SharedScenario, run_scenario, shared_endpoints
from model_runner.security import UrlAllowList
from model_runner.tiling import GridTilingStrategy, Tile, Window
from model_runner.tools.command_error import CommandError
from model_runner.worker.collector import settled_collector
from model_runner.worker.memory import release_free_memory
from model_runner.worker.wiring import build_worker

TIMEOUT_S = 3600
MIN_SIZE, MAX_SIZE = 256, 131072
MAX_WORKERS = 256
MAX_S3_LATENCY_MS = 1000
MAX_ROUNDS = 20
PROGRESS_EVERY = 10
WARM_UP_SIZE = 1024


def run_bench(args: argparse.Namespace) -> int:
    """Run both measurements ``args.rounds`` times and print their figures; 0 when every job
    succeeded."""
    if args.scenario == "shared-endpoints":
        return run_shared_bench(args)
    _check(args)
    with tempfile.TemporaryDirectory(prefix="model-runner-bench-") as scratch:
        print(f"generating a {args.size} x {args.size} image", file=sys.stderr)
        image = make_image(Path(scratch), args.size)
        warm_up = make_image(Path(scratch), WARM_UP_SIZE)
        spec = bench_model(args)
        with start_local_stack({"bench": spec}) as stack:
            os.environ.update(
                {name: stack.env[name] for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")}
            )
            env = {
                **stack.env,
                "QUEUE_WAIT_SECONDS": "1",
                "WORKERS": str(args.workers),
                "LOG_LEVEL": "WARNING",
                "LOG_FORMAT": "text",
                "METRICS_ENABLED": "false",
            }
            reads = ReadArrangement(*load_settings(env).read_arrangement)
            stage = _Stage(env, stack.model_url("bench"), stack.pids, reads)
            rounds = []
            for number in range(1, args.rounds + 1):
                print(f"round {number} of {args.rounds}", file=sys.stderr)
                measured = image if number == 1 else renamed(image, f"round{number}")
                rounds.append(_round(args, stage, warm_up, measured))
    figures = {
        **summary(rounds),
        "size": args.size,
        "image": image.kind,
        "tile_size": args.tile_size,
        "overlap": args.overlap,
        "workers": args.workers,
        "model": args.model,
        "format": args.format,
        "rounds": rounds,
    }
    print(json.dumps(figures))
    return 0 if figures["status"] == "SUCCESS" and figures.get("s3_status", "SUCCESS") == "SUCCESS" else 1


@dataclass(frozen=True)
class _Stage:
    """What every round runs on: the worker's environment, the model's URL, the stack's servers,
    and how the worker reads a region's tiles (which the bare loop reads the same way)."""

    env: dict[str, str]
    model_url: str
    servers: tuple[int, ...]
    reads: ReadArrangement


def _round(args: argparse.Namespace, stage: _Stage, warm_up: BenchImage, image: BenchImage) -> dict[str, Any]:
    """One round's figures: the pipeline on the local image (and on S3), then the bare loop."""
    pipeline = _pipeline(args, stage, (str(warm_up.path), str(image.path)), "local")
    remote = _remote_pipeline(args, stage, (warm_up, image), pipeline)
    raw = _bare_loop(args, str(image.path), stage)
    return {
        **pipeline,
        **remote,
        **{f"raw_{name}": value for name, value in raw.items()},
        "pipeline_to_raw": round(pipeline["tiles_per_s"] / raw["tiles_per_s"], 3)
        if raw["tiles_per_s"]
        else None,
    }


def _remote_pipeline(
    args: argparse.Namespace, stage: _Stage, images: tuple[BenchImage, BenchImage], local: dict[str, Any]
) -> dict[str, Any]:
    """With ``--s3-latency-ms``: the same job with the image read over S3 (GDAL's /vsis3/, ranged
    GETs) from a loopback S3 adding that latency to every request; its figures, prefixed ``s3_``.

    The S3 is an :class:`~model_runner.local.object_server.ObjectServer` on the image's folder,
    not the stack's moto, which loads a whole object for every ranged GET (over 100 ms a read
    for an 8192 x 8192 image)."""
    if args.s3_latency_ms is None:
        return {}
    warm_up, image = images  # in one folder: the server serves both
    (server,) = start_servers([object_server_command(image.path.parent, IMAGES_BUCKET, args.s3_latency_ms)])
    with server:
        env = {**stage.env, "IMAGE_S3_ENDPOINT_URL": server.url}
        remote = _pipeline(args, replace(stage, env=env), (s3_url(warm_up), s3_url(image)), "s3")
    return {
        "s3_latency_ms": args.s3_latency_ms,
        **{
            f"s3_{name}": remote[name]
            for name in (
                "status",
                "tiles",
                "seconds",
                "tiles_per_s",
                "cpu_s",
                "servers_cpu_s",
                "peak_rss_mib",
                "warm_up_seconds",
            )
        },
        "s3_to_local": round(remote["tiles_per_s"] / local["tiles_per_s"], 3)
        if local["tiles_per_s"]
        else None,
    }


def run_shared_bench(args: argparse.Namespace) -> int:
    """The shared-endpoints scenario with the scheduler on, then off, each on a fresh stack; the
    figures of both as the last line (JSON). 0 when every job of the scheduled run succeeded."""
    scenario = SharedScenario(latency_ms=args.latency_ms or 100.0, workers=args.workers)
    figures = {}
    with tempfile.TemporaryDirectory(prefix="model-runner-bench-") as scratch:
        for scheduling in (True, False):
            label = "scheduling_on" if scheduling else "scheduling_off"
            print(f"{label}: {scenario.workers} workers, 30 jobs on 3 endpoints", file=sys.stderr)
            endpoints = shared_endpoints(scenario, "bench")
            with start_local_stack(
                {"bench": ModelSpec(kind="centerpoint")}, sagemaker_endpoints=endpoints
            ) as stack:
                os.environ.update(
                    {name: stack.env[name] for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")}
                )
                figures[label] = run_scenario(
                    stack, scenario, scheduling=scheduling, folder=Path(scratch), tag=label
                )
            print(json.dumps(figures[label]), file=sys.stderr)
    print(json.dumps({"scenario": "shared-endpoints", **figures}))
    return 0 if figures["scheduling_on"]["statuses"] == {"SUCCESS": figures["scheduling_on"]["jobs"]} else 1


def _check(args: argparse.Namespace) -> None:
    """Refuse a wrong command line before anything starts.

    Raises:
        CommandError: saying which option is wrong and what it takes.
    """
    if args.mode != "http":
        raise CommandError(f"--mode {args.mode}: bench measures HTTP models only; leave out --mode")
    if not MIN_SIZE <= args.size <= MAX_SIZE:
        raise CommandError(f"--size {args.size}: give an image edge between {MIN_SIZE} and {MAX_SIZE} pixels")
    if not 1 <= args.workers <= MAX_WORKERS:
        raise CommandError(f"--workers {args.workers}: give 1 to {MAX_WORKERS} model calls in flight")
    if not 1 <= args.rounds <= MAX_ROUNDS:
        raise CommandError(f"--rounds {args.rounds}: give 1 to {MAX_ROUNDS} rounds")
    if args.s3_latency_ms is not None and not 0 <= args.s3_latency_ms <= MAX_S3_LATENCY_MS:
        raise CommandError(f"--s3-latency-ms {args.s3_latency_ms}: give 0 to {MAX_S3_LATENCY_MS} ms")
    check_dense_arguments(args)
    try:
        parse_image_request(_job(args, "s3://mr-images/bench.tif", "http://127.0.0.1/invocations"))
    except InvalidRequestError as error:
        raise CommandError(in_flag_terms(error.problems)) from None


def _job(args: argparse.Namespace, image: str, model_url: str, label: str = "local") -> dict[str, Any]:
    """The benchmark's ImageRequest."""
    return {
        "jobId": f"bench-{label}-{int(time.time())}",
        "imageUrls": [image],
        "imageProcessor": {"name": model_url, "type": "HTTP_ENDPOINT"},
        "imageProcessorTileSize": args.tile_size,
        "imageProcessorTileOverlap": args.overlap,
        "imageProcessorTileFormat": args.format,
        "imageProcessorTileCompression": args.compression,
        "outputs": [{"type": "S3", "bucket": "mr-results", "prefix": "bench"}],
    }


def _pipeline(args: argparse.Namespace, stage: _Stage, images: tuple[str, str], label: str) -> dict[str, Any]:
    """The figures of the job of ``images[1]``, run by a worker that has just run the job of
    ``images[0]`` (the warm-up, timed apart: ``warm_up_seconds``)."""
    print(f"pipeline ({label} image):", file=sys.stderr)
    warm_up, outcome = JobWatch(), JobWatch(sys.stderr)
    relay = _Relay(warm_up)
    clock = CompletionClock()
    memory = RegionMemory()
    env, model_url = stage.env, stage.model_url
    runtime = build_worker(load_settings(env), observers=[relay, clock, memory])
    worker = threading.Thread(target=runtime.worker.run, name="bench-worker")
    sqs = runtime.clients.client("sqs")
    with settled_collector():  # as ``model-runner worker`` runs
        worker.start()
        try:
            warm_up_seconds = _run_job(
                sqs, env["IMAGE_QUEUE"], _job(args, images[0], model_url, label + "-warm-up"), warm_up
            )
            relay.target = outcome
            gc.collect()  # what earlier jobs left (the bare loop does not trim as a worker does)
            release_free_memory()
            start_peak_afresh()  # this job's peak, not the warm-up's or an earlier round's
            memory.start_afresh()
            cpu_before, servers_before = time.process_time(), cpu_seconds(stage.servers)
            seconds = _run_job(sqs, env["IMAGE_QUEUE"], _job(args, images[1], model_url, label), outcome)
            cpu_s = time.process_time() - cpu_before
            servers_cpu_s = cpu_seconds(stage.servers) - servers_before
            print(file=sys.stderr)
        finally:
            runtime.shutdown.set()
            worker.join()
            runtime.close()
            memory.close()
    return {
        "status": outcome.status,
        "tiles": outcome.tiles,
        "features": outcome.features,
        "seconds": round(seconds, 3),
        "tiles_per_s": round(outcome.tiles / seconds, 2),
        "completion_s": clock.completion_s,
        "cpu_s": round(cpu_s, 2),
        "servers_cpu_s": round(servers_cpu_s, 2),
        "peak_rss_mib": round(peak_mib(), 1),
        "regions_peak_rss_mib": memory.regions_peak_mib,
        "warm_up_seconds": round(warm_up_seconds, 3),
    }


def _run_job(sqs: Any, queue_url: str, body: dict[str, Any], watch: JobWatch) -> float:
    """Seconds from sending the job to its terminal status."""
    started = time.monotonic()
    sqs.send_message(QueueUrl=queue_url, MessageBody=json.dumps(body))
    watch.finished.wait(TIMEOUT_S)
    return time.monotonic() - started


class _Relay:
    """Hands the worker's events to the watch of the job under way."""

    def __init__(self, target: JobWatch) -> None:
        self.target = target

    def on_event(self, event: LifecycleEvent) -> None:
        self.target.on_event(event)


def _bare_loop(args: argparse.Namespace, image_path: str, stage: _Stage) -> dict[str, Any]:
    """Read (in the worker's arrangement), encode and post every tile of the image: no AWS, no
    features, same concurrency."""
    image = open_image(image_path)
    tile_format, compression = TileFormat(args.format), TileCompression(args.compression)
    mime = content_type(tile_format)
    policy = HttpCallPolicy(connect_timeout_s=5, read_timeout_s=60, max_retries=0, connections=args.workers)
    area = Window(0, 0, image.width, image.height)
    strategy = GridTilingStrategy()
    regions = strategy.regions(area, (image.width, image.height), args.tile_size, args.overlap)
    tiles = [tile for region in regions for tile in strategy.tiles(region)]

    banded = BandedReads(image, tiles, stage.reads)

    def prepare(tile: Tile) -> bytes:
        return encode_tile(banded.read(tile), tile_format, compression)

    model_url = stage.model_url
    cpu_before, servers_before = time.process_time(), cpu_seconds(stage.servers)
    started = time.monotonic()
    endpoints = EndpointGuard(UrlAllowList([model_url]))
    # the worker's collector: only the pipeline's own work differs
    with banded, HttpModelClient(policy, endpoints=endpoints) as client, settled_collector():

        def call(body: bytes) -> bytes:
            return client.invoke(model_url, body, mime)

        done = 0
        with closing(run_bounded(tiles, prepare, call, concurrency=args.workers)) as outcomes:
            for index, outcome in enumerate(outcomes, start=1):
                done += outcome.succeeded
                if index % PROGRESS_EVERY == 0 or index == len(tiles):
                    print(f"\rbare loop: tiles {index}/{len(tiles)}", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    seconds = time.monotonic() - started
    image.close()
    return {
        "tiles": done,
        "seconds": round(seconds, 3),
        "tiles_per_s": round(done / seconds, 2),
        "cpu_s": round(time.process_time() - cpu_before, 2),
        "servers_cpu_s": round(cpu_seconds(stage.servers) - servers_before, 2),
    }
