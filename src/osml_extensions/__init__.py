"""The public import path of the extension registry, as the extension guide writes it.

The registry itself lives in :mod:`model_runner.registry`; this package re-exports it, and offers
the base classes extension code written for the guide or the reference subclasses:
:class:`BaseRegionHandler` (``(config, table, monitor)``) and the reference-signature
:class:`RegionRequestHandler` and :class:`ImageRequestHandler`.
"""

from model_runner.handlers import HandlerContext
from osml_extensions.base import BaseRegionHandler
from osml_extensions.reference import ImageRequestHandler, RegionRequestHandler
from osml_extensions.registry import HandlerType, get_registry, register_handler, register_observer

__all__ = [
    "BaseRegionHandler",
    "HandlerContext",
    "HandlerType",
    "ImageRequestHandler",
    "RegionRequestHandler",
    "get_registry",
    "register_handler",
    "register_observer",
]
