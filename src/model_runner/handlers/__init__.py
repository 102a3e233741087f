"""The base handler pair: the image request handler and the region request handler."""

from model_runner.handlers.image_handler import ImageRequestHandler
from model_runner.handlers.region_handler import RegionRequestHandler, WorkInterruptedError

__all__ = ["ImageRequestHandler", "RegionRequestHandler", "WorkInterruptedError"]
