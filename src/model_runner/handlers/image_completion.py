"""Completing an image once its last region has an outcome: distil, geolocate, write, report.

Only the worker whose region completed the image (by the job table's conditional count) gets
here, and only the one whose terminal write wins reports it, so an image has exactly one terminal
status even when messages are redelivered. The workspace is cleared after that write.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from model_runner.api import RegionRequest
from model_runner.errors import ModelRunnerError
from model_runner.events import JobCompleted, JobFailed
from model_runner.features import DetectionBatch, distill
from model_runner.features.output import OutputContext, output_features
from model_runner.handlers.context import HandlerContext
from model_runner.handlers.ports import Image
from model_runner.imagery import geolocate, processed_footprint
from model_runner.sinks import ImageMetadata, SinkError
from model_runner.status import ImageRecord, Status, image_status

logger = logging.getLogger(__name__)

FIRST_REASONS = 3
"""Failure reasons quoted in an image's status message (all of them are in the region rows)."""


class ImageCompletion:
    """Finishes images: their features to the sinks, their terminal status to the table and bus."""

    def __init__(self, context: HandlerContext) -> None:
        self._context = context

    def complete(self, request: RegionRequest, record: ImageRecord) -> None:
        """Finish an image all of whose regions have an outcome (a no-op if it already finished)."""
        if record.status.is_terminal:
            return
        with self._context.tracer.span("completion", job_id=record.job_id, image_id=record.image_id):
            self._complete(request, record)

    def _complete(self, request: RegionRequest, record: ImageRecord) -> None:
        status = image_status(record.region_outcomes.values())
        features = 0
        outputs: list[str] = []
        if status is Status.FAILED:
            message = f"all {record.region_count} regions failed"
        else:
            try:
                written = self._write_features(request, record)
            except ModelRunnerError as error:
                status, message = Status.FAILED, str(error)
            else:
                features, outputs = written.features, written.locations
                status = _worst(status, written.status)
                message = written.message(record)
        if any(outcome is not Status.SUCCESS for outcome in record.region_outcomes.values()):
            message += self._first_reasons(record.image_id)
        self._finish(record, status, message, features, _labels(self._context, request), outputs)

    def _first_reasons(self, image_id: str) -> str:
        """The first tile or region failure reasons of an image, for its status message."""
        reasons = [
            reason for region in self._context.regions.regions_of(image_id) for reason in region.failures
        ]
        if not reasons:
            return ""
        more = f" (and {len(reasons) - FIRST_REASONS} more)" if len(reasons) > FIRST_REASONS else ""
        return "; first failures: " + "; ".join(reasons[:FIRST_REASONS]) + more

    def fail(
        self,
        *,
        job_id: str,
        job_name: str | None,
        image_id: str,
        image_url: str,
        reason: str,
        model_name: str = "",
    ) -> None:
        """Record an image that cannot be processed at all as FAILED with ``reason`` (once)."""
        record, _ = self._context.jobs.start_image(
            image_id=image_id, job_id=job_id, job_name=job_name, image_url=image_url, region_count=0
        )
        self._finish(record, Status.FAILED, reason, 0, (model_name, ""))

    def _finish(
        self,
        record: ImageRecord,
        status: Status,
        message: str,
        features: int,
        labels: tuple[str, str],
        outputs: Sequence[str] = (),
    ) -> None:
        if not self._context.jobs.finish_image(record.image_id, status, message):
            logger.info("image %s already has its terminal status; not reporting %s", record.image_id, status)
            return
        duration = time.time() - record.started_at
        if status is Status.FAILED:
            self._context.events.emit(
                JobFailed(record.job_id, record.image_id, message, duration, record.job_name, *labels)
            )
        else:
            self._context.events.emit(
                JobCompleted(
                    record.job_id,
                    record.image_id,
                    status,
                    duration,
                    features,
                    message,
                    record.job_name,
                    tuple(outputs),
                    *labels,
                )
            )
        self._context.workspace.clear(record.image_id)

    def _write_features(self, request: RegionRequest, record: ImageRecord) -> _Written:
        image = self._context.images.get(request.image_url, request.image_read_role)
        batch = DetectionBatch.concat(self._context.workspace.load(record.image_id))
        algorithm = request.distillation
        if algorithm is not None and len(batch.scores):
            batch = distill(batch, algorithm.options())
        records = list(batch.records())
        model = image.sensor_model()
        shapes = None
        if model is not None:
            shapes = geolocate(
                model,
                [detection.geometry for detection in records],
                counterclockwise=self._context.settings.rfc7946_ring_orientation,
            )
        else:
            logger.warning("image %s has no georeferencing: its features are in pixels only", image.url)
        source = image.source_metadata()
        context = OutputContext(
            job_id=request.job_id,
            image_id=record.image_id,
            inference_time=datetime.fromtimestamp(record.started_at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            feature_properties=request.feature_properties,
            source_metadata=[source] if source else None,
        )
        features = output_features(records, shapes, context)
        metadata = ImageMetadata(
            source_url=request.image_url,
            footprint=self._footprint(image, request),
            inference_time=context.inference_time,
        )
        written = self._write(request, record.image_id, features, metadata)
        written.georeferenced = model is not None
        return written

    @staticmethod
    def _footprint(image: Image, request: RegionRequest) -> dict[str, Any] | None:
        """The processed area in WGS84, for outputs that describe it (STAC); None if unknown."""
        model = image.sensor_model()
        if model is None:
            return None
        try:
            shape = processed_footprint(model, request.area, request.region_of_interest)
        except ModelRunnerError as error:
            logger.warning("image %s: no footprint of the processed area: %s", request.image_id, error)
            return None
        return shape.geometry if shape else None

    def _write(
        self,
        request: RegionRequest,
        image_id: str,
        features: Sequence[dict[str, Any]],
        metadata: ImageMetadata,
    ) -> _Written:
        sinks = self._context.sinks(request.sinks)
        written = _Written(features=len(features))
        for sink in sinks:
            try:
                report = sink.write(request.job_id, image_id, features, metadata=metadata)
            except SinkError as error:
                written.failures.append(f"{sink.description}: {error}")
            else:
                written.locations.append(report.location)
        return written


@dataclass
class _Written:
    """What the sinks of one image did."""

    features: int
    locations: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    georeferenced: bool = True

    @property
    def status(self) -> Status:
        if not self.failures:
            return Status.SUCCESS
        return Status.PARTIAL if self.locations else Status.FAILED

    def message(self, record: ImageRecord) -> str:
        failed = sum(outcome is not Status.SUCCESS for outcome in record.region_outcomes.values())
        text = f"{self.features} features from {record.region_count} regions ({failed} not fully processed)"
        if not self.georeferenced:
            text += " (warning: the image has no georeferencing, so features are in pixel coordinates only)"
        if self.locations:
            text += " written to " + ", ".join(self.locations)
        if self.failures:
            text += "; sink failures: " + "; ".join(self.failures)
        return text


def _labels(context: HandlerContext, request: RegionRequest) -> tuple[str, str]:
    """The model name and image format of an image, for its metrics."""
    try:
        image_format = context.images.get(request.image_url, request.image_read_role).format_name
    except ModelRunnerError:
        image_format = ""
    return request.image_processor.name, image_format


def _worst(first: Status, second: Status) -> Status:
    order = (Status.SUCCESS, Status.PARTIAL, Status.FAILED)
    return max(first, second, key=order.index)
