"""``model-runner extensions``: what is registered, where it comes from, and what gets selected."""

from __future__ import annotations

from typing import TextIO

from model_runner.config import ExtensionSettings, load
from osml_extensions.discovery import load_extensions
from osml_extensions.registry import BASE_REQUEST_TYPE, HandlerType, get_registry
from osml_extensions.selection import REQUEST_TYPE_OF_ENDPOINT, select_request_type


def print_extensions(out: TextIO) -> int:
    """Print handlers, observers and the selection under the current environment; 1 on load failures."""
    settings = load(ExtensionSettings)
    report = load_extensions(settings.extension_modules)
    registry = get_registry()
    print("handlers:", file=out)
    for item in registry.handlers():
        endpoints = ", ".join(item.supported_endpoints) or "any"
        print(
            f"  {item.request_type:<20} {item.handler_type.value:<22} {item.name:<28} {item.source}", file=out
        )
        if item.description:
            print(f"  {'':<20} {'':<22} {item.description} (endpoints: {endpoints})", file=out)
    print("observers:", file=out)
    for observer in registry.observers():
        print(f"  {observer.name:<28} {observer.source}  {observer.description}", file=out)
    configured, use_extensions = settings.request_type, settings.use_extensions
    print(
        f"selection (REQUEST_TYPE={configured or '(unset)'}, USE_EXTENSIONS={str(use_extensions).lower()}, "
        f"EXTENSION_FALLBACK_ENABLED={str(settings.extension_fallback_enabled).lower()}):",
        file=out,
    )
    for endpoint, requested in REQUEST_TYPE_OF_ENDPOINT.items():
        chosen = select_request_type(requested=requested, configured=configured)
        print(
            f"  request with imageProcessor.type {endpoint:<18} -> {_pair(chosen, use_extensions)}", file=out
        )
    default = _pair(select_request_type(configured=configured), use_extensions)
    print(f"  request without imageProcessor.type {'':<15} -> {default}", file=out)
    for failure in report.failures:
        print(f"failed: {failure}", file=out)
    return 1 if report.failures else 0


def _pair(request_type: str, use_extensions: bool) -> str:
    chosen = request_type if use_extensions else BASE_REQUEST_TYPE
    registry = get_registry()
    if chosen not in registry.request_types():
        return f"{chosen}: not registered (known: {', '.join(registry.request_types())})"
    region = registry.handler(chosen, HandlerType.REGION_REQUEST_HANDLER).name
    image = registry.handler(chosen, HandlerType.IMAGE_REQUEST_HANDLER).name
    return f"{chosen} ({image} + {region})"
