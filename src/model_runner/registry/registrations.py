"""Handler and observer registration.

Each request type (``http``, ``sm_endpoint``, ``async_sm_endpoint`` or a third party's) has
exactly one region handler and one image handler. A handler class registers itself with
:func:`register_handler`; a second registration for a taken slot, or a reused name, is refused
unless it says ``override=True``. Observers of the worker's lifecycle events register with
:func:`register_observer`.

The registry validates a class when it is registered: a region handler must derive from
:class:`model_runner.handlers.RegionRequestHandler`, an image handler from
:class:`model_runner.handlers.ImageRequestHandler`; a request type must be a name REQUEST_TYPE
accepts; supported endpoints must be imageProcessor types. An observer is an object or class with
``on_event``, or a factory function returning one (or None: not wanted in this worker).

A handler or observer may declare its own settings (``settings=``, a pydantic-settings class read
from the environment): they are validated when the worker starts, and handed to its constructor
as the parameter ``extension_settings``.
"""

from __future__ import annotations

import enum
import inspect
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic_settings import BaseSettings

from model_runner.api import ModelInvocationType
from model_runner.handlers import ImageRequestHandler, RegionRequestHandler
from model_runner.registry.errors import RegistrationError, UnknownRequestTypeError

HandlerClass = TypeVar("HandlerClass", bound=type)
Registered = TypeVar("Registered")

BASE_REQUEST_TYPE = "http"
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")
_REQUEST_TYPE = re.compile(r"^[a-z][a-z0-9_]*$")  # what the REQUEST_TYPE setting accepts


class HandlerType(enum.Enum):
    """The two kinds of handler every request type has."""

    REGION_REQUEST_HANDLER = "region_request_handler"
    IMAGE_REQUEST_HANDLER = "image_request_handler"


@dataclass(frozen=True)
class HandlerRegistration:
    """One registered handler class and what it was registered for."""

    request_type: str
    handler_type: HandlerType
    name: str
    handler_class: type
    supported_endpoints: tuple[str, ...] = ()
    """imageProcessor types the handler serves; empty: any."""
    description: str = ""
    override: bool = False
    settings: type[BaseSettings] | None = None

    @property
    def source(self) -> str:
        """Where the class is defined (module and qualified name)."""
        return f"{self.handler_class.__module__}:{self.handler_class.__qualname__}"

    def serves(self, endpoint_type: str) -> bool:
        """Whether requests whose imageProcessor.type is ``endpoint_type`` may come to it."""
        return not self.supported_endpoints or endpoint_type in self.supported_endpoints


@dataclass(frozen=True)
class ObserverRegistration:
    """One registered observer of lifecycle events: a class or factory built by injection, or an instance."""

    name: str
    observer: Any
    description: str = ""
    settings: type[BaseSettings] | None = None

    @property
    def source(self) -> str:
        """Where the observer is defined."""
        kind = self.observer if self.built_per_worker else type(self.observer)
        return f"{kind.__module__}:{kind.__qualname__}"

    @property
    def built_per_worker(self) -> bool:
        """True for a class or factory function, built with the worker's dependencies at start-up."""
        return isinstance(self.observer, type) or inspect.isfunction(self.observer)


class HandlerRegistry:
    """Handlers by (request type, handler type), and observers by name. Thread-safe."""

    def __init__(self) -> None:
        self._handlers: dict[tuple[str, HandlerType], HandlerRegistration] = {}
        self._observers: dict[str, ObserverRegistration] = {}
        self._lock = threading.RLock()

    def register(
        self,
        handler_class: type,
        *,
        request_type: str,
        handler_type: HandlerType,
        name: str,
        supported_endpoints: Iterable[str] | None = None,
        description: str = "",
        override: bool = False,
        settings: type[BaseSettings] | None = None,
    ) -> HandlerRegistration:
        """Register ``handler_class`` for one slot; see the module docstring for the rules."""
        if not isinstance(handler_type, HandlerType):
            raise RegistrationError(
                f"handler_type must be HandlerType.REGION_REQUEST_HANDLER or "
                f"HandlerType.IMAGE_REQUEST_HANDLER, not {handler_type!r}"
            )
        _check_request_type(request_type)
        _check_identifier("name", name)
        _check_handler_class(handler_class, handler_type)
        _check_settings(name, settings)
        registration = HandlerRegistration(
            request_type=request_type,
            handler_type=handler_type,
            name=name,
            handler_class=handler_class,
            supported_endpoints=_checked_endpoints(supported_endpoints),
            description=description,
            override=override,
            settings=settings,
        )
        with self._lock:
            slot = (request_type, handler_type)
            taken = self._handlers.get(slot)
            if taken is not None and taken.handler_class is handler_class and taken.name == name:
                return taken  # the same module imported twice: not a conflict
            if taken is not None and not override:
                raise RegistrationError(
                    f"request type {request_type!r} already has a {handler_type.value} "
                    f"({taken.name!r}, {taken.source}); pass override=True to replace it with {name!r}"
                )
            same_name = next(
                (item for key, item in self._handlers.items() if item.name == name and key != slot), None
            )
            if same_name is not None and not override:
                raise RegistrationError(
                    f"handler name {name!r} is already used by {same_name.source} for "
                    f"{same_name.request_type!r}; choose another name or pass override=True"
                )
            if same_name is not None:
                del self._handlers[(same_name.request_type, same_name.handler_type)]
            self._handlers[slot] = registration
        return registration

    def register_observer(
        self,
        observer: Any,
        *,
        name: str,
        description: str = "",
        settings: type[BaseSettings] | None = None,
    ) -> ObserverRegistration:
        """Register an observer instance, or a class or factory function built by injection at start-up."""
        _check_identifier("name", name)
        _check_settings(name, settings)
        if not (inspect.isfunction(observer) or callable(getattr(observer, "on_event", None))):
            raise RegistrationError(
                f"observer {name!r} ({observer!r}) has no on_event(event) method; register an object or "
                f"class with one, or a function returning such an object"
            )
        registration = ObserverRegistration(
            name=name, observer=observer, description=description, settings=settings
        )
        with self._lock:
            taken = self._observers.get(name)
            if taken is not None and taken.observer is not observer:
                raise RegistrationError(
                    f"observer name {name!r} is already used by {taken.source}; choose another name"
                )
            self._observers[name] = registration
        return registration

    def handler(self, request_type: str, handler_type: HandlerType) -> HandlerRegistration:
        """The registration of one slot; raises with the known request types when there is none."""
        with self._lock:
            found = self._handlers.get((request_type, handler_type))
        if found is None:
            known = ", ".join(self.request_types()) or "none"
            raise UnknownRequestTypeError(
                f"no {handler_type.value} is registered for request type {request_type!r} "
                f"(known request types: {known})"
            )
        return found

    def is_registered(self, request_type: str, handler_type: HandlerType) -> bool:
        """Whether the slot of ``handler_type`` for ``request_type`` is taken."""
        with self._lock:
            return (request_type, handler_type) in self._handlers

    def request_types(self) -> list[str]:
        """Every request type with at least one registered handler, sorted."""
        with self._lock:
            return sorted({request_type for request_type, _ in self._handlers})

    def handlers(self) -> list[HandlerRegistration]:
        """Every handler registration, by request type then handler type."""
        with self._lock:
            return sorted(
                self._handlers.values(), key=lambda item: (item.request_type, item.handler_type.value)
            )

    def observer_names(self) -> set[str]:
        """The names of every registered observer."""
        with self._lock:
            return set(self._observers)

    def observers(self) -> list[ObserverRegistration]:
        """Every observer registration, in registration order (the order events reach them)."""
        with self._lock:
            return list(self._observers.values())


def _check_identifier(what: str, value: object) -> None:
    if not isinstance(value, str) or not _NAME.match(value):
        raise RegistrationError(
            f"{what} must be a non-empty identifier (letters, digits, '_', '-', '.'), not {value!r}"
        )


def _check_request_type(value: object) -> None:
    if not isinstance(value, str) or not _REQUEST_TYPE.match(value):
        raise RegistrationError(
            f"request_type must be lower case letters, digits and '_', starting with a letter "
            f"(what REQUEST_TYPE accepts), not {value!r}"
        )


def _check_settings(name: str, settings: object) -> None:
    if settings is not None and not (isinstance(settings, type) and issubclass(settings, BaseSettings)):
        raise RegistrationError(
            f"settings of {name!r} must be a pydantic-settings BaseSettings class, not {settings!r}"
        )


def _checked_endpoints(supported_endpoints: Iterable[str] | None) -> tuple[str, ...]:
    known = [kind.value for kind in ModelInvocationType]
    if isinstance(supported_endpoints, str):
        raise RegistrationError(
            f"supported_endpoints must be a list of endpoint types, not the string {supported_endpoints!r}; "
            f"write ({supported_endpoints!r},)"
        )
    endpoints = tuple(supported_endpoints or ())
    unknown = [endpoint for endpoint in endpoints if endpoint not in known]
    if unknown:
        raise RegistrationError(
            f"supported_endpoints {unknown!r} are not imageProcessor types (known: {', '.join(known)})"
        )
    return endpoints


def _check_handler_class(handler_class: object, handler_type: HandlerType) -> None:
    expected: type = (
        RegionRequestHandler if handler_type is HandlerType.REGION_REQUEST_HANDLER else ImageRequestHandler
    )
    if not isinstance(handler_class, type) or not issubclass(handler_class, expected):
        raise RegistrationError(
            f"{handler_class!r} cannot be a {handler_type.value}: it must be a class deriving from "
            f"{expected.__module__}.{expected.__qualname__}"
        )


_registry: HandlerRegistry | None = None
_registry_lock = threading.Lock()


def get_registry() -> HandlerRegistry:
    """The process-wide registry that :func:`register_handler` fills."""
    global _registry  # noqa: PLW0603 - the one process-wide registry, created on first use
    with _registry_lock:
        if _registry is None:
            _registry = HandlerRegistry()
        return _registry


def reset_registry() -> HandlerRegistry:
    """Replace the process-wide registry with an empty one (for tests); returns the new one."""
    global _registry  # noqa: PLW0603
    with _registry_lock:
        _registry = HandlerRegistry()
        return _registry


def register_handler(
    request_type: str,
    handler_type: HandlerType,
    name: str,
    supported_endpoints: Iterable[str] | None = None,
    description: str = "",
    *,
    override: bool = False,
    settings: type[BaseSettings] | None = None,
) -> Callable[[HandlerClass], HandlerClass]:
    """Class decorator: register the class in the process-wide registry and return it unchanged."""

    def decorate(handler_class: HandlerClass) -> HandlerClass:
        get_registry().register(
            handler_class,
            request_type=request_type,
            handler_type=handler_type,
            name=name,
            supported_endpoints=supported_endpoints,
            description=description,
            override=override,
            settings=settings,
        )
        return handler_class

    return decorate


def register_observer(
    name: str, description: str = "", *, settings: type[BaseSettings] | None = None
) -> Callable[[Registered], Registered]:
    """Decorator: register an observer class or factory function (built by injection at start-up)."""

    def decorate(observer_class: Registered) -> Registered:
        get_registry().register_observer(
            observer_class, name=name, description=description, settings=settings
        )
        return observer_class

    return decorate
