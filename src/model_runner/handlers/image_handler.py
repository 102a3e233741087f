"""The base image handler: accepts each image of a request, splits it into regions, fans them out.

Every image of ``imageUrls`` is its own image of the job. Its regions after the first go to the
region queue for any worker; this worker processes the first itself. With the scheduler on, every
region waits for its endpoint's capacity instead (the region queue port adds them to the
scheduling table) and none is processed here. An image that cannot be
processed at all (unreadable, no georeferencing, a region of interest outside it) ends FAILED with
the reason, and the other images of the request go on.
"""

from __future__ import annotations

from model_runner.api import ImageRequest, JobOptions, RegionRequest, image_id_for
from model_runner.errors import InvalidRequestError, ModelRunnerError, QueueAction
from model_runner.events import JobStarted, RequestIgnored
from model_runner.handlers.context import HandlerContext
from model_runner.handlers.image_completion import ImageCompletion
from model_runner.handlers.ports import Image
from model_runner.handlers.region_handler import RegionRequestHandler
from model_runner.handlers.table_details import image_details
from model_runner.imagery import check_encoding, roi_to_pixel_polygon
from model_runner.scheduling import SCHEDULED_ENDPOINT_TYPES
from model_runner.status import ImageRecord
from model_runner.tiling import Region, Window, grid_tile_count, regions_meeting, roi_window


class ImageRequestHandler:
    """Processes an image request; extensions subclass it and override the hooks."""

    def __init__(self, context: HandlerContext, region_request_handler: RegionRequestHandler) -> None:
        self.context = context
        self.region_request_handler = region_request_handler

    @property
    def image_completion(self) -> ImageCompletion:
        """Completion and failure of images, over this handler's context."""
        return ImageCompletion(self.context)

    def pre_processing_hook(self, image_request: ImageRequest) -> None:
        """Called before the images of a request are processed; the base does nothing."""

    def post_processing_hook(self, image_request: ImageRequest) -> None:
        """Called after every image of a request was accepted; the base does nothing."""

    def process_image_request(self, image_request: ImageRequest, request_type: str | None = None) -> None:
        """Accept every image of the request; ``request_type`` is handed on to its regions."""
        self.pre_processing_hook(image_request)
        for image_url in image_request.image_urls:
            self.process_image(image_request, image_url, request_type)
        self.post_processing_hook(image_request)

    def process_image(self, image_request: ImageRequest, image_url: str, request_type: str | None) -> None:
        """Split one image into regions, record it, fan the regions out and process the first.

        Whatever step finds the request at fault (unreadable image, too much work asked, a
        missing queue or bucket it names) records the image FAILED with the reason.
        """
        image_id = image_id_for(image_request.job_id, image_url)
        with self.context.tracer.span("image", job_id=image_request.job_id, image_id=image_id):
            self._process_image(image_request, image_url, image_id, request_type)

    def _process_image(
        self, image_request: ImageRequest, image_url: str, image_id: str, request_type: str | None
    ) -> None:
        try:
            self._accept_image(image_request, image_url, image_id, request_type)
        except ModelRunnerError as error:
            if error.action is not QueueAction.FAIL_JOB:
                raise
            self.image_completion.fail(
                job_id=image_request.job_id,
                job_name=image_request.job_name,
                image_id=image_id,
                image_url=image_url,
                reason=str(error),
                model_name=image_request.image_processor.name,
            )

    def _accept_image(
        self, image_request: ImageRequest, image_url: str, image_id: str, request_type: str | None
    ) -> None:
        check_encoding(
            image_request.image_processor_tile_format, image_request.image_processor_tile_compression
        )
        check_stride(image_request, self.context.settings.min_tile_stride)
        image = self.context.images.get(image_url, image_request.image_read_role)
        regions = self.plan_regions(image_request, image, image_id)
        digest = image_request.digest()
        record, created = self.context.jobs.start_image(
            image_id=image_id,
            job_id=image_request.job_id,
            job_name=image_request.job_name,
            image_url=image_url,
            region_count=len(regions),
            details=image_details(image_request, image),
            request_digest=digest,
        )
        if created:
            self.context.events.emit(
                JobStarted(image_request.job_id, image_id, image_url, len(regions), image_request.job_name)
            )
        elif _resubmitted(record, digest):
            self.context.events.emit(
                RequestIgnored(
                    image_request.job_id,
                    image_id,
                    record.status,
                    f"jobId {image_request.job_id!r} already names image {image_url} of another request "
                    f"({record.status.value}): this request was not processed; send it with a new jobId",
                    image_request.job_name,
                )
            )
            return
        if record.status.is_terminal:
            return
        self.region_request_handler.job_starts.know(image_id, record.started_at)  # its regions' features
        requests = [
            RegionRequest.for_region(image_request, image_url, region, request_type) for region in regions
        ]
        bodies = [request.model_dump(by_alias=True, mode="json") for request in requests]
        if self._scheduled(image_request):  # every region waits for its endpoint's capacity
            self.context.region_queue.send_many(bodies)
            return
        self.context.region_queue.send_many(bodies[1:])
        self.region_request_handler.handle(requests[0])

    def _scheduled(self, image_request: ImageRequest) -> bool:
        """Whether the request's regions are admitted by the scheduler (docs/scheduling.md)."""
        return (
            self.context.settings.scheduler_throttling_enabled
            and image_request.image_processor.type.value in SCHEDULED_ENDPOINT_TYPES
        )

    def plan_regions(self, image_request: ImageRequest, image: Image, image_id: str) -> list[Region]:
        """The regions of the image (or of its region of interest), in row-major order."""
        whole = Window(0, 0, image.width, image.height)
        sensor_model = image.sensor_model()
        roi = None
        area: Window | None = whole
        if image_request.region_of_interest is not None:
            roi = roi_to_pixel_polygon(sensor_model, image_request.region_of_interest)
            area = roi_window(roi, whole)
        regions = []
        if area is not None:
            check_tile_count(image_request, area, self.context.settings.max_tiles_per_image)
            regions = self.context.tiling.regions(
                area,
                self.context.settings.region_size,
                image_request.tile_size,
                image_request.overlap,
                image_id=image_id,
            )
        if roi is not None:
            regions = regions_meeting(regions, roi)
        if not regions:
            size = f"{image.width} x {image.height} pixels"
            raise InvalidRequestError(
                [f"regionOfInterest: does not overlap image {image.url} ({size})"],
                job_id=image_request.job_id,
            )
        return regions


def _resubmitted(record: ImageRecord, digest: str) -> bool:
    """Whether the row was started by a request with other values (not a redelivery of this one).
    A row without a digest was started by a request that could not be read, or by an older worker:
    it counts as another request once it finished."""
    if record.request_digest:
        return record.request_digest != digest
    return record.status.is_terminal


def check_stride(request: JobOptions, min_stride: int) -> None:
    """Refuse a tile overlap that leaves less than ``min_stride`` pixels between tile starts."""
    stride = request.tile_size - request.overlap
    if stride < min_stride:
        raise InvalidRequestError(
            [
                f"imageProcessorTileOverlap: tiles of {request.tile_size} pixels overlapping by "
                f"{request.overlap} start every {stride} pixels; at least {min_stride} are accepted "
                "(MIN_TILE_STRIDE): use less overlap or larger tiles"
            ],
            job_id=request.job_id,
        )


def check_tile_count(request: JobOptions, area: Window, max_tiles: int) -> None:
    """Refuse an image whose processed area is cut into more than ``max_tiles`` tiles."""
    count = grid_tile_count(area, request.tile_size, request.overlap)
    if count > max_tiles:
        raise InvalidRequestError(
            [
                f"imageProcessorTileSize: tiles of {request.tile_size} pixels overlapping by "
                f"{request.overlap} cut the {area.width} x {area.height} pixels to process into "
                f"{count} tiles, more than the {max_tiles} accepted (MAX_TILES_PER_IMAGE): use larger "
                "tiles, less overlap or a region of interest"
            ],
            job_id=request.job_id,
        )
