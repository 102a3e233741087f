"""The base region handler: one region's tiles through the model, its outcome recorded once.

The tiles' features are written a few tiles at a time as their answers come back; at the region's
end, the detections no other region can touch are distilled and their features stored as final,
the others deferred to the image's completion, which distils them with their neighbours' with the
request's own parameters (see :mod:`model_runner.handlers.region_features`): the image's output is what one
distillation of the whole image gives. The region's terminal status is a conditional write, and
its count in the image row another, so a redelivered region message changes nothing it already did.

Extensions subclass it and override the hooks, :meth:`run_region_tiles` (how tiles reach the
model) or :meth:`release_region_resources` (what to clean up once the outcome is recorded).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import partial
from typing import Any

from model_runner.api import RegionRequest
from model_runner.errors import DeferredError, ModelRunnerError, QueueAction
from model_runner.events import Progress, RegionCompleted, RegionStarted, TileFailed
from model_runner.handlers.context import HandlerContext
from model_runner.handlers.feature_writer import FeatureWriter
from model_runner.handlers.image_completion import ImageCompletion
from model_runner.handlers.job_starts import JobStarts
from model_runner.handlers.ports import Image
from model_runner.handlers.region_features import in_order, other_tiles, store_region
from model_runner.handlers.table_details import region_details
from model_runner.handlers.tile_reads import ReadArrangement
from model_runner.handlers.tile_work import TileResults, run_tiles
from model_runner.imagery import SensorModel, roi_to_pixel_polygon
from model_runner.ordered_ahead import call_ahead
from model_runner.scheduling import leased_calls, model_calls_done, tile_concurrency
from model_runner.status import RegionRecord, Status, region_status
from model_runner.tiling import Tile, tiles_meeting


class WorkInterruptedError(DeferredError):
    """The worker is shutting down: the region is given back to the queue for another worker."""


class RegionRequestHandler:
    """Processes one region of an image."""

    def __init__(self, context: HandlerContext) -> None:
        self.context = context
        self.job_starts = JobStarts(lambda image_id: self.context.jobs.get(image_id).started_at)
        """When the images of this worker's regions were accepted (their features say it)."""

    @property
    def image_completion(self) -> ImageCompletion:
        """Completion and failure of images, over this handler's context."""
        return ImageCompletion(self.context)

    def pre_processing_hook(self, region_request: RegionRequest) -> None:
        """Called before a region's tiles are processed; the base does nothing."""

    def post_processing_hook(self, region_request: RegionRequest, region_record: RegionRecord) -> None:
        """Called once a region's outcome is recorded; the base does nothing."""

    def handle(self, region_request: RegionRequest) -> RegionRecord:
        """Everything one region message asks: process the region unless it already finished,
        count its outcome in the image, and complete the image when it was the last region.

        A region that cannot be processed at all (its image unreadable, its model type not
        served) is recorded FAILED with the reason; transient faults propagate for a retry.
        """
        image_id, region_id = region_request.image_id, region_request.region_id
        span = self.context.tracer.span(
            "region", job_id=region_request.job_id, image_id=image_id, region_id=region_id
        )
        with span:
            return self._handle(region_request)

    def _handle(self, region_request: RegionRequest) -> RegionRecord:
        try:
            image, item = self._start(region_request)
            if not item.status.is_terminal:
                item = self.process_region_request(region_request, item, image, image.sensor_model())
        except ModelRunnerError as error:
            if error.action is not QueueAction.FAIL_JOB:
                raise
            return self.fail(region_request, str(error))
        self.count_region(region_request, item)
        return item

    def _start(self, region_request: RegionRequest) -> tuple[Image, RegionRecord]:
        """The region's image, and its row marked in progress: the row's update, the read of when
        its image was accepted (for its features) and the opening of the image go on at once."""
        image_id, region_id = region_request.image_id, region_request.region_id
        self.job_starts.ahead(image_id)
        started = call_ahead(
            partial(self.context.regions.start_region, image_id, region_id, region_details(region_request)),
            f"start-{region_id[-24:]}",
        )
        try:
            image = self.context.images.get(region_request.image_url, region_request.image_read_role)
        finally:
            item = started.result()  # its failure, if any, comes first: the region is retried
        return image, item

    def fail(self, region_request: RegionRequest, reason: str) -> RegionRecord:
        """Record a region that cannot be processed at all (its image unreadable, ...) as FAILED."""
        image_id, region_id = region_request.image_id, region_request.region_id
        regions = self.context.regions
        item = regions.start_region(image_id, region_id)
        recorded = False
        if not item.status.is_terminal:
            item, recorded = regions.finish_region(
                image_id, region_id, Status.FAILED, total_tiles=0, failed_tiles=0, failures=[reason]
            )
        if recorded:
            self.context.events.emit(
                RegionCompleted(
                    region_request.job_id, image_id, region_id, item.status, 0, 0, 0.0, item.failures
                )
            )
        self.count_region(region_request, item)
        return item

    def process_region_request(
        self,
        region_request: RegionRequest,
        region_request_item: RegionRecord,
        raster_dataset: Image,
        sensor_model: SensorModel | None = None,
        metrics: Any = None,
    ) -> RegionRecord:
        """Run the region's tiles through the model and record the region's outcome."""
        self.pre_processing_hook(region_request)
        started = time.monotonic()
        tiles = self.region_tiles(region_request, sensor_model or raster_dataset.sensor_model())
        job_id, image_id, region_id = region_request.job_id, region_request.image_id, region_request.region_id
        events = self.context.events
        events.emit(RegionStarted(job_id, image_id, region_id, len(tiles)))
        results = self.run_region_tiles(
            region_request,
            tiles,
            raster_dataset,
            on_failure=lambda tile_id, reason: events.emit(
                TileFailed(job_id, image_id, region_id, tile_id, reason)
            ),
        )
        model_calls_done()  # recording the outcome needs no model capacity
        return self.record_outcome(region_request, len(tiles), results, started)

    def run_region_tiles(
        self,
        region_request: RegionRequest,
        tiles: list[Tile],
        raster_dataset: Image,
        on_failure: Callable[[str, str], None],
    ) -> TileResults:
        """Every tile's detections or failure; extensions override how tiles reach the model.

        Raises:
            WorkInterruptedError: the worker is shutting down before every tile was processed.
        """
        detector = self.context.tracer.traced(
            self.context.models.detector(
                region_request.image_processor, region_request.image_processor_parameters
            )
        )
        leased = leased_calls()
        results = run_tiles(
            tiles,
            raster_dataset,
            region_request,
            detector,
            self.feature_writer(region_request, raster_dataset),
            concurrency=tile_concurrency(self.context.settings.tile_workers),
            stop=self.context.shutdown,
            on_failure=on_failure,
            on_outcome=self.context.progress,
            reads=ReadArrangement(*self.context.settings.read_arrangement),
            permit=partial(leased.permits.call, leased.order) if leased is not None else None,
            on_last_tiles=leased.last_tiles if leased is not None else None,
        )
        if results.total < len(tiles):
            raise WorkInterruptedError(
                f"region {region_request.region_id}: stopped after {results.total} of {len(tiles)} tiles"
            )
        return results

    def feature_writer(self, region_request: RegionRequest, raster_dataset: Image) -> FeatureWriter:
        """The writer of the output features of the region's image."""
        started_at = self.job_starts.started_at(region_request.image_id)
        return FeatureWriter.of(
            raster_dataset,
            region_request,
            started_at,
            counterclockwise=self.context.settings.rfc7946_ring_orientation,
        )

    def record_outcome(
        self, region_request: RegionRequest, total_tiles: int, results: TileResults, started: float
    ) -> RegionRecord:
        """Keep the region's features in the workspace and record its outcome once."""
        job_id, image_id, region_id = region_request.job_id, region_request.image_id, region_request.region_id
        image = self.context.images.get(region_request.image_url, region_request.image_read_role)
        algorithm = region_request.distillation
        window = region_request.window
        succeeded = results.succeeded
        ordered = in_order(results.batches)
        store_region(
            self.context.workspace,
            image_id,
            region_id,
            (window.x, window.y, window.width, window.height),
            ordered,
            other_tiles(self.context.tiling, region_request.region()),
            algorithm.options() if algorithm is not None else None,
            results.writer or self.feature_writer(region_request, image),
        )
        self.context.progress()
        reasons = [reason for _, reason in results.failures]
        record, recorded = self.context.regions.finish_region(
            image_id,
            region_id,
            region_status(succeeded, len(results.failures)),
            total_tiles=total_tiles,
            failed_tiles=len(reasons),
            failures=reasons,
            failed_tile_bounds=results.failed_bounds,
        )
        if not recorded:  # another worker processed the same region at the same time and won
            return record
        self.context.events.emit(
            RegionCompleted(
                job_id,
                image_id,
                region_id,
                record.status,
                total_tiles=total_tiles,
                failed_tiles=record.failed_tiles,
                duration_s=time.monotonic() - started,
                failures=record.failures,
                model_latencies_ms=results.model_latencies_ms,
                failed_tile_bounds=results.failed_bounds,
                model_name=region_request.image_processor.name,
                input_format=image.format_name,
            )
        )
        self.release_region_resources(region_request)
        self.post_processing_hook(region_request, record)
        return record

    def release_region_resources(self, region_request: RegionRequest) -> None:
        """Clean up what processing the region left behind, once its outcome is recorded; the
        base leaves nothing behind."""

    def region_tiles(self, region_request: RegionRequest, sensor_model: SensorModel | None) -> list[Tile]:
        """The tiles of the region, less those outside the region of interest."""
        tiles = self.context.tiling.tiles(region_request.region())
        if region_request.region_of_interest is not None:
            roi = roi_to_pixel_polygon(sensor_model, region_request.region_of_interest)
            tiles = tiles_meeting(tiles, roi)
        return list(tiles)

    def count_region(self, region_request: RegionRequest, region: RegionRecord) -> None:
        """Count the region's outcome in its image (once) and complete the image if it was the last.

        The count that completes the image claims its completion; a redelivered region that
        finds the image complete but not finished completes it only if that claim ran out (see
        :mod:`model_runner.handlers.image_completion`).
        """
        record, _ = self.context.jobs.record_region(
            region_request.image_id,
            region_request.region_id,
            region.status,
            claimant=self.context.worker_id,
            lease_s=self.context.settings.completion_lease_s,
        )
        self.context.events.emit(
            Progress(
                region_request.job_id, region_request.image_id, len(record.regions_done), record.region_count
            )
        )
        if record.complete:
            self.image_completion.complete(region_request, record)
