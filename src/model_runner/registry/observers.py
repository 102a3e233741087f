"""Builds the registered observers of lifecycle events for one worker.

An observer registered as an instance is used as it is; a class or factory function is built from
the handler context (by parameter name, like handlers). A factory may return None: that observer
is not wanted in this worker (e.g. metrics when METRICS_ENABLED is false). An observer named in
EXTENSION_BLOCKLIST is not built. An observer that cannot be built is skipped with a warning when
``fallback_enabled``, and stops start-up otherwise.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Mapping
from typing import cast

from pydantic_settings import BaseSettings

from model_runner.events import Observer
from model_runner.handlers import HandlerContext
from model_runner.registry.construction import construct
from model_runner.registry.errors import ExtensionError, InjectionError
from model_runner.registry.registrations import HandlerRegistry, ObserverRegistration

logger = logging.getLogger(__name__)


def build_observers(
    registry: HandlerRegistry,
    context: HandlerContext,
    *,
    fallback_enabled: bool = False,
    blocklist: Collection[str] = (),
    extension_settings: Mapping[str, BaseSettings] | None = None,
    on_skip: Callable[[str, ExtensionError], None] | None = None,
) -> list[tuple[str, Observer]]:
    """The registered observers (name, observer) in registration order, ready to subscribe."""
    built: list[tuple[str, Observer]] = []
    for registration in registry.observers():
        if registration.name in blocklist:
            logger.info("observer %r is switched off by EXTENSION_BLOCKLIST", registration.name)
            continue
        settings = (extension_settings or {}).get(registration.name)
        try:
            observer = _build(registration, context, settings)
        except ExtensionError as error:
            if not fallback_enabled:
                raise
            logger.warning("observer %r cannot be used and is skipped: %s", registration.name, error)
            if on_skip is not None:
                on_skip(registration.name, error)
            continue
        if observer is not None:
            built.append((registration.name, observer))
    return built


def _build(
    registration: ObserverRegistration, context: HandlerContext, settings: BaseSettings | None
) -> Observer | None:
    if not registration.built_per_worker:
        return cast(Observer, registration.observer)
    extras = {} if settings is None else {"extension_settings": settings}
    observer = construct(registration.observer, context, extras=extras)
    if observer is not None and not callable(getattr(observer, "on_event", None)):
        raise InjectionError(
            f"observer {registration.name!r} ({registration.source}) built {observer!r}, "
            f"which has no on_event(event) method"
        )
    return cast(Observer | None, observer)
