"""The worker's metric catalogue, shared with the worker (model_runner.observability.metric_catalog)."""

from model_runner.observability.metric_catalog import (
    EXTENSION_FALLBACKS,
    IMAGE_DURATION,
    IMAGES_FAILED,
    IMAGES_PARTIAL,
    IMAGES_SUCCEEDED,
    MODEL_LATENCY,
    REFERENCE_OPERATIONS,
    REGIONS_IN_FLIGHT,
    TILE_FAILURES,
    TILES_PROCESSED,
    WORKER_METRICS,
    ReferenceOperation,
    WorkerMetric,
)

__all__ = [
    "EXTENSION_FALLBACKS",
    "IMAGES_FAILED",
    "IMAGES_PARTIAL",
    "IMAGES_SUCCEEDED",
    "IMAGE_DURATION",
    "MODEL_LATENCY",
    "REFERENCE_OPERATIONS",
    "REGIONS_IN_FLIGHT",
    "TILES_PROCESSED",
    "TILE_FAILURES",
    "WORKER_METRICS",
    "ReferenceOperation",
    "WorkerMetric",
]
