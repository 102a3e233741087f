"""The images a worker has open: each opened once, then shared by every region that reads it.

Keyed by (url, read role), so a role's credentials are used for its own images only. The least
recently used image is closed when more than ``capacity`` are open. Credentials are asked for on
every use and handed to the open image again (assumed roles refresh themselves, and the same
object opened for another role meanwhile had that role's credentials scoped to its path). Every
URL is checked against the worker's :class:`ImageLocations` first, so a region message cannot
name what an image request could not.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Protocol

from model_runner.api.image_locations import ImageLocations
from model_runner.errors import ImageReadError
from model_runner.imagery.credentials import S3Credentials
from model_runner.imagery.elevation import ElevationModel
from model_runner.imagery.source import ImageSource, open_image


class CredentialSource(Protocol):
    """Gives current credentials for a role (None: the worker's own) and the S3 endpoint to use."""

    @property
    def endpoint_url(self) -> str | None: ...

    def credentials(self, role_arn: str | None = None) -> S3Credentials | None: ...


class ImageCache:
    """Open images by (url, role); thread-safe."""

    def __init__(
        self,
        credentials: CredentialSource,
        locations: ImageLocations,
        capacity: int = 4,
        elevation: ElevationModel | None = None,
        s3_endpoint: str | None = None,
        read_strips: int = 1,
        reads_at_once: int = 1,
    ) -> None:
        self._credentials = credentials
        self._read_strips = read_strips
        self._reads_at_once = reads_at_once
        self._s3_endpoint = s3_endpoint or credentials.endpoint_url
        """Images are read from this endpoint when one is given, else from the clients' own."""
        self._locations = locations
        self._capacity = capacity
        self._elevation = elevation
        self._open: OrderedDict[tuple[str, str | None], ImageSource] = OrderedDict()
        self._lock = threading.Lock()
        self.opened = 0
        """How many times an image was actually opened (for tests and metrics)."""

    def get(self, url: str, role_arn: str | None = None) -> ImageSource:
        """The open image at ``url``, read as ``role_arn``; opens it on first use.

        Raises:
            ImageReadError: the worker does not read such locations (naming imageUrls), or the
                image cannot be opened.
        """
        problem = self._locations.problem(url)
        if problem is not None:
            raise ImageReadError(f"imageUrls: {problem}")
        key = (url, role_arn)
        credentials = self._credentials.credentials(role_arn) if url[:5].lower() == "s3://" else None
        with self._lock:
            if key in self._open:
                source = self._open[key]
                self._open.move_to_end(key)
                if credentials is not None:
                    source.renew_credentials(credentials)
                return source
            source = open_image(
                url,
                credentials=credentials,
                s3_endpoint=self._s3_endpoint,
                source_prefixes=self._locations.source_prefixes,
                elevation=self._elevation,
                strips=self._read_strips,
                reads_at_once=self._reads_at_once,
            )
            self.opened += 1
            self._open[key] = source
            while len(self._open) > self._capacity:
                _, oldest = self._open.popitem(last=False)
                oldest.close()
            return source

    def close(self) -> None:
        """Close every open image."""
        with self._lock:
            for source in self._open.values():
                source.close()
            self._open.clear()
