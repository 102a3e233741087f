"""Which handler pair processes a request, and building that pair.

The request type is, in priority order: an explicit one (a parameter or the worker's
``--request-type`` flag), the type the request itself names (its imageProcessor.type, when the
request gives one), the ``REQUEST_TYPE`` setting, and finally ``http``, the base pair.

With ``USE_EXTENSIONS=false`` every request gets the base pair. A selected pair that cannot be
built (its constructor needs what the worker lacks, or raises) falls back to the base pair when
``EXTENSION_FALLBACK_ENABLED`` is true -- loudly, with a warning and a metric -- and otherwise
raises, so that a worker refuses to start on a broken extension.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from osml_extensions.errors import ExtensionError, UnknownRequestTypeError
from osml_extensions.injection import construct
from osml_extensions.registry import BASE_REQUEST_TYPE, HandlerRegistry, HandlerType

logger = logging.getLogger(__name__)

REQUEST_TYPE_OF_ENDPOINT = {
    "HTTP_ENDPOINT": "http",
    "SM_ENDPOINT": "sm_endpoint",
    "SM_ENDPOINT_ASYNC": "async_sm_endpoint",
}
"""The request type an ImageRequest selects by naming its imageProcessor.type."""

_SHORT_NAMES = {
    HandlerType.REGION_REQUEST_HANDLER: {"table": "region_request_table", "monitor": "region_status_monitor"},
    HandlerType.IMAGE_REQUEST_HANDLER: {"table": "job_table", "monitor": "image_status_monitor"},
}
"""The guide's ``(config, table, monitor)`` constructor names, per handler type."""


def select_request_type(
    *, explicit: str | None = None, requested: str | None = None, configured: str | None = None
) -> str:
    """The request type to use: ``explicit``, else ``requested``, else ``configured``, else http."""
    return explicit or requested or configured or BASE_REQUEST_TYPE


@dataclass(frozen=True)
class HandlerPair:
    """The two handlers that process one request type, built and ready."""

    request_type: str
    region_handler: Any
    image_handler: Any
    fell_back: bool = False


FallbackListener = Callable[[str, ExtensionError], None]


class HandlerSelector:
    """Builds (once per request type) and hands out the handler pair of a request type."""

    def __init__(
        self,
        registry: HandlerRegistry,
        providers: Mapping[str, Any],
        *,
        use_extensions: bool = True,
        fallback_enabled: bool = False,
        on_fallback: FallbackListener | None = None,
    ) -> None:
        self._registry = registry
        self._providers = dict(providers)
        self._use_extensions = use_extensions
        self._fallback_enabled = fallback_enabled
        self._on_fallback = on_fallback
        self._pairs: dict[str, HandlerPair] = {}
        self._lock = threading.Lock()

    def pair(self, request_type: str) -> HandlerPair:
        """The pair for ``request_type`` (the base pair when extensions are off)."""
        wanted = request_type if self._use_extensions else BASE_REQUEST_TYPE
        with self._lock:
            if wanted not in self._pairs:
                self._pairs[wanted] = self._build_or_fall_back(wanted)
            return self._pairs[wanted]

    def _build_or_fall_back(self, request_type: str) -> HandlerPair:
        try:
            return self._build(request_type)
        except UnknownRequestTypeError:
            raise
        except ExtensionError as error:
            if request_type == BASE_REQUEST_TYPE or not self._fallback_enabled:
                raise
            logger.warning(
                "extension %r cannot be used, falling back to the base handlers: %s", request_type, error
            )
            if self._on_fallback is not None:
                self._on_fallback(request_type, error)
            base = self._build(BASE_REQUEST_TYPE)
            return HandlerPair(request_type, base.region_handler, base.image_handler, fell_back=True)

    def _build(self, request_type: str) -> HandlerPair:
        region_registration = self._registry.handler(request_type, HandlerType.REGION_REQUEST_HANDLER)
        image_registration = self._registry.handler(request_type, HandlerType.IMAGE_REQUEST_HANDLER)
        region_handler = construct(
            region_registration.handler_class, _for(HandlerType.REGION_REQUEST_HANDLER, self._providers)
        )
        image_handler = construct(
            image_registration.handler_class,
            _for(
                HandlerType.IMAGE_REQUEST_HANDLER,
                {**self._providers, "region_request_handler": region_handler},
            ),
        )
        return HandlerPair(request_type, region_handler, image_handler)


def _for(handler_type: HandlerType, providers: Mapping[str, Any]) -> dict[str, Any]:
    """The providers plus the guide's short names ``table`` and ``monitor`` for ``handler_type``."""
    aliases = _SHORT_NAMES[handler_type]
    return {**providers, **{alias: providers[name] for alias, name in aliases.items() if name in providers}}
