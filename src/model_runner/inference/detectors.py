"""Detectors: one object per model endpoint that turns an encoded tile into the model's answer.

:class:`EndpointUtils` (the name the handler constructors use) builds the detector a request's
imageProcessor names, and keeps one per endpoint so connections are pooled across tiles.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Protocol, runtime_checkable

from pydantic import JsonValue

from model_runner.api import ImageProcessor, ModelInvocationType
from model_runner.errors import InvalidRequestError
from model_runner.inference.http_client import HttpModelClient
from model_runner.scheduling import PermitOnTheWire


class Detector(Protocol):
    """Sends one encoded tile to a model and returns the raw answer."""

    @property
    def endpoint(self) -> str:
        """The endpoint's name or URL, for messages and metrics."""
        ...

    def detect(self, tile: bytes, content_type: str) -> bytes:
        """The model's answer for ``tile``; raises ModelRunnerError with a reason on failure."""
        ...


@runtime_checkable
class OnTheWireDetector(Detector, Protocol):
    """A detector that can tell when its request goes out, so a call's permits are taken then
    rather than at its start (see :mod:`model_runner.scheduling.on_the_wire`)."""

    def detect_on_the_wire(self, tile: bytes, content_type: str, hold: PermitOnTheWire) -> bytes:
        """As :meth:`detect`, calling ``hold.sending()`` just before each request goes out."""
        ...


ModelCall = Callable[[bytes, str, PermitOnTheWire], bytes]
"""A call of one detector: the model's answer for an encoded tile of a content type, under permits."""


def model_call(detector: Detector) -> ModelCall:
    """How to call ``detector``: its permits are taken when the request goes out if it can tell
    when that is, else at once (any extension's detector). The caller gives them back when the
    call ends (``with hold``). Decided once per detector: a protocol check costs microseconds."""
    if isinstance(detector, OnTheWireDetector):
        return detector.detect_on_the_wire

    def at_once(tile: bytes, content_type: str, hold: PermitOnTheWire) -> bytes:
        hold.sending()
        return detector.detect(tile, content_type)

    return at_once


class HttpDetector:
    """A model container reached over HTTP (the request's imageProcessor.name is its URL), built
    only for URLs the client's endpoint guard accepts."""

    def __init__(self, client: HttpModelClient, url: str, parameters: Mapping[str, JsonValue]) -> None:
        client.check(url)
        self._client = client
        self._url = url
        attributes = parameters.get("CustomAttributes")
        self._custom_attributes = str(attributes) if attributes is not None else None

    @property
    def endpoint(self) -> str:
        return self._url

    def detect(self, tile: bytes, content_type: str) -> bytes:
        return self._client.invoke(self._url, tile, content_type, custom_attributes=self._custom_attributes)


class DetectorFactory(Protocol):
    """Builds the detector of one endpoint type."""

    def __call__(self, processor: ImageProcessor, parameters: Mapping[str, JsonValue]) -> Detector: ...


class EndpointUtils:
    """The detectors of the worker, by endpoint type; extensions add types with :meth:`support`."""

    def __init__(self, http_client: HttpModelClient) -> None:
        self._factories: dict[ModelInvocationType, DetectorFactory] = {
            ModelInvocationType.HTTP_ENDPOINT: lambda processor, parameters: HttpDetector(
                http_client, processor.name, parameters
            )
        }
        self._lock = threading.Lock()

    def support(self, endpoint_type: ModelInvocationType, factory: DetectorFactory) -> None:
        """Call endpoints of ``endpoint_type`` through detectors that ``factory`` builds."""
        with self._lock:
            self._factories[endpoint_type] = factory

    def factory(self, endpoint_type: ModelInvocationType) -> DetectorFactory | None:
        """The detector factory serving ``endpoint_type``, if any."""
        with self._lock:
            return self._factories.get(endpoint_type)

    def detector(self, processor: ImageProcessor, parameters: Mapping[str, JsonValue]) -> Detector:
        """The detector for a request's imageProcessor and imageProcessorParameters."""
        with self._lock:
            factory = self._factories.get(processor.type)
        if factory is None:
            supported = ", ".join(sorted(kind.value for kind in self._factories))
            reason = f"{processor.type.value} is not served by this worker (it serves {supported})"
            raise InvalidRequestError([f"imageProcessor.type: {reason}"])
        return factory(processor, parameters)
