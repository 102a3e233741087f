"""The handlers: the base pair (image and region request handlers), image completion, the tile
runner, and the typed context and ports they depend on."""

from model_runner.handlers.context import HandlerContext
from model_runner.handlers.image_handler import ImageRequestHandler
from model_runner.handlers.region_handler import RegionRequestHandler, WorkInterruptedError

__all__ = ["HandlerContext", "ImageRequestHandler", "RegionRequestHandler", "WorkInterruptedError"]
