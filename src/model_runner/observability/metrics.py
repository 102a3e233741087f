"""The observer emitting CloudWatch embedded-metric-format records (which CloudWatch Logs turns
into metrics) for the lifecycle events."""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import Any, TextIO

from model_runner.events import (
    EndpointThrottled,
    JobCompleted,
    JobFailed,
    LifecycleEvent,
    RegionAdmitted,
    RegionCompleted,
    RegionStarted,
)
from model_runner.observability.metric_catalog import (
    ENDPOINT_DIMENSION,
    ENDPOINT_THROTTLES,
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
    WorkerMetric,
)
from model_runner.status import Status

logger = logging.getLogger("model_runner.events")


_IMAGE_OUTCOMES = {
    Status.SUCCESS: IMAGES_SUCCEEDED,
    Status.PARTIAL: IMAGES_PARTIAL,
    Status.FAILED: IMAGES_FAILED,
}
_MAX_VALUES = 100  # values one EMF record may carry for a metric


class MetricsObserver:
    """Writes the metric catalogue's metrics as CloudWatch embedded-metric-format records."""

    def __init__(self, namespace: str, stream: TextIO = sys.stdout) -> None:
        self._namespace = namespace
        self._stream = stream

    def on_event(self, event: LifecycleEvent) -> None:
        match event:
            case JobCompleted() | JobFailed():
                self._emit({_IMAGE_OUTCOMES[event.status]: 1, IMAGE_DURATION: event.duration_s})
            case RegionStarted():
                self._emit({REGIONS_IN_FLIGHT: 1})
            case RegionCompleted():
                self._emit(
                    {
                        REGIONS_IN_FLIGHT: 0,
                        TILES_PROCESSED: event.total_tiles - event.failed_tiles,
                        TILE_FAILURES: event.failed_tiles,
                    }
                )
                latencies = list(event.model_latencies_ms)
                for start in range(0, len(latencies), _MAX_VALUES):
                    self._emit({MODEL_LATENCY: latencies[start : start + _MAX_VALUES]})
            case RegionAdmitted():
                self._emit({REGIONS_ADMITTED: 1, QUEUE_AGE: event.waited_s}, endpoint=event.endpoint)
            case EndpointThrottled():
                self._emit({ENDPOINT_THROTTLES: 1}, endpoint=event.endpoint)
            case _:
                return

    def count(self, metric: WorkerMetric, value: float = 1) -> None:
        """Emit one metric outside the lifecycle events (e.g. EXTENSION_FALLBACKS)."""
        self._emit({metric: value})

    def _emit(self, values: dict[WorkerMetric, float | list[float]], endpoint: str | None = None) -> None:
        dimensions = {ENDPOINT_DIMENSION: endpoint} if endpoint is not None else {}
        record: dict[str, Any] = {
            "_aws": {
                "Timestamp": int(time.time() * 1000),
                "CloudWatchMetrics": [
                    {
                        "Namespace": self._namespace,
                        "Dimensions": [list(dimensions)],
                        "Metrics": [{"Name": metric.name, "Unit": metric.unit} for metric in values],
                    }
                ],
            },
            **dimensions,
            **{metric.name: value for metric, value in values.items()},
        }
        self._stream.write(json.dumps(record) + "\n")
        self._stream.flush()
