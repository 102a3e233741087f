"""The ``sm_endpoint`` handler pair (a built-in pair of the registry).

With ``SM_SELF_THROTTLING`` on, a region takes one of (instances x THROTTLING_SCALE_FACTOR) slots
of its endpoint in the endpoint statistics table before its tiles are sent, and gives it back when
they are done; a region that finds every slot taken goes back to the queue for
THROTTLING_RETRY_TIMEOUT seconds. (A worker killed mid-region leaves its slot taken.)
"""

from __future__ import annotations

from collections.abc import Callable

from model_runner.api import RegionRequest
from model_runner.errors import ModelRunnerError, QueueAction
from model_runner.handlers.image_handler import ImageRequestHandler
from model_runner.handlers.ports import Image
from model_runner.handlers.region_handler import RegionRequestHandler
from model_runner.handlers.tile_work import TileResults
from model_runner.tiling import Tile

SAGEMAKER_REQUEST_TYPE = "sm_endpoint"
SAGEMAKER_ENDPOINTS = ("SM_ENDPOINT",)


class EndpointSaturatedError(ModelRunnerError):
    """Every region slot of the endpoint is taken: the region is retried later."""

    action = QueueAction.RETRY


class SageMakerRegionHandler(RegionRequestHandler):
    """Processes a region whose model is a SageMaker endpoint, optionally self-throttled."""

    def run_region_tiles(
        self,
        region_request: RegionRequest,
        tiles: list[Tile],
        raster_dataset: Image,
        on_failure: Callable[[str, str], None],
    ) -> TileResults:
        """The base's tiles, inside one of the endpoint's region slots when self-throttling."""
        processor = region_request.image_processor
        settings, slots = self.context.settings, self.context.endpoint_slots
        instances = None
        if settings.self_throttling:
            instances = self.context.capacity.instances(processor.name, processor.assumed_role)
        if instances is None:
            return super().run_region_tiles(region_request, tiles, raster_dataset, on_failure)
        limit = instances * settings.throttling_scale_factor
        if not slots.try_acquire(processor.name, limit):
            raise EndpointSaturatedError(
                f"endpoint {processor.name} already has {limit} regions in flight ({instances} instances)"
            )
        try:
            return super().run_region_tiles(region_request, tiles, raster_dataset, on_failure)
        finally:
            slots.release(processor.name)


class SageMakerImageHandler(ImageRequestHandler):
    """Processes an image request whose model is a SageMaker endpoint."""
