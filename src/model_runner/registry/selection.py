"""Which handler pair processes a request, and building that pair (the extension guide's rules).

The request type is, in priority order: an explicit one (the worker's ``--request-type`` flag, or
for a region the pair that accepted its image), the ``REQUEST_TYPE`` setting, and the built-in
pair of the request's endpoint type (``http`` for HTTP_ENDPOINT, ``sm_endpoint`` for SM_ENDPOINT,
``async_sm_endpoint`` for SM_ENDPOINT_ASYNC). With ``USE_EXTENSIONS=false`` only that built-in
pair is used.

A pair declares the endpoint types it serves (``supported_endpoints``); a request it cannot serve
is refused with a status naming ``imageProcessor.type``. A pair that cannot be built (its
constructor needs what the worker lacks, or raises), cannot serve the request, or is switched off
by ``EXTENSION_BLOCKLIST`` gives way to the built-in pair of the endpoint type when
``EXTENSION_FALLBACK_ENABLED`` is true -- loudly, with a warning and a metric.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic_settings import BaseSettings

from model_runner.errors import InvalidRequestError
from model_runner.handlers import HandlerContext, ImageRequestHandler, RegionRequestHandler
from model_runner.registry.construction import construct
from model_runner.registry.errors import ExtensionError, UnknownRequestTypeError
from model_runner.registry.registrations import (
    BASE_REQUEST_TYPE,
    HandlerRegistration,
    HandlerRegistry,
    HandlerType,
)

logger = logging.getLogger(__name__)

REQUEST_TYPE_OF_ENDPOINT = {
    "HTTP_ENDPOINT": "http",
    "SM_ENDPOINT": "sm_endpoint",
    "SM_ENDPOINT_ASYNC": "async_sm_endpoint",
}
"""The built-in pair of each imageProcessor type."""


def select_request_type(
    *, explicit: str | None = None, configured: str | None = None, endpoint_type: str | None = None
) -> str:
    """The request type to use: ``explicit``, else ``configured``, else the endpoint's built-in pair."""
    return explicit or configured or builtin_request_type(endpoint_type)


def builtin_request_type(endpoint_type: str | None) -> str:
    """The built-in pair of an imageProcessor type (``http`` when there is none)."""
    return REQUEST_TYPE_OF_ENDPOINT.get(endpoint_type or "", BASE_REQUEST_TYPE)


@dataclass(frozen=True)
class HandlerPair:
    """The two handlers that process one request type, built and ready."""

    request_type: str
    region_handler: RegionRequestHandler
    image_handler: ImageRequestHandler
    region_registration: HandlerRegistration
    image_registration: HandlerRegistration
    fell_back: bool = False

    def serves(self, endpoint_type: str) -> bool:
        """Whether both handlers serve requests of ``endpoint_type``."""
        return self.region_registration.serves(endpoint_type) and self.image_registration.serves(
            endpoint_type
        )


class UnservedEndpointError(InvalidRequestError):
    """The selected pair does not serve the request's endpoint type: the request's images fail."""


FallbackListener = Callable[[str, ExtensionError], None]


class HandlerSelector:
    """Builds (once per request type) and hands out the handler pair of a request."""

    def __init__(
        self,
        registry: HandlerRegistry,
        context: HandlerContext,
        *,
        use_extensions: bool = True,
        fallback_enabled: bool = False,
        blocklist: Collection[str] = (),
        extension_settings: Mapping[str, BaseSettings] | None = None,
        on_fallback: FallbackListener | None = None,
    ) -> None:
        self._registry = registry
        self._context = context
        self._use_extensions = use_extensions
        self._fallback_enabled = fallback_enabled
        self._blocklist = frozenset(blocklist)
        self._extension_settings = dict(extension_settings or {})
        self._on_fallback = on_fallback
        self._pairs: dict[str, HandlerPair] = {}
        self._lock = threading.Lock()

    def pair_for(self, request_type: str, endpoint_type: str) -> HandlerPair:
        """The pair of ``request_type`` for a request of ``endpoint_type``, or the endpoint's
        built-in pair where the rules above say so.

        Raises:
            UnservedEndpointError: the pair does not serve the endpoint type (and no fallback).
            ExtensionError: the pair is unknown or cannot be built (and no fallback).
        """
        builtin = builtin_request_type(endpoint_type)
        wanted = request_type if self._use_extensions else builtin
        try:
            pair = self.pair(wanted)
        except ExtensionError as error:
            return self._fall_back(wanted, builtin, error)
        if pair.serves(endpoint_type):
            return pair
        served = ", ".join(pair.region_registration.supported_endpoints)
        refusal = UnservedEndpointError(
            [
                f"imageProcessor.type: {endpoint_type} is not served by the {wanted!r} handler pair "
                f"(it serves {served})"
            ]
        )
        if wanted == builtin or not self._fallback_enabled:
            raise refusal
        return self._fall_back(wanted, builtin, ExtensionError(str(refusal)))

    def pair(self, request_type: str) -> HandlerPair:
        """The pair registered for ``request_type``, built on first use.

        Raises:
            UnknownRequestTypeError: nothing usable is registered for it.
            ExtensionError: it cannot be built.
        """
        with self._lock:
            if request_type not in self._pairs:
                self._pairs[request_type] = self._build(request_type)
            return self._pairs[request_type]

    def _fall_back(self, wanted: str, builtin: str, error: ExtensionError) -> HandlerPair:
        if wanted == builtin or not self._fallback_enabled:
            raise error
        logger.warning("handler pair %r cannot be used, falling back to %r: %s", wanted, builtin, error)
        if self._on_fallback is not None:
            self._on_fallback(wanted, error)
        base = self.pair(builtin)
        return HandlerPair(
            wanted,
            base.region_handler,
            base.image_handler,
            base.region_registration,
            base.image_registration,
            fell_back=True,
        )

    def _registration(self, request_type: str, handler_type: HandlerType) -> HandlerRegistration:
        registration = self._registry.handler(request_type, handler_type)
        if registration.name in self._blocklist:
            raise UnknownRequestTypeError(
                f"the {handler_type.value} of request type {request_type!r} ({registration.name!r}) "
                f"is switched off by EXTENSION_BLOCKLIST"
            )
        return registration

    def _build(self, request_type: str) -> HandlerPair:
        region = self._registration(request_type, HandlerType.REGION_REQUEST_HANDLER)
        image = self._registration(request_type, HandlerType.IMAGE_REQUEST_HANDLER)
        region_handler: Any = construct(
            region.handler_class,
            self._context,
            handler_type=HandlerType.REGION_REQUEST_HANDLER,
            extras=self._extras(region),
        )
        image_handler: Any = construct(
            image.handler_class,
            self._context,
            handler_type=HandlerType.IMAGE_REQUEST_HANDLER,
            extras={"region_request_handler": region_handler, **self._extras(image)},
        )
        return HandlerPair(request_type, region_handler, image_handler, region, image)

    def _extras(self, registration: HandlerRegistration) -> dict[str, object]:
        settings = self._extension_settings.get(registration.name)
        return {} if settings is None else {"extension_settings": settings}
