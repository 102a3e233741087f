"""Reading a region's tiles in bands, ahead of the tiles that need them.

Read tile by tile, an image on S3 costs a request's first-byte latency (20-50 ms) for every tile,
on the one thread that also encodes: a few dozen tiles a second. Here the consecutive tiles of a
row are read as one band (their union window, at most ``band_bytes``), which GDAL fetches in
one or two large ranged GETs, and reader threads read the next ``ahead`` bands, ``at_once`` at a
time, while the tiles of the current band are cut out, encoded and sent.

Bands of consecutive rows share rows (the tiles' overlap) and, on a tiled image, rows of blocks.
Read one at a time (a file on disk), a band reads its whole window, the shared rows coming from
GDAL's block cache. Read several at once (a network image's lanes), a band fetches only the rows
of its columns that the bands before it did not, down to the next block edge: what two bands read
at once never shares a block, each block is fetched once, and the next band's requests wait out
their latency while the bytes of the one before arrive. Its tiles are then cut from its own rows
and the last rows of the band before.

The pixels are those of the plain read; a band that cannot be read is read again tile by tile, so
a failure stays the failure of the tiles it concerns, except when the image could not be
reached: that is raised at once, and the region goes back to the queue as before.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from itertools import pairwise
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
    """The union ``window`` of the tiles ``first`` to ``first + count - 1`` of a region's tiles;
    ``fetch``, the rows of its columns it reads itself (None: earlier bands read them all); and
    ``parts``, the bands whose fetched rows hold its rows, top to bottom (itself last when it
    fetches)."""

    window: Window
    first: int
    count: int
    fetch: Window | None = None
    parts: tuple[int, ...] = ()


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


def with_fetches(bands: Sequence[Band], block_height: int, image_height: int) -> list[Band]:
    """``bands`` with the rows each fetches and the bands it is cut from.

    Bands with the same columns form runs of adjoining fetches: a band whose first row lies in
    its columns' run fetches from the run's end, else it starts a run of its own. A fetch ends
    on the block edge below the band (when a block is no taller than the band), so that the
    next fetch starts on one."""
    runs: dict[tuple[int, int], list[tuple[int, int, int]]] = {}
    """Per (x, width): the fetches of the run, (band, first row, end row), top to bottom."""
    planned: list[Band] = []
    for number, band in enumerate(bands):
        window = band.window
        run = [part for part in runs.get((window.x, window.width), []) if part[2] > window.y]
        if not run or run[0][1] > window.y:
            run = []
        top = run[-1][2] if run else window.y
        fetch = None
        if top < window.bottom:
            bottom = window.bottom
            if block_height <= window.height:
                bottom = min(image_height, -(-bottom // block_height) * block_height)
            fetch = Window(window.x, top, window.width, bottom - top)
            run.append((number, top, bottom))
        runs[(window.x, window.width)] = run
        parts = tuple(part for part, first, _ in run if first < window.bottom)
        planned.append(Band(window, band.first, band.count, fetch, parts))
    return planned


def whole(bands: Sequence[Band]) -> list[Band]:
    """``bands``, each fetching its whole window: read one at a time, a band finds the rows it
    shares with the band before in GDAL's block cache, and holds none of that band's pixels."""
    return [replace(band, fetch=band.window, parts=(number,)) for number, band in enumerate(bands)]


Rows = tuple[Window, NDArray[np.generic]]
"""Rows of an image's columns, and their pixels."""


def _cut(window: Window, fetched: Sequence[Rows]) -> NDArray[np.generic]:
    """The pixels of ``window`` (contiguous) from the ``fetched`` rows holding them, top to bottom."""
    pieces = []
    for rows, pixels in fetched:
        top, bottom = max(window.y, rows.y), min(window.bottom, rows.bottom)
        if top < bottom:
            left = window.x - rows.x
            pieces.append(pixels[:, top - rows.y : bottom - rows.y, left : left + window.width])
    return np.ascontiguousarray(pieces[0]) if len(pieces) == 1 else np.concatenate(pieces, axis=1)


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
        bands = bands_of(tiles, arrangement.band_bytes, pixel_bytes) if self._ahead else []
        readers = min(arrangement.at_once, image.reads_at_once, self._ahead + 1)
        self._bands = with_fetches(bands, image.block_height, image.height) if readers > 1 else whole(bands)
        self._band_of = {
            tile.window: number
            for number, band in enumerate(self._bands)
            for tile in tiles[band.first : band.first + band.count]
        }
        self._in_row_order = all(above.window.y <= below.window.y for above, below in pairwise(self._bands))
        self._fetches: dict[int, Future[Rows]] = {}
        self._current = -1
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
        if number != self._current:  # a band's reads change only when the next band starts
            self._current = number
            self._forget_above(number)
            self._schedule(number)
        try:
            fetched = [self._fetches[part].result() for part in self._bands[number].parts]
        except ImageUnavailableError:
            raise  # the image, not the tile: the region goes back to the queue at once
        except Exception:  # the tile alone: its own failure, or its pixels
            return self._image.read(tile.window)
        return _cut(tile.window, fetched)

    def close(self) -> None:
        """Stop reading ahead and wait for a read under way."""
        if self._reader is not None:
            self._reader.shutdown(wait=True, cancel_futures=True)
        self._fetches.clear()

    def __enter__(self) -> BandedReads:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _forget_above(self, number: int) -> None:
        """Before band ``number``'s reads: forget the fetches before the first it is cut from and,
        with the bands in row order (no later band needs a row above its first), keep of the
        fetches read already only their rows from its first on (a copy), so that a region holds
        the last rows of the band before instead of all of them."""
        band = self._bands[number]
        for done in [key for key in self._fetches if key < band.parts[0]]:
            del self._fetches[done]
        if not self._in_row_order:
            return
        top = band.window.y
        for part in band.parts:
            fetch = self._fetches.get(part)
            if fetch is None or not fetch.done() or fetch.exception() is not None:
                continue
            rows, pixels = fetch.result()
            if rows.y < top:
                kept: Future[Rows] = Future()
                kept.set_result(
                    (Window(rows.x, top, rows.width, rows.bottom - top), pixels[:, top - rows.y :].copy())
                )
                self._fetches[part] = kept

    def _schedule(self, number: int) -> None:
        """Have band ``number``'s fetches and those of the next ``ahead`` bands read (again, if one
        was forgotten)."""
        assert self._reader is not None
        upcoming = range(number + 1, min(number + self._ahead + 1, len(self._bands)))
        wanted = [
            *self._bands[number].parts,
            *(later for later in upcoming if self._bands[later].fetch is not None),
        ]
        for part in wanted:
            if part not in self._fetches:
                self._fetches[part] = self._reader.submit(self._fetch, part)

    def _fetch(self, number: int) -> Rows:
        rows = self._bands[number].fetch
        assert rows is not None  # only bands that fetch are read
        return rows, self._image.read(rows)
