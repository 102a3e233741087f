"""The extension registry: handler pairs by request type, observers of lifecycle events, and how
a worker discovers, selects and builds them. ``osml_extensions`` is its public import path."""

from model_runner.registry.construction import construct, constructing, dependencies
from model_runner.registry.discovery import ENTRY_POINT_GROUP, LoadReport, load_extensions
from model_runner.registry.errors import (
    ExtensionError,
    ExtensionLoadError,
    InjectionError,
    RegistrationError,
    UnknownRequestTypeError,
)
from model_runner.registry.extension_settings import load_extension_settings
from model_runner.registry.observers import build_observers
from model_runner.registry.registrations import (
    BASE_REQUEST_TYPE,
    HandlerRegistration,
    HandlerRegistry,
    HandlerType,
    ObserverRegistration,
    get_registry,
    register_handler,
    register_observer,
    reset_registry,
)
from model_runner.registry.selection import (
    REQUEST_TYPE_OF_ENDPOINT,
    HandlerPair,
    HandlerSelector,
    UnservedEndpointError,
    builtin_request_type,
    select_request_type,
)

__all__ = [
    "BASE_REQUEST_TYPE",
    "ENTRY_POINT_GROUP",
    "REQUEST_TYPE_OF_ENDPOINT",
    "ExtensionError",
    "ExtensionLoadError",
    "HandlerPair",
    "HandlerRegistration",
    "HandlerRegistry",
    "HandlerSelector",
    "HandlerType",
    "InjectionError",
    "LoadReport",
    "ObserverRegistration",
    "RegistrationError",
    "UnknownRequestTypeError",
    "UnservedEndpointError",
    "build_observers",
    "builtin_request_type",
    "construct",
    "constructing",
    "dependencies",
    "get_registry",
    "load_extension_settings",
    "load_extensions",
    "register_handler",
    "register_observer",
    "reset_registry",
    "select_request_type",
]
