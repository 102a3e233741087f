"""GDAL settings every imagery entry point relies on, applied where they are needed.

GDAL's Python bindings only raise exceptions after ``UseExceptions()``; calling it at the top of
each entry point makes this package behave the same whatever was imported first.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from osgeo import gdal, osr


def use_exceptions() -> None:
    """Make GDAL and OSR raise ``RuntimeError`` on errors instead of returning ``None``."""
    gdal.UseExceptions()
    osr.UseExceptions()


def limit_block_cache(megabytes: int) -> None:
    """Cap GDAL's block cache (by default 5% of the machine's memory) at ``megabytes``."""
    gdal.SetCacheMax(megabytes * 1024 * 1024)


@contextmanager
def thread_config_option(key: str, value: str) -> Iterator[None]:
    """Set a GDAL configuration option for the calling thread only, restoring it on exit."""
    previous = gdal.GetThreadLocalConfigOption(key, None)
    gdal.SetThreadLocalConfigOption(key, value)
    try:
        yield
    finally:
        gdal.SetThreadLocalConfigOption(key, previous)
