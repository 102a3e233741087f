"""The smallest environment the worker's settings accept (every required variable, dummy values)."""

from __future__ import annotations

REQUIRED_SETTINGS = {
    "AWS_DEFAULT_REGION": "us-east-1",
    "IMAGE_QUEUE": "https://sqs.us-east-1.amazonaws.com/123456789012/images",
    "REGION_QUEUE": "https://sqs.us-east-1.amazonaws.com/123456789012/regions",
    "JOB_TABLE": "jobs",
    "REGION_REQUEST_TABLE": "regions",
    "ENDPOINT_TABLE": "endpoints",
    "WORKSPACE_BUCKET": "workspace",
}
