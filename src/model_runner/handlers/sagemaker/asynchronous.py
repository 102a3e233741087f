"""The ``async_sm_endpoint`` handler pair (a built-in pair of the registry): regions whose model is
a SageMaker asynchronous endpoint (imageProcessor.type SM_ENDPOINT_ASYNC).

Only how tiles reach the model differs from the base pair (see
:mod:`model_runner.handlers.sagemaker.async_region`); the region's outcome is recorded, counted
and completed as the base handler does, and its input and output objects are removed afterwards.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from model_runner.api import RegionRequest
from model_runner.errors import ModelRunnerError, QueueAction
from model_runner.handlers.context import HandlerContext
from model_runner.handlers.image_handler import ImageRequestHandler
from model_runner.handlers.ports import Image
from model_runner.handlers.region_handler import RegionRequestHandler, WorkInterruptedError
from model_runner.handlers.sagemaker.async_inference import AsyncInference, missing_settings, region_key
from model_runner.handlers.sagemaker.async_region import AsyncRegionRun
from model_runner.handlers.tile_work import TileResults
from model_runner.tiling import Tile

logger = logging.getLogger(__name__)

ASYNC_REQUEST_TYPE = "async_sm_endpoint"
ASYNC_ENDPOINTS = ("SM_ENDPOINT_ASYNC",)


class AsyncNotConfiguredError(ModelRunnerError):
    """The worker lacks a setting asynchronous endpoints need: the region is recorded FAILED."""

    action = QueueAction.FAIL_JOB


class AsyncSageMakerRegionHandler(RegionRequestHandler):
    """Processes a region whose model is a SageMaker asynchronous endpoint."""

    def __init__(self, context: HandlerContext) -> None:
        super().__init__(context)
        self.async_inference = AsyncInference.from_settings(context.settings, context.clients)

    def run_region_tiles(
        self,
        region_request: RegionRequest,
        tiles: list[Tile],
        raster_dataset: Image,
        on_failure: Callable[[str, str], None],
    ) -> TileResults:
        """Submit the tiles to the asynchronous endpoint and wait until every one is terminal."""
        inference = self._inference()
        run = AsyncRegionRun(
            inference,
            inference.endpoint(region_request.image_processor, region_request.image_processor_parameters),
            tiles,
            raster_dataset,
            region_request,
            self.feature_writer(region_request, raster_dataset),
            stop=self.context.shutdown,
            on_failure=on_failure,
            on_round=self.context.progress,
        )
        results = run.run()
        if results is None:
            raise WorkInterruptedError(
                f"region {region_request.region_id}: stopped; its submitted tiles stay in the ledger"
            )
        return results

    def release_region_resources(self, region_request: RegionRequest) -> None:
        """Remove the region's input and output objects (the bucket's expiry catches any left)."""
        inference = self._inference()
        key = region_key(region_request.region_id)
        try:
            inference.objects.delete(inference.object_urls(key, inference.ledger.tiles(key)))
        except ModelRunnerError as error:
            logger.warning("cannot remove the asynchronous inference objects of %s: %s", key, error)

    def _inference(self) -> AsyncInference:
        if self.async_inference is None:
            missing = ", ".join(missing_settings(self.context.settings))
            raise AsyncNotConfiguredError(
                f"SM_ENDPOINT_ASYNC needs worker settings that are unset: {missing}"
            )
        return self.async_inference


class AsyncSageMakerImageHandler(ImageRequestHandler):
    """Processes an image request whose model is a SageMaker asynchronous endpoint."""
