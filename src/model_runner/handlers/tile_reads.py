"""Reading a region's tiles in bands, ahead of the tiles that need them.

Read tile by tile, an image on S3 costs a request's first-byte latency (20-50 ms) for every tile,
on the one thread that also encodes: a few dozen tiles a second. Here the consecutive tiles of a
row are read as one band (their union window, at most ``band_bytes``), which GDAL fetches in
one or two large ranged GETs, and reader threads read the next ``ahead`` bands, ``at_once`` at a
time, while the tiles of the current band are cut out, encoded and sent. The pixels are those of the plain
read; a band that cannot be read is read again tile by tile, so a failure stays the failure of
the tiles it concerns, except when the image could not be reached: that is raised at once, and
the region goes back to the queue as before.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from types import TracebackType

import numpy as np
from numpy.typing import NDArray

from model_runner.errors import ImageUnavailableError
from model_runner.handlers.ports import Image
from model_runner.tiling import Tile, Window


@dataclass(frozen=True)
class ReadArrangement:
    """How a region's tiles are read: bands of at most ``band_bytes``, ``ahead`` bands early, up
    to ``at_once`` of them at once (as many as the image serves at once: see ``open_image``).
    ``ahead`` 0 reads each tile on its own when it is needed (the plain read)."""

    ahead: int = 2
    band_bytes: int = 32 * 1024 * 1024
    at_once: int = 1


DEFAULT_READS = ReadArrangement()


@dataclass(frozen=True)
class Band:
    """The union ``window`` of the tiles ``first`` to ``first + count - 1`` of a region's tiles."""

    window: Window
    first: int
    count: int


def bands_of(tiles: Sequence[Tile], band_bytes: int, pixel_bytes: int) -> list[Band]:
    """Consecutive tiles of the same row grouped while their union window fits ``band_bytes``."""
    bands: list[Band] = []
    start = 0
    for index in range(1, len(tiles) + 1):
        if index < len(tiles):
            union = _union(tiles[start].window, tiles[index].window)
            same_row = tiles[index].window.y == tiles[start].window.y
            if same_row and union.width * union.height * pixel_bytes <= band_bytes:
                continue
        bands.append(Band(_union(tiles[start].window, tiles[index - 1].window), start, index - start))
        start = index
    return bands


def _union(first: Window, last: Window) -> Window:
    x, y = min(first.x, last.x), min(first.y, last.y)
    right = max(first.x + first.width, last.x + last.width)
    bottom = max(first.y + first.height, last.y + last.height)
    return Window(x, y, right - x, bottom - y)


class BandedReads:
    """The pixels of ``tiles`` (asked for in their order, from one thread), read in bands ahead."""

    def __init__(self, image: Image, tiles: Sequence[Tile], arrangement: ReadArrangement) -> None:
        self._image = image
        self._ahead = arrangement.ahead
        pixel_bytes = image.dtype.itemsize * image.band_count
        self._bands = bands_of(tiles, arrangement.band_bytes, pixel_bytes) if self._ahead else []
        self._band_of = {
            tile.window: number
            for number, band in enumerate(self._bands)
            for tile in tiles[band.first : band.first + band.count]
        }
        self._reads: dict[int, Future[NDArray[np.generic]]] = {}
        readers = min(arrangement.at_once, self._ahead + 1)
        self._reader = ThreadPoolExecutor(readers, thread_name_prefix="band-reader") if self._bands else None

    def read(self, tile: Tile) -> NDArray[np.generic]:
        """The tile's pixels, shaped (bands, rows, columns), as ``image.read`` gives them.

        Raises:
            ImageUnavailableError: the image could not be reached for the tile's band.
            Exception: what ``image.read`` raises for this tile alone.
        """
        number = self._band_of.get(tile.window)
        if number is None or self._reader is None:
            return self._image.read(tile.window)
        self._schedule(number)
        try:
            band = self._reads[number].result()
        except ImageUnavailableError:
            raise  # the image, not the tile: the region goes back to the queue at once
        except Exception:  # the tile alone: its own failure, or its pixels
            return self._image.read(tile.window)
        origin = self._bands[number].window
        window = tile.window
        rows = slice(window.y - origin.y, window.y - origin.y + window.height)
        columns = slice(window.x - origin.x, window.x - origin.x + window.width)
        return np.ascontiguousarray(band[:, rows, columns])

    def close(self) -> None:
        """Stop reading ahead and wait for a read under way."""
        if self._reader is not None:
            self._reader.shutdown(wait=True, cancel_futures=True)
        self._reads.clear()

    def __enter__(self) -> BandedReads:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _schedule(self, number: int) -> None:
        """Forget the bands before ``number``; have ``number`` and the next ``ahead`` read."""
        assert self._reader is not None
        for done in [key for key in self._reads if key < number]:
            del self._reads[done]
        for wanted in range(number, min(number + self._ahead + 1, len(self._bands))):
            if wanted not in self._reads:
                self._reads[wanted] = self._reader.submit(self._image.read, self._bands[wanted].window)
