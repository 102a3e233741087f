"""The built-in request types: ``http`` is the base handler pair itself."""

from __future__ import annotations

from model_runner.handlers import ImageRequestHandler, RegionRequestHandler
from osml_extensions.registry import BASE_REQUEST_TYPE, HandlerRegistry, HandlerType

BASE_ENDPOINTS = ("HTTP_ENDPOINT", "SM_ENDPOINT")


def register_builtins(registry: HandlerRegistry) -> None:
    """Register the base pair as ``http`` (again after a registry reset: idempotent)."""
    registry.register(
        RegionRequestHandler,
        request_type=BASE_REQUEST_TYPE,
        handler_type=HandlerType.REGION_REQUEST_HANDLER,
        name="base_region_handler",
        supported_endpoints=BASE_ENDPOINTS,
        description="Tiles of a region through the model, detections to the image workspace",
    )
    registry.register(
        ImageRequestHandler,
        request_type=BASE_REQUEST_TYPE,
        handler_type=HandlerType.IMAGE_REQUEST_HANDLER,
        name="base_image_handler",
        supported_endpoints=BASE_ENDPOINTS,
        description="Splits each image into regions, fans them out, processes the first",
    )
