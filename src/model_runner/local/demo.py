"""``model-runner demo``: one job end to end on the embedded local stack, no AWS account needed.

It starts the moto server and the chosen built-in model, puts the image in the stack's S3 bucket
(so the worker reads it through /vsis3 like a real one), queues an ImageRequest, runs a worker
until the image has its terminal status, and writes the result FeatureCollection to
``DIR/<jobId>.geojson``. Progress goes to standard error; the last line on standard output is one
JSON object with the outcome. Exit status 0 on SUCCESS only.
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
from pathlib import Path
from typing import Any

from model_runner.api import image_id_for, parse_image_request
from model_runner.config import load_settings
from model_runner.errors import InvalidRequestError
from model_runner.local import LocalStack, ModelSpec, start_local_stack
from model_runner.local.job_watch import JobWatch
from model_runner.local.sagemaker import EmulatedEndpoint
from model_runner.local.stack import LOCAL_ASYNC_CONFIG
from model_runner.local.synthetic_image import generate_image
from model_runner.sinks import object_key
from model_runner.worker.wiring import build_worker

RESULTS_BUCKET = "mr-results"
IMAGES_BUCKET = "mr-images"
RESULTS_PREFIX = "demo"
DEMO_REGION_SIZE = "1024"
DEFAULT_IMAGE_SIZE = 2048
TIMEOUT_S = 600
MODES = {"http": "HTTP_ENDPOINT", "sm": "SM_ENDPOINT", "async": "SM_ENDPOINT_ASYNC"}
DEMO_ENDPOINT = "demo-endpoint"


def run_demo(args: argparse.Namespace) -> int:
    """Run the demo job; returns 0 when it ends SUCCESS."""
    if args.mode not in MODES:
        print(f"model-runner demo: --mode {args.mode} is not available in this build", file=sys.stderr)
        return 2
    model = ModelSpec(kind=args.model, latency_ms=args.latency_ms, failure_mode="mixed")
    started = time.monotonic()
    with (
        tempfile.TemporaryDirectory(prefix="model-runner-demo-") as scratch,
        start_local_stack({"demo": model}, sagemaker_endpoints=_sagemaker_endpoints(args.mode)) as stack,
    ):
        # boto3 takes credentials from the process environment: the stack's are dummies.
        os.environ.update({name: stack.env[name] for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")})
        image = args.image or generate_image(
            Path(scratch) / "demo.tif", DEFAULT_IMAGE_SIZE, DEFAULT_IMAGE_SIZE
        )
        image_url = _upload(stack, Path(image))
        body = _request(args, stack, image_url)
        try:
            request, _ = parse_image_request(body)
        except InvalidRequestError as error:
            for problem in error.problems:
                print(f"model-runner demo: {problem}", file=sys.stderr)
            return 2
        progress = JobWatch(sys.stderr)
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
        print(file=sys.stderr)
        summary = _summary(request.job_id, progress, time.monotonic() - started)
        summary["image"] = request.image_urls[0]
        if progress.status in ("SUCCESS", "PARTIAL"):
            summary["output"] = str(
                _save(stack, args.output, request.job_id, image_id_for(request.job_id, image_url))
            )
    print(json.dumps(summary))
    return 0 if summary["status"] == "SUCCESS" else 1


def _sagemaker_endpoints(mode: str) -> dict[str, EmulatedEndpoint] | None:
    """The emulated SageMaker endpoint serving the demo model, in the SageMaker modes (real-time
    or asynchronous)."""
    if mode == "sm":
        return {DEMO_ENDPOINT: EmulatedEndpoint.serving("demo")}
    if mode == "async":
        return {DEMO_ENDPOINT: EmulatedEndpoint.serving("demo", async_config=LOCAL_ASYNC_CONFIG)}
    return None


def _upload(stack: LocalStack, image: Path) -> str:
    """Put the image in the stack's image bucket; returns its s3:// URL."""
    key = f"demo/{image.name}"
    stack.boto3_client("s3").upload_file(str(image), IMAGES_BUCKET, key)
    return f"s3://{IMAGES_BUCKET}/{key}"


def _request(args: argparse.Namespace, stack: LocalStack, image_url: str) -> dict[str, Any]:
    """The ImageRequest: the --request file (completed where it leaves things out) or the flags."""
    if args.request is not None:
        body: dict[str, Any] = json.loads(Path(args.request).read_text())
    else:
        body = {
            "jobName": "model-runner demo",
            "imageProcessorTileSize": args.tile_size,
            "imageProcessorTileOverlap": args.overlap,
            "imageProcessorTileFormat": args.format,
            "imageProcessorTileCompression": args.compression,
        }
    body.setdefault("jobId", f"demo-{uuid.uuid4().hex[:8]}")
    body.setdefault("imageUrls", [image_url])
    endpoint = stack.model_url("demo") if args.mode == "http" else DEMO_ENDPOINT
    body.setdefault("imageProcessor", {"name": endpoint, "type": MODES[args.mode]})
    body.setdefault("outputs", [{"type": "S3", "bucket": RESULTS_BUCKET, "prefix": RESULTS_PREFIX}])
    return body


def _summary(job_id: str, progress: JobWatch, seconds: float) -> dict[str, Any]:
    return {
        "job_id": job_id,
        "status": progress.status,
        "tiles": progress.tiles,
        "failed_tiles": progress.failed_tiles,
        "features": progress.features,
        "seconds": round(seconds, 2),
        "message": progress.message,
    }


def _save(stack: LocalStack, folder: Path, job_id: str, image_id: str) -> Path:
    """Copy the result FeatureCollection from the stack's results bucket to DIR/<jobId>.geojson."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{job_id}.geojson"
    key = object_key(RESULTS_PREFIX, job_id, image_id)
    stack.boto3_client("s3").download_file(RESULTS_BUCKET, key, str(target))
    return target
