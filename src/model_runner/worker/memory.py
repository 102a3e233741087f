"""Giving freed memory back to the operating system between messages.

Tile buffers (numpy arrays, encoded tiles, GDAL's own) are allocated and freed by several threads;
glibc keeps what they freed in its heaps, so a long-lived worker's footprint would creep up with
every region. Regions bound the work of one message, and trimming the heaps after each message
keeps the worker's peak memory bounded whatever the image size (measured by ``model-runner bench``).
"""

from __future__ import annotations

import ctypes
import ctypes.util
from collections.abc import Callable
from functools import cache


@cache
def _malloc_trim() -> Callable[[int], int] | None:
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    trim = getattr(ctypes.CDLL(name), "malloc_trim", None)  # glibc only
    return trim if callable(trim) else None


def release_free_memory() -> bool:
    """Return the C heaps' free memory to the system; False where the C library cannot."""
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True
