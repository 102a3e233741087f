"""Builds handlers and observers from the handler context, by constructor parameter name.

A handler written for this project takes ``context`` (the typed
:class:`~model_runner.handlers.HandlerContext`) and, for an image handler,
``region_request_handler``. Handlers written against the extension guide or the reference name
their collaborators instead (``config``, ``table``, ``monitor``, ``job_table``, ...):
:func:`dependencies` says which part of the context each of those names stands for. A required
parameter that names nothing known is an :class:`InjectionError` naming the class and the
parameter; a constructor that raises is reported as an InjectionError naming the cause.

While a constructor runs, :func:`constructing` answers the context it is built from, so the
compatibility base classes of :mod:`osml_extensions` fill in what their reference signatures do
not name. Nothing else reads it.
"""

from __future__ import annotations

import contextvars
import inspect
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, TypeVar

from model_runner.handlers.context import HandlerContext
from model_runner.registry.errors import ExtensionError, InjectionError
from model_runner.registry.registrations import HandlerType

Built = TypeVar("Built")

_context: contextvars.ContextVar[HandlerContext | None] = contextvars.ContextVar(
    "model_runner_constructing", default=None
)

_SHORT_NAMES = {
    HandlerType.REGION_REQUEST_HANDLER: {"table": "region_request_table", "monitor": "region_status_monitor"},
    HandlerType.IMAGE_REQUEST_HANDLER: {"table": "job_table", "monitor": "image_status_monitor"},
}
"""The extension guide's ``(config, table, monitor)`` constructor names, per handler type."""


def dependencies(context: HandlerContext, handler_type: HandlerType | None = None) -> dict[str, object]:
    """Every constructor parameter name the registry fills, and what it fills it with."""
    named: dict[str, object] = {
        "context": context,
        "config": context.settings,
        "job_table": context.jobs,
        "region_request_table": context.regions,
        "region_status_monitor": context.events,
        "image_status_monitor": context.events,
        "endpoint_statistics_table": context.schedule,
        "tiling_strategy": context.tiling,
        "region_request_queue": context.region_queue,
        "endpoint_utils": context.models,
        "clients": context.clients,
    }
    if handler_type is not None:
        named.update({alias: named[name] for alias, name in _SHORT_NAMES[handler_type].items()})
    return named


def construct(
    cls: Callable[..., Built],
    context: HandlerContext,
    *,
    handler_type: HandlerType | None = None,
    extras: Mapping[str, object] | None = None,
) -> Built:
    """Build ``cls`` (a class or factory function) with what its parameters name."""
    available = {**dependencies(context, handler_type), **(extras or {})}
    arguments: dict[str, Any] = {}
    positional: list[Any] = []
    for parameter in _parameters(cls):
        if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            continue
        if parameter.name in available:
            value = available[parameter.name]
            if parameter.kind is parameter.POSITIONAL_ONLY:
                positional.append(value)
            else:
                arguments[parameter.name] = value
        elif parameter.default is parameter.empty:
            known = ", ".join(sorted(available))
            raise InjectionError(
                f"cannot build {_name(cls)}: its constructor needs "
                f"{parameter.name!r}, which the worker does not provide (it provides: {known})"
            )
    with _constructing_from(context):
        try:
            return cls(*positional, **arguments)
        except ExtensionError:
            raise
        except Exception as error:
            raise InjectionError(
                f"constructing {_name(cls)} failed: {type(error).__name__}: {error}"
            ) from error


def constructing(owner: object) -> HandlerContext:
    """The context the registry is building ``owner`` from.

    Raises:
        InjectionError: ``owner`` is not being built by the registry.
    """
    context = _context.get()
    if context is None:
        raise InjectionError(
            f"{type(owner).__qualname__} takes its other collaborators from the worker: build it "
            f"through the extension registry (model_runner.registry.construct)"
        )
    return context


def _name(built: Callable[..., Any]) -> str:
    return f"{built.__module__}.{built.__qualname__}"


def _parameters(cls: Callable[..., Any]) -> list[inspect.Parameter]:
    try:
        signature = inspect.signature(cls)
    except (TypeError, ValueError) as error:
        raise InjectionError(f"cannot read the constructor of {_name(cls)}: {error}") from error
    return list(signature.parameters.values())


@contextmanager
def _constructing_from(context: HandlerContext) -> Iterator[None]:
    token = _context.set(context)
    try:
        yield
    finally:
        _context.reset(token)
