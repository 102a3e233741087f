"""Handles of one image's GDAL dataset, lent to one thread at a time.

A GDAL dataset is not thread-safe, so an image opened once is read by one thread at a time. Over
S3, a read waits most of its time for the first byte; several reads in flight, each on a handle
of its own (its own HTTP connection), take that wait in parallel. The pool lends its first
handle (the image opened and checked at intake) and opens more, up to ``limit``, only when all
are lent at once; each further handle is opened through the same checks as the first.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from osgeo import gdal

from model_runner.errors import ImageReadError


class DatasetPool:
    """At most ``limit`` handles of one image; :meth:`lease` lends one to the calling thread."""

    def __init__(self, first: gdal.Dataset, open_more: Callable[[], gdal.Dataset], limit: int) -> None:
        if limit < 1:
            raise ValueError(f"a pool needs at least one handle, got {limit}")
        self._open_more = open_more
        self._limit = limit
        self._idle: list[gdal.Dataset] = [first]
        self._opened = 1
        self._closed = False
        self._changed = threading.Condition()

    @property
    def opened(self) -> int:
        """Handles opened so far (for tests and figures)."""
        with self._changed:
            return self._opened

    @contextmanager
    def lease(self, url: str) -> Iterator[gdal.Dataset]:
        """A handle no other thread uses until the block ends.

        Raises:
            ImageReadError: the image is closed.
            Exception: whatever opening a further handle raised.
        """
        dataset = self._take(url)
        try:
            yield dataset
        finally:
            with self._changed:
                if not self._closed:
                    self._idle.append(dataset)
                self._changed.notify()

    def close(self) -> None:
        """Drop every idle handle; handles lent out are dropped when they come back."""
        with self._changed:
            self._closed = True
            self._idle.clear()
            self._changed.notify_all()

    def _take(self, url: str) -> gdal.Dataset:
        with self._changed:
            while True:
                if self._closed:
                    raise ImageReadError(f"image {url} is already closed")
                if self._idle:
                    return self._idle.pop()
                if self._opened < self._limit:
                    self._opened += 1
                    break
                self._changed.wait()
        try:
            return self._open_more()
        except BaseException:
            with self._changed:
                self._opened -= 1
                self._changed.notify()
            raise
