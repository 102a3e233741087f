"""Builds handlers and observers by matching constructor parameter names to the worker's dependencies.

A handler declares what it needs by naming it (``region_request_table``, ``job_table``,
``region_status_monitor``, ``tiling_strategy``, ``config``, ...); :func:`construct` passes
exactly those. A required parameter nobody provides is an :class:`InjectionError` naming the class
and the parameter; an optional one keeps its default. A constructor that raises is reported as an
:class:`InjectionError` naming the class and the cause.

While a constructor runs, :func:`provided` answers the full set of dependencies, so a convenience
base class can take a few by name and fetch the rest (see :mod:`osml_extensions.base`).
"""

from __future__ import annotations

import contextvars
import inspect
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, TypeVar

from osml_extensions.errors import ExtensionError, InjectionError

Built = TypeVar("Built")

_providers: contextvars.ContextVar[Mapping[str, Any] | None] = contextvars.ContextVar(
    "osml_extensions_providers", default=None
)


def construct(cls: Callable[..., Built], providers: Mapping[str, Any]) -> Built:
    """Build ``cls`` (a class or factory function) with the providers its parameters name."""
    arguments: dict[str, Any] = {}
    positional: list[Any] = []
    for parameter in _parameters(cls):
        if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            continue
        if parameter.name in providers:
            value = providers[parameter.name]
            if parameter.kind is parameter.POSITIONAL_ONLY:
                positional.append(value)
            else:
                arguments[parameter.name] = value
        elif parameter.default is parameter.empty:
            known = ", ".join(sorted(providers))
            raise InjectionError(
                f"cannot build {_name(cls)}: its constructor needs "
                f"{parameter.name!r}, which the worker does not provide (it provides: {known})"
            )
    with _providing(providers):
        try:
            return cls(*positional, **arguments)
        except ExtensionError:
            raise
        except Exception as error:
            raise InjectionError(
                f"constructing {_name(cls)} failed: {type(error).__name__}: {error}"
            ) from error


def provided() -> Mapping[str, Any]:
    """The dependencies of the construction in progress; empty outside :func:`construct`."""
    return _providers.get() or {}


def _name(built: Callable[..., Any]) -> str:
    return f"{built.__module__}.{built.__qualname__}"


def _parameters(cls: Callable[..., Any]) -> list[inspect.Parameter]:
    try:
        signature = inspect.signature(cls)
    except (TypeError, ValueError) as error:
        raise InjectionError(f"cannot read the constructor of {_name(cls)}: {error}") from error
    return list(signature.parameters.values())


@contextmanager
def _providing(providers: Mapping[str, Any]) -> Iterator[None]:
    token = _providers.set(providers)
    try:
        yield
    finally:
        _providers.reset(token)
