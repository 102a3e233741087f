"""Logs and metrics: JSON log lines, an observer logging every lifecycle event, and one emitting
CloudWatch embedded-metric-format records (which CloudWatch Logs turns into metrics)."""

from __future__ import annotations

import dataclasses
import json
import logging
import sys
import time
from typing import Any, TextIO

from model_runner.config import WorkerSettings
from model_runner.events import (
    JobCompleted,
    JobFailed,
    LifecycleEvent,
    RegionCompleted,
    RegionStarted,
    TileFailed,
)
from model_runner.metric_catalog import (
    IMAGE_DURATION,
    IMAGES_FAILED,
    IMAGES_PARTIAL,
    IMAGES_SUCCEEDED,
    MODEL_LATENCY,
    REGIONS_IN_FLIGHT,
    TILE_FAILURES,
    TILES_PROCESSED,
    WorkerMetric,
)
from model_runner.status import Status

logger = logging.getLogger("model_runner.events")


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message and any ``fields`` extra."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(getattr(record, "fields", {}))
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def configure_logging(settings: WorkerSettings, stream: TextIO = sys.stderr) -> None:
    """Send the worker's logs to ``stream`` in the configured format and level."""
    handler = logging.StreamHandler(stream)
    if settings.log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level)


class LogObserver:
    """Logs every lifecycle event as one structured record."""

    def on_event(self, event: LifecycleEvent) -> None:
        fields = {"event": type(event).__name__, **dataclasses.asdict(event)}
        level = logging.WARNING if isinstance(event, TileFailed | JobFailed) else logging.INFO
        logger.log(level, "%s %s", type(event).__name__, event.image_id, extra={"fields": fields})


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
            case _:
                return

    def count(self, metric: WorkerMetric, value: float = 1) -> None:
        """Emit one metric outside the lifecycle events (e.g. EXTENSION_FALLBACKS)."""
        self._emit({metric: value})

    def _emit(self, values: dict[WorkerMetric, float | list[float]]) -> None:
        record: dict[str, Any] = {
            "_aws": {
                "Timestamp": int(time.time() * 1000),
                "CloudWatchMetrics": [
                    {
                        "Namespace": self._namespace,
                        "Dimensions": [[]],
                        "Metrics": [{"Name": metric.name, "Unit": metric.unit} for metric in values],
                    }
                ],
            },
            **{metric.name: value for metric, value in values.items()},
        }
        self._stream.write(json.dumps(record) + "\n")
        self._stream.flush()
