"""The settings a worker needs, with fake queue and table names, for tests that build a loop on fakes."""

from __future__ import annotations

WORKER_ENV = {
    "AWS_DEFAULT_REGION": "us-east-1",
    "IMAGE_QUEUE": "https://sqs/images",
    "REGION_QUEUE": "https://sqs/regions",
    "JOB_TABLE": "jobs",
    "REGION_REQUEST_TABLE": "regions",
    "ENDPOINT_TABLE": "endpoints",
    "WORKSPACE_BUCKET": "workspace",
    "QUEUE_WAIT_SECONDS": "1",
}
