"""S3 credentials and endpoint settings scoped to the /vsis3 paths of one image's files.

GDAL reads ``AWS_*`` options per path prefix (``gdal.SetPathSpecificOption``, GDAL >= 3.6), so
the credentials of one image never leak to another image or to the rest of the process. Options
for a prefix are reference-counted: they stay while any open image of that path needs them and
are cleared when the last one closes. Replacing them (another open of the path, refreshed
credentials) changes only what differs, key by key, and never clears them first: other threads may
be reading that path at the same moment, and a read that found them cleared would go to AWS's own
endpoint without credentials.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from osgeo import gdal

from model_runner.errors import ConfigurationError


@dataclass(frozen=True)
class S3Credentials:
    """Temporary or long-term AWS credentials for reading one image (secrets hidden from repr)."""

    access_key_id: str
    secret_access_key: str = field(repr=False)
    session_token: str | None = field(default=None, repr=False)


def s3_path_options(credentials: S3Credentials | None, s3_endpoint: str | None) -> dict[str, str]:
    """The GDAL ``AWS_*`` options that read an object with ``credentials`` from ``s3_endpoint``.

    ``s3_endpoint`` is a URL such as ``http://127.0.0.1:5000`` (a local S3 emulator); it is
    addressed path-style, over plain HTTP when the scheme is ``http``.
    """
    options: dict[str, str] = {}
    if credentials is not None:
        # Paths without scoped credentials are read anonymously (gdal_hardening): these are signed.
        options["AWS_NO_SIGN_REQUEST"] = "NO"
        options["AWS_ACCESS_KEY_ID"] = credentials.access_key_id
        options["AWS_SECRET_ACCESS_KEY"] = credentials.secret_access_key
        if credentials.session_token:
            options["AWS_SESSION_TOKEN"] = credentials.session_token
    if s3_endpoint is not None:
        parts = urlsplit(s3_endpoint)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ConfigurationError([f"S3 endpoint {s3_endpoint!r}: expected http(s)://host[:port]"])
        options["AWS_S3_ENDPOINT"] = parts.netloc + parts.path.rstrip("/")
        options["AWS_HTTPS"] = "YES" if parts.scheme == "https" else "NO"
        options["AWS_VIRTUAL_HOSTING"] = "FALSE"
    return options


class PathOptionScopes:
    """Reference-counted GDAL path-specific options, one set per path prefix."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._holders: dict[str, int] = {}
        self._options: dict[str, dict[str, str]] = {}

    def acquire(self, prefix: str, options: Mapping[str, str]) -> None:
        """Set ``options`` for ``prefix`` (replacing earlier ones) and count one more holder."""
        with self._lock:
            self._apply(prefix, options)
            self._holders[prefix] = self._holders.get(prefix, 0) + 1

    def renew(self, prefix: str, options: Mapping[str, str]) -> None:
        """Replace the options of a prefix that is already held (e.g. refreshed credentials)."""
        with self._lock:
            if prefix in self._holders:
                self._apply(prefix, options)

    def release(self, prefix: str) -> None:
        """Count one holder less; clear the prefix's options when none is left."""
        with self._lock:
            remaining = self._holders.get(prefix, 0) - 1
            if remaining > 0:
                self._holders[prefix] = remaining
                return
            self._holders.pop(prefix, None)
            self._options.pop(prefix, None)
            gdal.ClearPathSpecificOptions(prefix)

    def _apply(self, prefix: str, options: Mapping[str, str]) -> None:
        """Make ``options`` the prefix's, without a moment where a set option is missing."""
        current = self._options.get(prefix)
        if current is None:  # nobody holds the prefix: nothing reads with its options
            gdal.ClearPathSpecificOptions(prefix)
            current = {}
        for key, value in options.items():
            if current.get(key) != value:
                gdal.SetPathSpecificOption(prefix, key, value)
        for key in current.keys() - options.keys():
            gdal.SetPathSpecificOption(prefix, key, None)
        self._options[prefix] = dict(options)


PATH_OPTION_SCOPES = PathOptionScopes()
"""The process's one registry: GDAL's path-specific options are themselves process-wide."""
