"""Restricting tiling to a region of interest given in full-image pixel coordinates.

The geometry is in continuous pixel space: pixel ``(column, row)`` is the unit square from
``(column, row)`` to ``(column + 1, row + 1)``. A window is kept when the inside of its outline
meets the geometry; a polygon that only touches its edge selects none of its pixels.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from itertools import islice

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from model_runner.tiling.units import Region, Tile
from model_runner.tiling.window import Window

_BATCH = 4096


def roi_window(roi: BaseGeometry, image: Window) -> Window | None:
    """The pixels of ``image`` within the bounding box of ``roi``, or None if they are none."""
    if roi.is_empty:
        return None
    min_x, min_y, max_x, max_y = roi.bounds
    x, y = max(math.floor(min_x), image.x), max(math.floor(min_y), image.y)
    right = min(max(math.ceil(max_x), math.floor(min_x) + 1), image.right)
    bottom = min(max(math.ceil(max_y), math.floor(min_y) + 1), image.bottom)
    if right <= x or bottom <= y:
        return None
    return Window(x, y, right - x, bottom - y)


def _meets(roi: BaseGeometry, windows: list[Window]) -> list[bool]:
    boxes = shapely.box(*np.array([window.bounds for window in windows], dtype=float).T)
    hits = shapely.intersects(roi, boxes) & ~shapely.touches(roi, boxes)
    return [bool(hit) for hit in hits]


def tiles_meeting(tiles: Iterable[Tile], roi: BaseGeometry) -> Iterator[Tile]:
    """The tiles whose pixels meet ``roi``, lazily and in order; ``roi`` is prepared in place."""
    shapely.prepare(roi)
    iterator = iter(tiles)
    while batch := list(islice(iterator, _BATCH)):
        yield from (
            tile for tile, hit in zip(batch, _meets(roi, [t.window for t in batch]), strict=True) if hit
        )


def regions_meeting(regions: Iterable[Region], roi: BaseGeometry) -> list[Region]:
    """The regions whose windows meet ``roi``, in order; ``roi`` is prepared in place."""
    shapely.prepare(roi)
    kept = list(regions)
    if not kept:
        return []
    return [region for region, hit in zip(kept, _meets(roi, [r.window for r in kept]), strict=True) if hit]
