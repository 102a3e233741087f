"""``model-runner demo``: one job end to end on the embedded local stack, no AWS account needed.

It checks its inputs first (images, request file, output folder), then starts the moto server and
the chosen built-in model, uploads the images to the stack's S3 bucket with every file GDAL needs
to open them (so the worker reads them through /vsis3 like real ones), creates the buckets and
streams the request's outputs name, queues the request as given, and runs a worker until every
image of it has its terminal status. Each image's FeatureCollection goes to ``DIR/<jobId>.geojson``
(``DIR/<jobId>-<image>.geojson`` when there are several) with a preview picture beside it.
Progress goes to standard error; the last line on standard output is one JSON object with the
outcome. Exit status 0 on SUCCESS only, 2 for a mistake in the command line or its files.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from model_runner.api import image_id_for, parse_image_request
from model_runner.config import load_settings
from model_runner.errors import InvalidRequestError, UnreadableMessageError
from model_runner.events import JobCompleted, JobFailed
from model_runner.local import LocalStack, ModelSpec, start_local_stack
from model_runner.local.demo_results import save_results
from model_runner.local.job_flags import in_flag_terms
from model_runner.local.job_watch import JobWatch, message_of
from model_runner.local.request_files import (
    create_outputs,
    image_files,
    local_images,
    upload_images,
)
from model_runner.local.sagemaker import EmulatedEndpoint
from model_runner.local.stack import LOCAL_ASYNC_CONFIG
from model_runner.local.synthetic_image import generate_image
from model_runner.tools.command_error import CommandError
from model_runner.tools.request_file import read_request_file
from model_runner.worker.wiring import build_worker

RESULTS_BUCKET = "mr-results"
RESULTS_PREFIX = "demo"
DEMO_REGION_SIZE = "1024"
DEFAULT_IMAGE_SIZE = 2048
TIMEOUT_S = 600
MODES = {"http": "HTTP_ENDPOINT", "sm": "SM_ENDPOINT", "async": "SM_ENDPOINT_ASYNC"}
DEMO_ENDPOINT = "demo-endpoint"
PLACEHOLDER_IMAGE = "s3://mr-images/placeholder.tif"


@dataclass
class DemoJob:
    """The request as given, and the local file of each of its images (None: an s3:// URL)."""

    body: dict[str, Any]
    images: list[Path | None]


def run_demo(args: argparse.Namespace) -> int:
    """Run the demo job; returns 0 when every image ends SUCCESS.

    Raises:
        CommandError: a missing or unreadable image or request file, a request with wrong values,
            an output folder that cannot be written.
    """
    job = _plan(args)
    output = writable_folder(args.output)
    model = ModelSpec(kind=args.model, latency_ms=args.latency_ms, failure_mode="mixed")
    started = time.monotonic()
    with (
        tempfile.TemporaryDirectory(prefix="model-runner-demo-") as scratch,
        start_local_stack({"demo": model}, sagemaker_endpoints=_sagemaker_endpoints(args.mode)) as stack,
    ):
        # boto3 takes credentials from the process environment: the stack's are dummies.
        os.environ.update({name: stack.env[name] for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")})
        if not job.images:
            job.images = [generate_image(Path(scratch) / "demo.tif", DEFAULT_IMAGE_SIZE, DEFAULT_IMAGE_SIZE)]
            job.body["imageUrls"] = [str(job.images[0])]
        body = _runnable(job, args.mode, stack)
        request, _ = parse_image_request(body)
        progress = JobWatch(sys.stderr, images=len(request.image_urls))
        _run_job(stack, body, progress)
        print(file=sys.stderr)
        images = [
            image_summary(url, progress.outcomes.get(image_id_for(request.job_id, url)))
            for url in request.image_urls
        ]
        save_results(stack, request.job_id, images, job.images, output)
    summary = {
        "job_id": request.job_id,
        "status": progress.status,
        "tiles": progress.tiles,
        "failed_tiles": progress.failed_tiles,
        "features": progress.features,
        "seconds": round(time.monotonic() - started, 2),
        "message": progress.message,
        "image": images[0]["image"],
        **({"output": images[0]["file"]} if "file" in images[0] else {}),
        "images": images,
    }
    print(json.dumps(summary))
    return 0 if summary["status"] == "SUCCESS" else 1


def image_summary(url: str, outcome: JobCompleted | JobFailed | None) -> dict[str, Any]:
    """One image's line of the summary; ``outputs`` says where its features went."""
    return {
        "image": url,
        "status": outcome.status.value if outcome else "TIMED_OUT",
        "features": outcome.features if isinstance(outcome, JobCompleted) else 0,
        "message": message_of(outcome) if outcome else "",
        "outputs": list(outcome.outputs) if isinstance(outcome, JobCompleted) else [],
    }


def writable_folder(folder: Path) -> Path:
    """``folder``, created if needed, once a file could be written in it.

    Raises:
        CommandError: it is a file, or cannot be created or written.
    """
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".write-test-"):
            pass
    except OSError as error:
        reason = error.strerror or str(error)
        raise CommandError(
            f"cannot write to --output {folder}: {reason}; choose a folder you can write to"
        ) from None
    return folder


def _plan(args: argparse.Namespace) -> DemoJob:
    """The request as given (the --request file, or the flags), its images checked, and the
    request validated with stand-ins for what the stack fills in, before anything starts."""
    if args.request is not None:
        body = read_request_file(args.request)
        if args.image is not None and body.get("imageUrls"):
            raise CommandError(
                "the request names its images (imageUrls): leave out --image, or remove imageUrls"
            )
    else:
        body = {
            "jobName": "model-runner demo",
            "imageProcessorTileSize": args.tile_size,
            "imageProcessorTileOverlap": args.overlap,
            "imageProcessorTileFormat": args.format,
            "imageProcessorTileCompression": args.compression,
        }
    body.setdefault("jobId", f"demo-{uuid.uuid4().hex[:8]}")
    if args.image is not None:
        image_files(args.image)
        body["imageUrls"] = [str(args.image)]
    images = local_images(body, args.request.parent if args.request else Path())
    trial = {
        "imageProcessor": {"name": "http://127.0.0.1/invocations", "type": "HTTP_ENDPOINT"},
        "outputs": [{"type": "S3", "bucket": RESULTS_BUCKET, "prefix": RESULTS_PREFIX}],
        **body,
        "imageUrls": _stand_in_urls(body.get("imageUrls"), images),
    }
    try:
        parse_image_request(trial)
    except InvalidRequestError as error:
        if args.request is None:
            raise CommandError(in_flag_terms(error.problems)) from None
        raise CommandError("the request is not valid: " + "; ".join(error.problems)) from None
    except UnreadableMessageError as error:
        raise CommandError(f"the request is not valid: {error}") from None
    return DemoJob(body, images)


def _stand_in_urls(urls: object, images: list[Path | None]) -> object:
    """``imageUrls`` for validation before upload: local files stand in as an s3:// URL."""
    if not urls:
        return [PLACEHOLDER_IMAGE]
    if not isinstance(urls, list):
        return urls
    return [
        f"{PLACEHOLDER_IMAGE}-{index}" if file else url
        for index, (url, file) in enumerate(zip(urls, images, strict=True))
    ]


def _runnable(job: DemoJob, mode: str, stack: LocalStack) -> dict[str, Any]:
    """The request with its images in the stack's bucket, its model and outputs in the stack."""
    body = upload_images(stack, job.body, job.images)
    endpoint = stack.model_url("demo") if mode == "http" else DEMO_ENDPOINT
    body.setdefault("imageProcessor", {"name": endpoint, "type": MODES[mode]})
    body.setdefault("outputs", [{"type": "S3", "bucket": RESULTS_BUCKET, "prefix": RESULTS_PREFIX}])
    create_outputs(stack, body)
    return body


def _run_job(stack: LocalStack, body: dict[str, Any], progress: JobWatch) -> None:
    env = {
        **stack.env,
        "QUEUE_WAIT_SECONDS": "1",
        "REGION_SIZE": DEMO_REGION_SIZE,
        "LOG_LEVEL": "WARNING",
        "LOG_FORMAT": "text",
        "METRICS_ENABLED": "false",
    }
    runtime = build_worker(load_settings(env), observers=[progress])
    worker = threading.Thread(target=runtime.worker.run, name="demo-worker")
    worker.start()
    try:
        stack.boto3_client("sqs").send_message(
            QueueUrl=stack.env["IMAGE_QUEUE"], MessageBody=json.dumps(body)
        )
        progress.finished.wait(TIMEOUT_S)
    finally:
        runtime.shutdown.set()
        worker.join()
        runtime.close()


def _sagemaker_endpoints(mode: str) -> dict[str, EmulatedEndpoint] | None:
    """The emulated SageMaker endpoint serving the demo model, in the SageMaker modes (real-time
    or asynchronous)."""
    if mode == "sm":
        return {DEMO_ENDPOINT: EmulatedEndpoint.serving("demo")}
    if mode == "async":
        return {DEMO_ENDPOINT: EmulatedEndpoint.serving("demo", async_config=LOCAL_ASYNC_CONFIG)}
    return None
