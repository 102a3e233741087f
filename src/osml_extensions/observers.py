"""Builds the registered observers of lifecycle events for one worker.

An observer registered as an instance is used as it is; a class or factory function is built with
the worker's dependencies (by parameter name, like handlers). A factory may return None: that
observer is not wanted in this worker (e.g. metrics when METRICS_ENABLED is false). An observer that
cannot be built is skipped with a warning when ``fallback_enabled``, and stops start-up otherwise.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any, cast

from model_runner.events import Observer
from osml_extensions.errors import ExtensionError, InjectionError
from osml_extensions.injection import construct
from osml_extensions.registry import HandlerRegistry, ObserverRegistration

logger = logging.getLogger(__name__)


def build_observers(
    registry: HandlerRegistry,
    providers: Mapping[str, Any],
    *,
    fallback_enabled: bool = False,
    on_skip: Callable[[str, ExtensionError], None] | None = None,
) -> list[Observer]:
    """The registered observers in registration order, ready to subscribe."""
    built: list[Observer] = []
    for registration in registry.observers():
        try:
            observer = _build(registration, providers)
        except ExtensionError as error:
            if not fallback_enabled:
                raise
            logger.warning("observer %r cannot be used and is skipped: %s", registration.name, error)
            if on_skip is not None:
                on_skip(registration.name, error)
            continue
        if observer is not None:
            built.append(observer)
    return built


def _build(registration: ObserverRegistration, providers: Mapping[str, Any]) -> Observer | None:
    if not registration.built_per_worker:
        return cast(Observer, registration.observer)
    observer = construct(registration.observer, providers)
    if observer is not None and not callable(getattr(observer, "on_event", None)):
        raise InjectionError(
            f"observer {registration.name!r} ({registration.source}) built {observer!r}, "
            f"which has no on_event(event) method"
        )
    return cast(Observer | None, observer)
