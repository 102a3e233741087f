"""The smallest environment the worker's settings accept, for tests that need a WorkerSettings."""

from __future__ import annotations

REQUIRED_ENV = {
    "AWS_DEFAULT_REGION": "us-east-1",
    "IMAGE_QUEUE": "q",
    "REGION_QUEUE": "r",
    "JOB_TABLE": "j",
    "REGION_REQUEST_TABLE": "rr",
    "ENDPOINT_TABLE": "e",
    "WORKSPACE_BUCKET": "w",
}
"""Every required variable, with placeholder values."""
