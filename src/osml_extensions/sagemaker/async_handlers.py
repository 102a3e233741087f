"""The ``async_sm_endpoint`` handler pair (registered by :mod:`osml_extensions.builtin`): regions
whose model is a SageMaker asynchronous endpoint (imageProcessor.type SM_ENDPOINT_ASYNC).

Only how tiles reach the model differs from the base pair (see
:mod:`osml_extensions.sagemaker.async_region`); the region's outcome is recorded, counted and
completed as the base handler does, and its input and output objects are removed afterwards.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from model_runner.api import RegionRequest
from model_runner.aws.job_table import JobTable
from model_runner.aws.region_table import RegionTable
from model_runner.config import WorkerSettings
from model_runner.errors import ModelRunnerError, QueueAction
from model_runner.events import EventBus
from model_runner.handlers import ImageRequestHandler, RegionRequestHandler, WorkInterruptedError
from model_runner.handlers.tile_work import TileResults
from model_runner.imagery import ImageSource
from model_runner.inference.detectors import EndpointUtils
from model_runner.tiling import Tile, TilingStrategy
from osml_extensions.sagemaker.async_inference import AsyncInference, missing_settings
from osml_extensions.sagemaker.async_region import AsyncRegionRun

logger = logging.getLogger(__name__)

ASYNC_REQUEST_TYPE = "async_sm_endpoint"
ASYNC_ENDPOINTS = ("SM_ENDPOINT_ASYNC",)


class AsyncNotConfiguredError(ModelRunnerError):
    """The worker lacks a setting asynchronous endpoints need: the region is recorded FAILED."""

    action = QueueAction.FAIL_JOB


class AsyncSageMakerRegionHandler(RegionRequestHandler):
    """Processes a region whose model is a SageMaker asynchronous endpoint."""

    def __init__(
        self,
        region_request_table: RegionTable,
        job_table: JobTable,
        region_status_monitor: EventBus,
        endpoint_statistics_table: Any,
        tiling_strategy: TilingStrategy,
        endpoint_utils: EndpointUtils,
        config: WorkerSettings,
        *,
        async_inference: AsyncInference | None = None,
        **collaborators: Any,
    ) -> None:
        super().__init__(
            region_request_table,
            job_table,
            region_status_monitor,
            endpoint_statistics_table,
            tiling_strategy,
            endpoint_utils,
            config,
            **collaborators,
        )
        self.async_inference = async_inference

    def run_region_tiles(
        self,
        region_request: RegionRequest,
        tiles: list[Tile],
        raster_dataset: ImageSource,
        on_failure: Callable[[str, str], None],
    ) -> TileResults:
        """Submit the tiles to the asynchronous endpoint and wait until every one is terminal."""
        inference = self.async_inference
        if inference is None:
            missing = ", ".join(missing_settings(self.config))
            raise AsyncNotConfiguredError(
                f"SM_ENDPOINT_ASYNC needs worker settings that are unset: {missing}"
            )
        run = AsyncRegionRun(
            inference,
            inference.endpoint(region_request.image_processor, region_request.image_processor_parameters),
            tiles,
            raster_dataset,
            region_request,
            stop=self.shutdown,
            on_failure=on_failure,
        )
        results = run.run()
        if results is None:
            raise WorkInterruptedError(
                f"region {region_request.region_id}: stopped; its submitted tiles stay in the ledger"
            )
        results.after_recorded = lambda: self._clean_up(run)
        return results

    def _clean_up(self, run: AsyncRegionRun) -> None:
        """Remove the region's input and output objects (the bucket's expiry catches any left)."""
        inference = self.async_inference
        assert inference is not None
        try:
            inference.objects.delete(run.object_urls(inference.ledger.tiles(run.region_key)))
        except ModelRunnerError as error:
            logger.warning(
                "cannot remove the asynchronous inference objects of %s: %s", run.region_key, error
            )


class AsyncSageMakerImageHandler(ImageRequestHandler):
    """Processes an image request whose model is a SageMaker asynchronous endpoint."""
