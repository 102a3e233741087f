"""Completing an image once its last region has an outcome: distil, geolocate, write, report.

Completion is claimed in the job table before any sink is written: the worker whose count
completed the image holds the claim (taken by the counting write itself), another worker gets it
only once that claim ran out (its holder died), and the holder renews it every third of
COMPLETION_LEASE while it works. So two copies of the last region never write the sinks twice:
the one that finds the claim held waits until the holder finished the image (and then does
nothing) or its claim ran out (and then takes the image over). The terminal status is written
after the sinks, conditionally, and only the caller whose write wins reports it; the workspace is
cleared after that write.

A completer that dies after writing a Kinesis record and before the terminal write leaves the
image to be taken over, and the records it wrote are written again: feature ids are deterministic,
so consumers deduplicate by ``id``. The S3 object has a deterministic key and is overwritten.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from model_runner.api import RegionRequest, image_id_fits
from model_runner.errors import DeferredError, ModelRunnerError, QueueAction
from model_runner.events import JobCompleted, JobFailed
from model_runner.features.columns_io import PackedDataError
from model_runner.handlers.completion_features import ImageFeatures, image_features
from model_runner.handlers.context import HandlerContext
from model_runner.handlers.feature_writer import FeatureWriter
from model_runner.handlers.ports import Image
from model_runner.imagery import processed_footprint
from model_runner.periodic import every
from model_runner.sinks import ImageMetadata, SinkError
from model_runner.status import ImageRecord, Status, image_status

logger = logging.getLogger(__name__)

CLAIM_POLL_S = 1.0
"""How often a worker that found the completion claimed looks again (finished, or claim run out)."""
FIRST_REASONS = 3
"""Failure reasons quoted in an image's status message (all of them are in the region rows)."""


class CompletionPendingError(DeferredError):
    """Another worker held the claim on completing the image for two leases without finishing it,
    or this worker is stopping while it waits: the message comes back later."""


class WorkspaceIncompleteError(ModelRunnerError):
    """An object a region left in the workspace is missing or unreadable (deleted, or corrupt):
    the completion is retried, and the image fails once retries run out."""

    action = QueueAction.RETRY


class CompletionLostError(DeferredError):
    """This worker's claim on completing the image ran out before it finished (renewals failed):
    it writes nothing more; whoever takes the image over completes it."""


class ImageCompletion:
    """Finishes images: their features to the sinks, their terminal status to the table and bus."""

    def __init__(self, context: HandlerContext) -> None:
        self._context = context

    def complete(self, request: RegionRequest, record: ImageRecord) -> None:
        """Finish an image all of whose regions have an outcome (a no-op if it already finished).

        Raises:
            CompletionPendingError: another worker kept the claim for two leases, or the worker
                is stopping while it waits for the claim.
            CompletionLostError: this worker's claim ran out before the terminal write.
            ModelRunnerError: a fault of the moment (a sink or the workspace unreachable): the
                message is retried, and the completion with it (sinks written before it may be
                written again: see the module docstring).
        """
        if record.status.is_terminal:
            return
        lease = _Lease(self._context, record.image_id)
        if not self._await_claim(lease, record.image_id):
            return
        with (
            every(lease.renew_every_s, lease.renew, name=f"completion-lease-{record.image_id[:24]}"),
            self._context.tracer.span("completion", job_id=record.job_id, image_id=record.image_id),
        ):
            self._complete(request, record, lease)

    def _complete(self, request: RegionRequest, record: ImageRecord, lease: _Lease) -> None:
        status = image_status(record.region_outcomes.values())
        features = 0
        outputs: list[str] = []
        if status is Status.FAILED:
            message = f"all {record.region_count} regions failed"
        else:
            try:
                written = self._write_features(request, record, lease)
            except ModelRunnerError as error:
                if error.action is not QueueAction.FAIL_JOB:
                    raise  # a fault of the moment (or a lost claim): completed on a retry
                status, message = Status.FAILED, str(error)
            else:
                features, outputs = written.features, written.locations
                status = _worst(status, written.status)
                message = written.message(record)
        if any(outcome is not Status.SUCCESS for outcome in record.region_outcomes.values()):
            message += self._first_reasons(record.image_id)
        lease.check()
        self._finish(record, status, message, features, _labels(self._context, request), outputs)

    def _await_claim(self, lease: _Lease, image_id: str) -> bool:
        """Take the claim; while another worker holds it, wait for that worker to finish the image
        (False) or for its claim to run out (a dead holder: taken over). A holder that renews for
        two leases without finishing leaves the message to come back later."""
        context = self._context
        lease_s = context.settings.completion_lease_s
        deadline = time.monotonic() + 2 * lease_s
        while not lease.claim():
            if context.jobs.get(image_id).status.is_terminal:
                return False
            if context.shutdown.is_set() or time.monotonic() > deadline:
                delay_s = 0 if context.shutdown.is_set() else math.ceil(lease_s)
                raise CompletionPendingError(f"image {image_id}: another worker is completing it", delay_s)
            context.progress()  # waiting on a live holder is not being stuck
            context.shutdown.wait(min(CLAIM_POLL_S, lease_s / 3))
        return True

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
        """Record an image that cannot be processed at all as FAILED with ``reason`` (once).

        An image id too long to be a table key (a hostile request) has no row: its FAILED status is
        published without one (and again if the message is redelivered).
        """
        if not image_id_fits(image_id):
            self._context.events.emit(JobFailed(job_id, image_id, reason, 0.0, job_name, model_name))
            return
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

    def _write_features(self, request: RegionRequest, record: ImageRecord, lease: _Lease) -> _Written:
        context = self._context
        image = context.images.get(request.image_url, request.image_read_role)
        writer = FeatureWriter.of(
            image, request, record.started_at, counterclockwise=context.settings.rfc7946_ring_orientation
        )
        if writer.model is None:
            logger.warning("image %s has no georeferencing: its features are in pixels only", image.url)
        algorithm = request.distillation
        try:
            features = image_features(
                context.workspace,
                record.image_id,
                sorted(record.region_outcomes),
                algorithm.options() if algorithm is not None else None,
                writer,
                context.progress,
            )
        except (KeyError, PackedDataError) as error:
            raise WorkspaceIncompleteError(
                f"image {record.image_id}: the workspace is incomplete: {error}"
            ) from None
        metadata = ImageMetadata(
            source_url=request.image_url,
            footprint=self._footprint(image, request),
            inference_time=writer.context.inference_time,
        )
        context.progress()
        written = self._write(request, record.image_id, features, metadata, lease)
        written.georeferenced = writer.model is not None
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
        features: ImageFeatures,
        metadata: ImageMetadata,
        lease: _Lease,
    ) -> _Written:
        sinks = self._context.sinks(request.sinks)
        written = _Written(features=features.count)
        for sink in sinks:
            lease.check()
            self._context.progress()
            try:
                report = sink.write(request.job_id, image_id, features, metadata=metadata)
            except SinkError as error:
                if error.action is not QueueAction.FAIL_JOB:
                    raise  # the sink cannot be reached now: the whole completion is retried
                written.failures.append(f"{sink.description}: {error}")
            else:
                written.locations.append(report.location)
        return written


class _Lease:
    """This worker's claim on completing one image: taken, renewed in the background, checked
    before each write. It counts as lost once a renewal was refused, or once no renewal succeeded
    for a whole lease (the claim may have run out and been taken over)."""

    def __init__(self, context: HandlerContext, image_id: str) -> None:
        self._jobs = context.jobs
        self._image_id = image_id
        self._claimant = context.worker_id
        self._lease_s = context.settings.completion_lease_s
        self._held_since: float | None = None
        self._refused = False

    @property
    def renew_every_s(self) -> float:
        return self._lease_s / 3

    def claim(self) -> bool:
        """Take the claim (or renew it, when the count took it); whether it is held."""
        started = time.monotonic()
        if self._jobs.claim_completion(self._image_id, self._claimant, self._lease_s):
            self._held_since = started
        return self._held_since is not None

    def renew(self) -> None:
        started = time.monotonic()
        try:
            held = self._jobs.claim_completion(self._image_id, self._claimant, self._lease_s)
        except ModelRunnerError as error:
            logger.warning("could not renew the completion claim on %s: %s", self._image_id, error)
            return
        if held:
            self._held_since = started
        else:
            self._refused = True

    def check(self) -> None:
        """Raise CompletionLostError unless the claim is surely still this worker's."""
        held_since = self._held_since
        if self._refused or held_since is None or time.monotonic() - held_since >= self._lease_s:
            raise CompletionLostError(f"image {self._image_id}: the completion claim ran out")


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
