"""The ``sm_endpoint`` handler pair (registered by :mod:`osml_extensions.builtin`)."""

from __future__ import annotations

from model_runner.handlers import ImageRequestHandler, RegionRequestHandler

SAGEMAKER_REQUEST_TYPE = "sm_endpoint"
SAGEMAKER_ENDPOINTS = ("SM_ENDPOINT",)


class SageMakerRegionHandler(RegionRequestHandler):
    """Processes a region whose model is a SageMaker endpoint."""


class SageMakerImageHandler(ImageRequestHandler):
    """Processes an image request whose model is a SageMaker endpoint."""
