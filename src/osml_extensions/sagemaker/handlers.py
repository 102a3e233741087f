"""The ``sm_endpoint`` handler pair (registered by :mod:`osml_extensions.builtin`).

With ``SM_SELF_THROTTLING`` on, a region takes one of (instances x THROTTLING_SCALE_FACTOR) slots
of its endpoint in the endpoint statistics table before its tiles are sent, and gives it back when
they are done; a region that finds every slot taken goes back to the queue for
THROTTLING_RETRY_TIMEOUT seconds. (A worker killed mid-region leaves its slot taken.)
"""

from __future__ import annotations

from collections.abc import Callable

from model_runner.api import ModelInvocationType, RegionRequest
from model_runner.errors import ModelRunnerError, QueueAction
from model_runner.handlers import ImageRequestHandler, RegionRequestHandler
from model_runner.handlers.tile_work import TileResults
from model_runner.imagery import ImageSource
from model_runner.inference.sagemaker import SageMakerDetectors
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
        raster_dataset: ImageSource,
        on_failure: Callable[[str, str], None],
    ) -> TileResults:
        """The base's tiles, inside one of the endpoint's region slots when self-throttling."""
        processor = region_request.image_processor
        endpoints = self.endpoint_utils.factory(ModelInvocationType.SM_ENDPOINT)
        instances = None
        if self.config.self_throttling and isinstance(endpoints, SageMakerDetectors):
            instances = endpoints.variants.instances(processor.name, processor.assumed_role)
        if instances is None:
            return super().run_region_tiles(region_request, tiles, raster_dataset, on_failure)
        limit = instances * self.config.throttling_scale_factor
        if not self.endpoint_statistics_table.try_acquire(processor.name, limit):
            raise EndpointSaturatedError(
                f"endpoint {processor.name} already has {limit} regions in flight ({instances} instances)"
            )
        try:
            return super().run_region_tiles(region_request, tiles, raster_dataset, on_failure)
        finally:
            self.endpoint_statistics_table.release(processor.name)


class SageMakerImageHandler(ImageRequestHandler):
    """Processes an image request whose model is a SageMaker endpoint."""
