"""Which HTTP model endpoints a request may make the worker call, and where exactly to connect.

A model URL must match MODEL_ENDPOINT_ALLOWLIST; its host is then resolved once and every address
it resolves to is judged (:mod:`model_runner.security.addresses`): link-local and instance-metadata
addresses are refused always, loopback only when the matching entry names a loopback host. The
call then connects to the address that was judged, sending the original name as Host header and
TLS server name, so a second resolution (DNS rebinding) cannot send it elsewhere. Resolutions are
reused for :data:`PIN_TTL_S`, then judged afresh.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import SplitResult, unquote, urlsplit

from model_runner.config import WorkerSettings
from model_runner.errors import InvalidRequestError
from model_runner.inference.invocation_error import ModelInvocationError
from model_runner.security import (
    AddressKind,
    IpAddress,
    ResolutionError,
    UrlAllowList,
    classify,
    display_url,
    is_loopback_name,
    resolve,
)

PIN_TTL_S = 60.0
MAX_PINS = 256
"""Judged URLs kept; beyond this, expired ones are dropped when a new one is judged."""
NAME_KEY = "imageProcessor.name"

Resolver = Callable[[str, int, float], list[IpAddress]]


class EndpointRefusedError(InvalidRequestError):
    """The request names a model endpoint the worker may not call; the problem names the key."""

    def __init__(self, reason: str) -> None:
        super().__init__([f"{NAME_KEY}: {reason}"])
        self.reason = reason


@dataclass(frozen=True)
class PinnedEndpoint:
    """A model URL that passed the guard, with the address the call connects to."""

    url: str
    scheme: str
    host: str
    port: int
    address: IpAddress
    target: str
    """Path and query, as sent in the request line."""

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        return host if self.port == default else f"{host}:{self.port}"


class EndpointGuard:
    """The allow-list and address rules of HTTP model endpoints; thread-safe."""

    def __init__(
        self, allowed: UrlAllowList, *, resolve_timeout_s: float = 5.0, resolver: Resolver = resolve
    ) -> None:
        self.allowed = allowed
        self._timeout_s = resolve_timeout_s
        self._resolver = resolver
        self._pins: dict[str, tuple[PinnedEndpoint, float]] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: WorkerSettings) -> EndpointGuard:
        return cls(
            UrlAllowList(settings.model_endpoint_allowlist),
            resolve_timeout_s=settings.model_connect_timeout_s,
        )

    def pin(self, url: str) -> PinnedEndpoint:
        """The endpoint of ``url`` with the address to connect to.

        Raises:
            EndpointRefusedError: the URL is not allowed or reaches a refused address (FAIL_JOB).
            ModelInvocationError: the name server did not answer in time (RETRY).
        """
        now = time.monotonic()
        with self._lock:
            cached = self._pins.get(url)
        if cached is not None and cached[1] > now:
            return cached[0]
        pinned = self._judge(url)
        with self._lock:
            if len(self._pins) >= MAX_PINS:
                self._pins = {key: value for key, value in self._pins.items() if value[1] > now}
            self._pins[url] = (pinned, now + PIN_TTL_S)
        return pinned

    def _judge(self, url: str) -> PinnedEndpoint:
        parts = urlsplit(url)
        shown = display_url(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise EndpointRefusedError(f"must be an http(s) URL (got {shown})")
        if parts.username is not None or parts.password is not None:
            raise EndpointRefusedError("must not carry credentials (user:password@); they are never sent")
        if any(segment in (".", "..") for segment in unquote(parts.path).split("/")):
            raise EndpointRefusedError(f"must not have . or .. path segments (got {shown})")
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:
            raise EndpointRefusedError(f"has an invalid port (got {shown})") from None
        rule = self.allowed.match(parts)
        if rule is None:
            raise EndpointRefusedError(
                f"{shown} is not in MODEL_ENDPOINT_ALLOWLIST ({self.allowed}); ask the operator to add it"
            )
        address = self._address(parts, port, allow_loopback=is_loopback_name(rule.host))
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        return PinnedEndpoint(url, parts.scheme, parts.hostname, port, address, target)

    def _address(self, parts: SplitResult, port: int, *, allow_loopback: bool) -> IpAddress:
        host = parts.hostname or ""
        try:
            addresses = self._resolver(host, port, self._timeout_s)
        except ResolutionError as error:
            if isinstance(error.__cause__, socket.gaierror) and error.__cause__.errno in _PERMANENT:
                raise EndpointRefusedError(f"host {host!r} does not resolve") from None
            raise ModelInvocationError(
                f"cannot resolve host {host!r}: {error}", endpoint=display_url(parts.geturl())
            ) from None
        for address in addresses:
            problem = address_problem(address, allow_loopback=allow_loopback)
            if problem is not None:
                raise EndpointRefusedError(f"host {host!r} resolves to {address}, {problem}")
        return addresses[0]


_PERMANENT = frozenset(
    code
    for code in (getattr(socket, name, None) for name in ("EAI_NONAME", "EAI_NODATA"))
    if code is not None
)


def address_problem(address: IpAddress, *, allow_loopback: bool) -> str | None:
    """Why the worker may not connect to ``address``, or None."""
    kind = classify(address)
    if kind is AddressKind.METADATA or kind is AddressKind.RESERVED:
        return f"a {kind.value} address, which is always refused"
    if kind is AddressKind.LOOPBACK and not allow_loopback:
        return "a loopback address, reached only through an allow-list entry naming a loopback host"
    return None
