"""The worker's metric catalogue, shared with the worker (model_runner.observability.metric_catalog)."""

from model_runner.observability.metric_catalog import (
    ENDPOINT_DIMENSION,
    ENDPOINT_THROTTLES,
    EXTENSION_FALLBACKS,
    IMAGE_DURATION,
    IMAGES_FAILED,
    IMAGES_PARTIAL,
    IMAGES_SUCCEEDED,
    MODEL_LATENCY,
    QUEUE_AGE,
    REGIONS_ADMITTED,
    REGIONS_IN_FLIGHT,
    TILE_FAILURES,
    TILES_PROCESSED,
    WORKER_METRICS,
    WorkerMetric,
)

__all__ = [
    "ENDPOINT_DIMENSION",
    "ENDPOINT_THROTTLES",
    "EXTENSION_FALLBACKS",
    "IMAGES_FAILED",
    "IMAGES_PARTIAL",
    "IMAGES_SUCCEEDED",
    "IMAGE_DURATION",
    "MODEL_LATENCY",
    "QUEUE_AGE",
    "REGIONS_ADMITTED",
    "REGIONS_IN_FLIGHT",
    "TILES_PROCESSED",
    "TILE_FAILURES",
    "WORKER_METRICS",
    "WorkerMetric",
]
