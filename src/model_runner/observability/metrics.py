"""The observer emitting CloudWatch embedded-metric-format records (which CloudWatch Logs turns
into metrics) for the lifecycle events, through aws-embedded-metrics as the reference does.

Every image and region gives the reference's records (see the catalogue), with the dimension sets
its dashboards search; the reference writes one record per tile and model call, this worker one
per region with the counts (sums are the same; Duration carries one value per call).
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from typing import TextIO

from aws_embedded_metrics.environment.local_environment import LocalEnvironment
from aws_embedded_metrics.logger.metrics_context import MetricsContext
from aws_embedded_metrics.logger.metrics_logger import MetricsLogger
from aws_embedded_metrics.serializers.log_serializer import LogSerializer
from aws_embedded_metrics.sinks import Sink

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
    DURATION,
    ENDPOINT_DIMENSION,
    ENDPOINT_THROTTLES,
    ERRORS,
    IMAGE_DURATION,
    IMAGE_PROCESSING,
    IMAGES_FAILED,
    IMAGES_PARTIAL,
    IMAGES_SUCCEEDED,
    INPUT_FORMAT,
    INVOCATIONS,
    MODEL_INVOCATION,
    MODEL_LATENCY,
    MODEL_NAME,
    OPERATION,
    QUEUE_AGE,
    REGION_PROCESSING,
    REGIONS_ADMITTED,
    REGIONS_IN_FLIGHT,
    TILE_FAILURES,
    TILE_GENERATION,
    TILE_PROCESSING,
    TILES_PROCESSED,
    ReferenceOperation,
    WorkerMetric,
)
from model_runner.status import Status

_IMAGE_OUTCOMES = {
    Status.SUCCESS: IMAGES_SUCCEEDED,
    Status.PARTIAL: IMAGES_PARTIAL,
    Status.FAILED: IMAGES_FAILED,
}
UNKNOWN = "UNKNOWN"
"""The dimension value of a model name or image format not known (an image that could not be read)."""

Values = float | Sequence[float]


class MetricsObserver:
    """Writes the metric catalogue's metrics as CloudWatch embedded-metric-format records."""

    def __init__(self, namespace: str, stream: TextIO | None = None) -> None:
        self._namespace = namespace
        self._environment = _StreamEnvironment(stream)

    def on_event(self, event: LifecycleEvent) -> None:
        match event:
            case JobCompleted() | JobFailed():
                self._emit({_IMAGE_OUTCOMES[event.status]: 1, IMAGE_DURATION: event.duration_s})
                labels = {MODEL_NAME: event.model_name, INPUT_FORMAT: event.input_format}
                self._operation(
                    IMAGE_PROCESSING,
                    labels,
                    {
                        DURATION: event.duration_s,
                        INVOCATIONS: 1,
                        ERRORS: int(event.status is not Status.SUCCESS),
                    },
                )
            case RegionStarted():
                self._emit({REGIONS_IN_FLIGHT: 1})
            case RegionCompleted():
                self._region(event)
            case RegionAdmitted():
                self._emit({REGIONS_ADMITTED: 1, QUEUE_AGE: event.waited_s}, endpoint=event.endpoint)
            case EndpointThrottled():
                self._emit({ENDPOINT_THROTTLES: 1}, endpoint=event.endpoint)
            case _:
                return

    def count(self, metric: WorkerMetric, value: float = 1) -> None:
        """Emit one metric outside the lifecycle events (e.g. EXTENSION_FALLBACKS)."""
        self._emit({metric: value})

    def _region(self, event: RegionCompleted) -> None:
        succeeded = event.total_tiles - event.failed_tiles
        latencies_ms = list(event.model_latencies_ms)
        self._emit({REGIONS_IN_FLIGHT: 0, TILES_PROCESSED: succeeded, TILE_FAILURES: event.failed_tiles})
        if latencies_ms:
            self._emit({MODEL_LATENCY: latencies_ms})
        labels = {MODEL_NAME: event.model_name, INPUT_FORMAT: event.input_format}
        failed = int(event.status is Status.FAILED)
        self._operation(
            REGION_PROCESSING, labels, {DURATION: event.duration_s, INVOCATIONS: 1, ERRORS: failed}
        )
        if event.total_tiles:
            self._operation(TILE_GENERATION, labels, {INVOCATIONS: event.total_tiles})
            tiles = {INVOCATIONS: event.total_tiles, ERRORS: event.failed_tiles}
            self._operation(TILE_PROCESSING, labels, tiles)
            calls: dict[str, Values] = {INVOCATIONS: len(latencies_ms) + event.failed_tiles}
            calls[ERRORS] = event.failed_tiles
            if latencies_ms:
                calls[DURATION] = [latency / 1000 for latency in latencies_ms]
            self._operation(MODEL_INVOCATION, labels, calls)

    def _operation(
        self, operation: ReferenceOperation, labels: Mapping[str, str], values: Mapping[str, Values]
    ) -> None:
        """One record of a reference operation, with exactly its dimensions."""
        dimensions = {OPERATION: operation.name}
        dimensions |= {name: labels[name] or UNKNOWN for name in operation.dimensions if name != OPERATION}
        logger = self._logger()
        logger.set_dimensions(dimensions)
        for name, value in values.items():
            for one in [value] if isinstance(value, int | float) else value:
                logger.put_metric(name, one, "Seconds" if name == DURATION else "Count")
        logger.flush_sync()

    def _emit(self, values: Mapping[WorkerMetric, Values], endpoint: str | None = None) -> None:
        """One record of this worker's own metrics: no dimensions, or the scheduler's endpoint."""
        logger = self._logger()
        if endpoint is None:
            logger.set_dimensions()
        else:
            logger.set_dimensions({ENDPOINT_DIMENSION: endpoint})
        for metric, value in values.items():
            for one in [value] if isinstance(value, int | float) else value:
                logger.put_metric(metric.name, one, metric.unit)
        logger.flush_sync()

    def _logger(self) -> MetricsLogger:
        async def environment() -> LocalEnvironment:
            return self._environment

        logger = MetricsLogger(environment, MetricsContext.empty())
        logger.set_namespace(self._namespace)
        return logger


class _StreamSink(Sink):
    """Writes each serialised record as one line to a stream (standard output by default)."""

    def __init__(self, stream: TextIO | None) -> None:
        self._stream = stream
        self._serializer = LogSerializer()

    @staticmethod
    def name() -> str:
        return "StreamSink"

    def accept(self, context: MetricsContext) -> None:
        stream = self._stream or sys.stdout
        for record in self._serializer.serialize(context):
            stream.write(record + "\n")
        stream.flush()


class _StreamEnvironment(LocalEnvironment):
    """aws-embedded-metrics' local environment (records on standard output, which the ECS log
    driver sends to CloudWatch Logs), without probing for EC2 or Lambda."""

    def __init__(self, stream: TextIO | None) -> None:
        super().__init__()
        self.sink = _StreamSink(stream)
