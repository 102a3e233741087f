"""Allow-lists of URLs: each entry a host (``host`` or ``host:port``) or a URL prefix
(``https://host[:port]/path``), matched on parsed parts, never on raw text, so that
``https://models.example.com.evil.net/`` never matches ``https://models.example.com``."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

DEFAULT_PORTS = {"http": 80, "https": 443}


def normal_host(host: str) -> str:
    """A host as compared: lower case, without a trailing dot or IPv6 brackets."""
    return host.strip("[]").rstrip(".").lower()


def is_loopback_name(host: str) -> bool:
    """True for ``localhost`` and loopback IP literals (as written, before any resolution)."""
    name = normal_host(host)
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class UrlRule:
    """One allow-list entry: a scheme (None: http and https), a host, a port (None: any) and a
    path prefix (ending at a segment boundary)."""

    scheme: str | None
    host: str
    port: int | None
    path: str

    @classmethod
    def parse(cls, entry: str) -> UrlRule:
        """The rule an entry describes.

        Raises:
            ValueError: not a host, host:port or http(s) URL prefix.
        """
        text = entry.strip()
        if "://" not in text:
            parts = urlsplit("//" + text)
            if parts.path or parts.query or parts.fragment or parts.username is not None:
                raise ValueError(f"{entry!r}: expected host, host:port or an http(s):// URL prefix")
            return cls(None, _host_of(parts, entry), _port_of(parts, entry), "/")
        parts = urlsplit(text)
        if parts.scheme not in DEFAULT_PORTS or parts.query or parts.fragment or parts.username is not None:
            raise ValueError(f"{entry!r}: a URL prefix is http(s)://host[:port][/path], without credentials")
        path = parts.path if parts.path.endswith("/") else parts.path + "/"
        return cls(parts.scheme, _host_of(parts, entry), _port_of(parts, entry), path)

    def matches(self, url: SplitResult) -> bool:
        """Whether the parsed URL is covered by this rule."""
        if self.scheme is not None and url.scheme != self.scheme:
            return False
        if normal_host(url.hostname or "") != self.host:
            return False
        port = url.port or DEFAULT_PORTS.get(url.scheme)
        wanted = self.port or (DEFAULT_PORTS[self.scheme] if self.scheme else None)
        if wanted is not None and port != wanted:
            return False
        path = url.path or "/"
        return path == self.path.rstrip("/") or path.startswith(self.path)

    def __str__(self) -> str:
        port = f":{self.port}" if self.port else ""
        return f"{self.scheme}://{self.host}{port}{self.path}" if self.scheme else f"{self.host}{port}"


def _host_of(parts: SplitResult, entry: str) -> str:
    host = normal_host(parts.hostname or "")
    if not host:
        raise ValueError(f"{entry!r}: no host")
    return host


def _port_of(parts: SplitResult, entry: str) -> int | None:
    try:
        return parts.port
    except ValueError:
        raise ValueError(f"{entry!r}: the port is not a number from 0 to 65535") from None


class UrlAllowList:
    """The rules of one allow-list; an empty list allows nothing."""

    def __init__(self, entries: Iterable[str]) -> None:
        self.rules = tuple(UrlRule.parse(entry) for entry in entries)

    def __bool__(self) -> bool:
        return bool(self.rules)

    def match(self, url: SplitResult) -> UrlRule | None:
        """The first rule covering ``url``, if any."""
        return next((rule for rule in self.rules if rule.matches(url)), None)

    def __str__(self) -> str:
        return ", ".join(str(rule) for rule in self.rules) or "(empty)"
