"""What a request may make the worker read and call, checked before anything is read or called.

Every ``imageUrls`` entry must be a location the worker reads
(:class:`~model_runner.api.image_locations.ImageLocations`), an https image host must not resolve
to a link-local or metadata address, and an HTTP model must pass the
:class:`~model_runner.inference.EndpointGuard`. A refusal fails the request's images with one
problem per key, like any other invalid request.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from model_runner.api import ImageRequest, ModelInvocationType
from model_runner.api.image_locations import ImageLocations
from model_runner.config import WorkerSettings
from model_runner.errors import InvalidRequestError
from model_runner.inference import EndpointGuard, EndpointRefusedError
from model_runner.inference.endpoint_guard import address_problem
from model_runner.security import ResolutionError, is_loopback_name, resolve


class RequestIntake:
    """The intake checks of one worker."""

    def __init__(self, locations: ImageLocations, endpoints: EndpointGuard, resolve_timeout_s: float) -> None:
        self.locations = locations
        self.endpoints = endpoints
        self._timeout_s = resolve_timeout_s

    @classmethod
    def from_settings(cls, settings: WorkerSettings) -> RequestIntake:
        return cls(
            ImageLocations.from_settings(settings),
            EndpointGuard.from_settings(settings),
            settings.model_connect_timeout_s,
        )

    def check(self, request: ImageRequest) -> None:
        """Raise if the request names a location or model the worker may not use.

        Raises:
            InvalidRequestError: one "key: reason" problem per refused imageUrls entry or model.
            ModelInvocationError: a model host's name server did not answer in time (retried).
        """
        problems = []
        for index, url in enumerate(request.image_urls):
            problem = self.locations.problem(url) or self._https_host_problem(url)
            if problem is not None:
                problems.append(f"imageUrls[{index}]: {problem}")
        if request.image_processor.type is ModelInvocationType.HTTP_ENDPOINT:
            try:
                self.endpoints.pin(request.image_processor.name)
            except EndpointRefusedError as error:
                problems.extend(error.problems)
        if problems:
            raise InvalidRequestError(problems, job_id=request.job_id)

    def _https_host_problem(self, url: str) -> str | None:
        """GDAL resolves an https image's host itself: refuse one that resolves to a metadata or
        link-local address now (docs/security.md explains what remains)."""
        parts = urlsplit(url)
        if parts.scheme.lower() != "https" or not parts.hostname:
            return None
        try:
            addresses = resolve(parts.hostname, parts.port or 443, self._timeout_s)
        except ResolutionError as error:
            return f"host {parts.hostname!r}: {error}"
        for address in addresses:
            problem = address_problem(address, allow_loopback=is_loopback_name(parts.hostname))
            if problem is not None:
                return f"host {parts.hostname!r} resolves to {address}, {problem}"
        return None
