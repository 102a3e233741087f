"""Registration of handlers and observers: the extension guide's import path
(``from osml_extensions.registry import register_handler, HandlerType``)."""

from model_runner.registry import (
    HandlerRegistration,
    HandlerRegistry,
    HandlerType,
    ObserverRegistration,
    get_registry,
    register_handler,
    register_observer,
    reset_registry,
)

__all__ = [
    "HandlerRegistration",
    "HandlerRegistry",
    "HandlerType",
    "ObserverRegistration",
    "get_registry",
    "register_handler",
    "register_observer",
    "reset_registry",
]
