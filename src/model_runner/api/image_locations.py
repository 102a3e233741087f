"""Which image locations a request may name: the intake rule of ``imageUrls``.

In production only ``s3://bucket/key`` URLs are read, and ``https://`` URLs on hosts the operator
lists. Paths on the worker's disk are for the local stack and tests (a setting, off by default).
GDAL's virtual paths (``/vsizip/``, ``/vsicurl?url=...``, ``/vsis3/`` which would skip the
imageReadRole) and connection strings are refused always. The decision rests on the text alone,
before anything is read, so a refused path's message is the same whether it exists or not.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from model_runner.config import WorkerSettings
from model_runner.security import UrlAllowList, display_url

_UNSAFE_CHARACTERS = frozenset('<>"\\\r\n\t\0')


@dataclass(frozen=True)
class ImageLocations:
    """The image locations a worker accepts, from its settings."""

    allow_local_paths: bool = False
    https_hosts: UrlAllowList = field(default_factory=lambda: UrlAllowList(()))
    source_prefixes: tuple[str, ...] = ()
    """Extra ``s3://bucket/prefix`` locations a VRT's sources may come from."""

    @classmethod
    def from_settings(cls, settings: WorkerSettings) -> ImageLocations:
        return cls(
            allow_local_paths=settings.image_allow_local_paths,
            https_hosts=UrlAllowList(settings.image_https_hosts),
            source_prefixes=settings.image_source_prefixes,
        )

    def problem(self, url: str) -> str | None:
        """Why ``url`` may not be read, or None when it may."""
        if any(character in _UNSAFE_CHARACTERS for character in url):
            return "must be an s3://bucket/key URL (control characters, quotes and <> are not accepted)"
        scheme = url.partition("://")[0].lower() if "://" in url else ""
        if any(part in (".", "..") for part in url.split("/")):
            return "must not have . or .. path segments"
        if scheme == "s3":
            return None
        if scheme == "https":
            return self._https_problem(url)
        if url.lower().startswith("/vsi"):
            return "GDAL virtual paths (/vsi...) are not accepted: give an s3://bucket/key URL"
        if scheme or ":" in url.split("/", 1)[0]:
            return f"the {scheme or 'connection string'} form is not accepted: give an s3://bucket/key URL"
        if not self.allow_local_paths:
            return "paths on the worker's disk are not accepted: give an s3://bucket/key URL"
        if not url.startswith("/"):
            return "a local path must be absolute"
        return None

    def _https_problem(self, url: str) -> str | None:
        parts = urlsplit(url)
        if parts.username is not None or parts.password is not None:
            return "an https:// URL must not carry credentials (user:password@)"
        if parts.query or parts.fragment:
            return f"an https:// URL must have no query or fragment (got {display_url(url)})"
        try:
            allowed = self.https_hosts.match(parts) is not None
        except ValueError:
            return "an https:// URL must have a valid host and port"
        if not allowed:
            return (
                f"host {parts.hostname!r} is not in IMAGE_HTTPS_HOSTS ({self.https_hosts}): give an s3:// URL"
            )
        return None
