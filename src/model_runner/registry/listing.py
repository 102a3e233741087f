"""``model-runner extensions``: what is registered, where it comes from, and what gets selected."""

from __future__ import annotations

from typing import TextIO

from model_runner.config import ExtensionSettings, load
from model_runner.registry.discovery import load_extensions
from model_runner.registry.registrations import HandlerRegistry, HandlerType, get_registry
from model_runner.registry.selection import (
    REQUEST_TYPE_OF_ENDPOINT,
    builtin_request_type,
    select_request_type,
)


def print_extensions(out: TextIO) -> int:
    """Print handlers, observers and the selection under the current environment; 1 on load failures.

    Raises:
        ConfigurationError: a selection setting is invalid.
    """
    settings = load(ExtensionSettings)
    report = load_extensions(settings.extension_modules)
    registry = get_registry()
    blocked = set(settings.extension_blocklist)
    print("handlers:", file=out)
    for item in registry.handlers():
        endpoints = ", ".join(item.supported_endpoints) or "any"
        state = "  (switched off)" if item.name in blocked else ""
        print(
            f"  {item.request_type:<20} {item.handler_type.value:<22} {item.name:<34} {item.source}{state}",
            file=out,
        )
        if item.description:
            print(f"  {'':<20} {'':<22} {item.description} (endpoints: {endpoints})", file=out)
    print("observers:", file=out)
    for observer in registry.observers():
        state = "  (switched off)" if observer.name in blocked else ""
        print(f"  {observer.name:<28} {observer.source}  {observer.description}{state}", file=out)
    print(
        f"selection (REQUEST_TYPE={settings.request_type or '(unset)'}, "
        f"USE_EXTENSIONS={str(settings.use_extensions).lower()}, "
        f"EXTENSION_FALLBACK_ENABLED={str(settings.extension_fallback_enabled).lower()}):",
        file=out,
    )
    for endpoint in REQUEST_TYPE_OF_ENDPOINT:
        wanted = select_request_type(configured=settings.request_type, endpoint_type=endpoint)
        if not settings.use_extensions:
            wanted = builtin_request_type(endpoint)
        chosen = _describe(registry, wanted, endpoint, blocked, settings.extension_fallback_enabled)
        print(f"  request with imageProcessor.type {endpoint:<18} -> {chosen}", file=out)
    for failure in report.failures:
        print(f"failed: {failure}", file=out)
    return 1 if report.failures else 0


def _describe(
    registry: HandlerRegistry, request_type: str, endpoint: str, blocked: set[str], fallback: bool
) -> str:
    """The pair a request of ``endpoint`` gets, or why it gets none."""
    builtin = builtin_request_type(endpoint)
    problem = _problem(registry, request_type, endpoint, blocked)
    if problem is None:
        region = registry.handler(request_type, HandlerType.REGION_REQUEST_HANDLER).name
        image = registry.handler(request_type, HandlerType.IMAGE_REQUEST_HANDLER).name
        return f"{request_type} ({image} + {region})"
    if fallback and request_type != builtin:
        return f"{_describe(registry, builtin, endpoint, blocked, False)}, falling back: {problem}"
    return f"refused: {problem}"


def _problem(registry: HandlerRegistry, request_type: str, endpoint: str, blocked: set[str]) -> str | None:
    if request_type not in registry.request_types():
        return f"{request_type} is not registered (known: {', '.join(registry.request_types())})"
    for handler_type in HandlerType:
        if not registry.is_registered(request_type, handler_type):
            return f"{request_type} has no {handler_type.value}"
        registration = registry.handler(request_type, handler_type)
        if registration.name in blocked:
            return f"{registration.name} is switched off by EXTENSION_BLOCKLIST"
        if not registration.serves(endpoint):
            return f"{request_type} does not serve {endpoint}"
    return None
