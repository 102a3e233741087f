"""Giving freed memory back to the operating system between messages, and few heaps to keep it in.

Tile buffers (numpy arrays, encoded tiles, bands of pixels, GDAL's own) are allocated and freed by
several threads; glibc keeps what they freed in its heaps, so a long-lived worker's footprint would
creep up with every region. Regions bound the work of one message, and trimming the heaps after
each message keeps the worker's peak memory bounded whatever the image size (measured by
``model-runner bench``). Each region starts fresh threads (reader, producer, model calls), and
glibc gives new threads new heaps (up to 8 per core): 15 MB bands freed in one heap are not reused
by the next, so the footprint crept by about 2 MB a region (272 to 323 MiB over the 25 regions of
a 50,000-pixel image) until the heaps are capped at :data:`HEAP_ARENAS`, as ``MALLOC_ARENA_MAX``
would.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
from collections.abc import Callable
from functools import cache

HEAP_ARENAS = 2
"""Heaps glibc may keep for the worker's threads (unless MALLOC_ARENA_MAX says otherwise)."""
_M_ARENA_MAX = -8


@cache
def _libc_function(name: str) -> Callable[..., int] | None:
    library = ctypes.util.find_library("c")
    if library is None:
        return None
    function = getattr(ctypes.CDLL(library), name, None)  # glibc only
    return function if callable(function) else None


def cap_heap_arenas() -> bool:
    """Let glibc keep at most :data:`HEAP_ARENAS` heaps for new threads, unless the operator set
    ``MALLOC_ARENA_MAX``; False where the C library cannot."""
    if "MALLOC_ARENA_MAX" in os.environ:
        return False
    mallopt = _libc_function("mallopt")
    return mallopt is not None and mallopt(_M_ARENA_MAX, HEAP_ARENAS) == 1


def release_free_memory() -> bool:
    """Return the C heaps' free memory to the system; False where the C library cannot."""
    trim = _libc_function("malloc_trim")
    if trim is None:
        return False
    trim(0)
    return True
