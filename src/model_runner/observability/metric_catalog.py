"""The metrics the worker emits (CloudWatch embedded metric format), by name.

Two families, both in METRICS_NAMESPACE (OSML/ModelRunner, the reference's): the reference's own
(Duration, Invocations and Errors of each Operation, with its ModelName and InputFormat
dimensions), so its dashboards and alarms find them, and this worker's (no dimensions). The CDK
app's alarms and dashboard read this same catalogue, so the two cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class WorkerMetric:
    """One metric: its name, unit, the statistic that summarises it, and when it is emitted."""

    name: str
    unit: str
    statistic: str
    meaning: str


IMAGES_SUCCEEDED = WorkerMetric("ImagesSucceeded", "Count", "Sum", "1 when an image ends SUCCESS")
IMAGES_PARTIAL = WorkerMetric("ImagesPartial", "Count", "Sum", "1 when an image ends PARTIAL")
IMAGES_FAILED = WorkerMetric("ImagesFailed", "Count", "Sum", "1 when an image ends FAILED")
IMAGE_DURATION = WorkerMetric(
    "ImageProcessingTime", "Seconds", "Average", "seconds from STARTED to an image's terminal status"
)
REGIONS_IN_FLIGHT = WorkerMetric(
    "RegionsInFlight", "Count", "Maximum", "regions this worker is processing, after each change"
)
TILES_PROCESSED = WorkerMetric("TilesProcessed", "Count", "Sum", "tiles whose model call succeeded")
TILE_FAILURES = WorkerMetric(
    "TileFailures", "Count", "Sum", "tiles that failed (encoding, model call after retries, parsing)"
)
MODEL_LATENCY = WorkerMetric("ModelLatency", "Milliseconds", "p90", "duration of one successful model call")
EXTENSION_FALLBACKS = WorkerMetric(
    "ExtensionFallbacks", "Count", "Sum", "1 when an extension failed and the base handlers were used"
)
REGIONS_ADMITTED = WorkerMetric(
    "RegionsAdmitted", "Count", "Sum", "1 when the scheduler leases capacity for a region (per ModelEndpoint)"
)
ENDPOINT_THROTTLES = WorkerMetric(
    "Throttles",
    "Count",
    "Sum",
    "1 when a scheduling cycle finds work waiting and no capacity (per ModelEndpoint)",
)
QUEUE_AGE = WorkerMetric(
    "QueueAge",
    "Seconds",
    "Maximum",
    "seconds a region waited for capacity before it started (per ModelEndpoint)",
)

WORKER_METRICS = (
    IMAGES_SUCCEEDED,
    IMAGES_PARTIAL,
    IMAGES_FAILED,
    IMAGE_DURATION,
    REGIONS_IN_FLIGHT,
    TILES_PROCESSED,
    TILE_FAILURES,
    MODEL_LATENCY,
    EXTENSION_FALLBACKS,
    REGIONS_ADMITTED,
    ENDPOINT_THROTTLES,
    QUEUE_AGE,
)
ENDPOINT_DIMENSION = "ModelEndpoint"
"""The dimension of the scheduler's metrics: the scheduling key (endpoint, or endpoint/variant)."""


# --- The reference's metrics -------------------------------------------------------------------
# Its dashboards and alarms search {namespace, <dimensions>} for an Operation and a metric name,
# e.g. SEARCH('{OSML/ModelRunner, InputFormat, ModelName, Operation} ImageProcessing Duration').

OPERATION = "Operation"
MODEL_NAME = "ModelName"
INPUT_FORMAT = "InputFormat"
DURATION = "Duration"
"""Seconds an operation took."""
INVOCATIONS = "Invocations"
ERRORS = "Errors"


@dataclass(frozen=True)
class ReferenceOperation:
    """One of the reference's metered operations: the dimensions of its records and its metrics."""

    name: str
    dimensions: tuple[str, ...]
    metrics: tuple[str, ...]
    meaning: str


IMAGE_PROCESSING = ReferenceOperation(
    "ImageProcessing",
    (OPERATION, MODEL_NAME, INPUT_FORMAT),
    (DURATION, INVOCATIONS, ERRORS),
    "one image from intake to its terminal status; Errors when it did not end SUCCESS",
)
REGION_PROCESSING = ReferenceOperation(
    "RegionProcessing",
    (OPERATION, MODEL_NAME, INPUT_FORMAT),
    (DURATION, INVOCATIONS, ERRORS),
    "one region's tiles; Errors when the region FAILED",
)
TILE_GENERATION = ReferenceOperation(
    "TileGeneration", (OPERATION, INPUT_FORMAT), (INVOCATIONS,), "tiles read and encoded"
)
TILE_PROCESSING = ReferenceOperation(
    "TileProcessing",
    (OPERATION, MODEL_NAME),
    (INVOCATIONS, ERRORS),
    "tiles processed; Errors: tiles that failed",
)
MODEL_INVOCATION = ReferenceOperation(
    "ModelInvocation",
    (OPERATION, MODEL_NAME),
    (DURATION, INVOCATIONS, ERRORS),
    "model calls (Duration: each successful call) and the tiles whose call failed",
)

REFERENCE_OPERATIONS = (
    IMAGE_PROCESSING,
    REGION_PROCESSING,
    TILE_GENERATION,
    TILE_PROCESSING,
    MODEL_INVOCATION,
)
