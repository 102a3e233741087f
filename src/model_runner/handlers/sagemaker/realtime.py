"""The ``sm_endpoint`` handler pair (a built-in pair of the registry).

Its regions are the base's: capacity of the endpoint (and of the variant a request names) is
leased by the worker's scheduling cycle before a region starts (docs/scheduling.md).
"""

from __future__ import annotations

from model_runner.handlers.image_handler import ImageRequestHandler
from model_runner.handlers.region_handler import RegionRequestHandler

SAGEMAKER_REQUEST_TYPE = "sm_endpoint"
SAGEMAKER_ENDPOINTS = ("SM_ENDPOINT",)


class SageMakerRegionHandler(RegionRequestHandler):
    """Processes a region whose model is a SageMaker endpoint."""


class SageMakerImageHandler(ImageRequestHandler):
    """Processes an image request whose model is a SageMaker endpoint."""
