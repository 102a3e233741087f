"""Wide windows of a network image read as column strips at once, each on its own GDAL handle.

Over S3 or HTTPS a band of tiles is one or two ranged GETs: its first-byte latency and then its
bytes, on one connection, while GDAL serializes the reads of one dataset. Cut along the image's
block columns, a band's strips are fetched at once on as many handles (one per strip, opened on
first use), so the latencies overlap and the bytes arrive over several connections. Strip ``i`` is
always read through handle ``i``, so the block rows that consecutive bands share stay in that
handle's part of GDAL's block cache and are not fetched twice.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from itertools import pairwise

from osgeo import gdal

NETWORK_PREFIXES = ("/vsis3/", "/vsicurl/")
"""GDAL paths read over the network: the only ones worth cutting into strips."""


class StripReads:
    """The strips of wide windows (``strips`` at most, on block edges of ``block_width``) and the
    handles that read all but the first (the caller reads that one on its own handle)."""

    def __init__(self, open_handle: Callable[[], gdal.Dataset], strips: int, block_width: int) -> None:
        if strips < 2:
            raise ValueError(f"strips: a window is cut into 2 or more, got {strips}")
        self._open_handle = open_handle
        self._strips = strips
        self._block_width = block_width
        self._handles: dict[int, gdal.Dataset] = {}
        self._locks = {index: threading.Lock() for index in range(1, strips)}
        self._pool = ThreadPoolExecutor(strips - 1, thread_name_prefix="strip-reader")

    def pieces(self, x: int, width: int) -> list[tuple[int, int]]:
        """(x, width) of each strip of the columns [x, x + width), left to right: as many as the
        block columns allow, up to ``strips``, each cut on a block edge."""
        first, end = x // self._block_width, -(-(x + width) // self._block_width)
        count = min(self._strips, end - first)
        cuts = [
            (first + round(index * (end - first) / count)) * self._block_width for index in range(1, count)
        ]
        edges = [x, *cuts, x + width]
        return [(left, right - left) for left, right in pairwise(edges)]

    def submit(self, index: int, read: Callable[[gdal.Dataset], None]) -> Future[None]:
        """Run ``read`` with strip ``index``'s handle (1 to strips - 1) on a reader thread."""
        return self._pool.submit(self._with_handle, index, read)

    def close(self) -> None:
        """Wait for the reads under way and drop the handles."""
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._handles.clear()

    def _with_handle(self, index: int, read: Callable[[gdal.Dataset], None]) -> None:
        with self._locks[index]:
            if index not in self._handles:
                self._handles[index] = self._open_handle()
            read(self._handles[index])
