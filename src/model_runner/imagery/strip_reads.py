"""Wide windows of a network image read as column strips at once, each on its own GDAL handle,
and several windows at once, each on a lane of handles of its own.

Over S3 or HTTPS a band of tiles is one or two ranged GETs: its first-byte latency and then its
bytes, on one connection, while GDAL serializes the reads of one dataset. Cut along the image's
block columns, a band's strips are fetched at once on as many handles (one per strip, opened on
first use), so the latencies overlap and the bytes arrive over several connections. Strip ``i`` of
a lane is always read through that lane's handle ``i``, so the block rows that bands read on the
same lane share stay in that handle's part of GDAL's block cache and are not fetched twice.

A read holds one lane (strips x handles) from start to end; with two lanes, the next band's
requests are already waiting on their latency while the bytes of the one before arrive. Lane 0's
first strip is the image's own dataset, which the caller reads under its lock.
"""

from __future__ import annotations

import queue
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from itertools import pairwise

from osgeo import gdal

NETWORK_PREFIXES = ("/vsis3/", "/vsicurl/")
"""GDAL paths read over the network: the only ones worth cutting into strips."""

Read = Callable[[gdal.Dataset], None]


class StripReads:
    """The strips of wide windows (``strips`` at most, on block edges of ``block_width``), the
    ``lanes`` of handles that read ``lanes`` windows at once, and the reader threads of the strips
    after the first (the caller reads the first)."""

    def __init__(
        self, open_handle: Callable[[], gdal.Dataset], strips: int, block_width: int, lanes: int = 1
    ) -> None:
        if strips < 1 or lanes < 1 or strips * lanes < 2:
            raise ValueError(f"strips x lanes: 2 handles or more, got {strips} x {lanes}")
        self._open_handle = open_handle
        self._strips = strips
        self._block_width = block_width
        self._handles: dict[tuple[int, int], gdal.Dataset] = {}
        self._free: queue.SimpleQueue[int] = queue.SimpleQueue()
        for lane in range(lanes):
            self._free.put(lane)
        self._pool = ThreadPoolExecutor(max(1, (strips - 1) * lanes), thread_name_prefix="strip-reader")

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

    @contextmanager
    def lane(self) -> Iterator[int]:
        """A lane of handles the caller alone uses until the block ends (waits for a free one)."""
        lane = self._free.get()
        try:
            yield lane
        finally:
            self._free.put(lane)

    def submit(self, lane: int, index: int, read: Read) -> Future[None]:
        """Run ``read`` with strip ``index``'s handle of ``lane`` (held) on a reader thread."""
        return self._pool.submit(self.run, lane, index, read)

    def run(self, lane: int, index: int, read: Read) -> None:
        """Run ``read`` here with strip ``index``'s handle of ``lane`` (held), opened on first use."""
        key = (lane, index)
        if key not in self._handles:
            self._handles[key] = self._open_handle()
        read(self._handles[key])

    def close(self) -> None:
        """Wait for the reads under way and drop the handles."""
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._handles.clear()
