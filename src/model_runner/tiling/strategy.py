"""How the processed area of an image is cut into regions and tiles.

:class:`GridTilingStrategy` lays ONE grid of tiles over the whole processed area, axis by axis
(see :mod:`model_runner.tiling.axis`): every pixel is covered, neighbouring tiles overlap by at
least the requested overlap, and tiles are full size wherever the area is at least a tile long.
Regions only group these tiles: the area is divided into cells of ``region_size`` from its
top-left corner, each tile belongs to the cell holding its top-left pixel, and a region's window
is the union of its tiles. So every tile belongs to exactly one region, tiles on either side of a
region boundary overlap like any other neighbours, and cells holding no tile start make no region.
A region size smaller than a tile is allowed: its regions hold at least one tile each and their
windows are larger than ``region_size``.

Everything is computed from the per-axis positions: regions without listing tiles, and a region's
tiles lazily, row by row, so memory stays bounded whatever the image size.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

from model_runner.tiling.axis import AxisGrid
from model_runner.tiling.units import Region, Tile
from model_runner.tiling.window import Window


class TilingStrategy(Protocol):
    """Cuts a processed area into regions, and a region into tiles."""

    def regions(
        self,
        area: Window,
        region_size: tuple[int, int],
        tile_size: int,
        overlap: int,
        *,
        image_id: str = "",
    ) -> list[Region]:
        """The regions of ``area``, in row-major order; ``region_size`` is ``(width, height)``."""
        ...

    def tiles(self, region: Region) -> Iterator[Tile]:
        """The tiles of ``region``, lazily, in row-major order."""
        ...


def grid_tile_count(area: Window, tile_size: int, overlap: int) -> int:
    """How many tiles the grid lays over ``area`` (computed, not listed)."""
    columns, rows = _axis_grids(area, tile_size, overlap)
    return columns.count * rows.count


def _axis_grids(area: Window, tile_size: int, overlap: int) -> tuple[AxisGrid, AxisGrid]:
    return (
        AxisGrid.over(area.x, area.width, tile_size, overlap),
        AxisGrid.over(area.y, area.height, tile_size, overlap),
    )


class GridTilingStrategy(TilingStrategy):
    """The default strategy: one evenly spread tile grid over the area (see the module docstring)."""

    def regions(
        self,
        area: Window,
        region_size: tuple[int, int],
        tile_size: int,
        overlap: int,
        *,
        image_id: str = "",
    ) -> list[Region]:
        """The regions grouping one tile grid over ``area``; ValueError on invalid sizes."""
        region_width, region_height = region_size
        if region_width <= 0 or region_height <= 0:
            raise ValueError(f"region size must be positive, got {region_width} x {region_height}")
        columns, rows = _axis_grids(area, tile_size, overlap)
        column_spans = [_span(columns, group) for group in columns.groups(region_width)]
        return [
            Region(
                image_id=image_id,
                window=Window(x, y, width, height),
                area=area,
                tile_size=tile_size,
                overlap=overlap,
            )
            for y, height in (_span(rows, group) for group in rows.groups(region_height))
            for x, width in column_spans
        ]

    def tiles(self, region: Region) -> Iterator[Tile]:
        """The tiles of the area's grid lying within ``region.window``, row by row."""
        columns, rows = _axis_grids(region.area, region.tile_size, region.overlap)
        window = region.window
        column_indices = columns.indices_within(window.x, window.right)
        for row in rows.indices_within(window.y, window.bottom):
            y = rows.position(row)
            for column in column_indices:
                yield Tile(region.image_id, Window(columns.position(column), y, columns.tile, rows.tile))


def _span(grid: AxisGrid, indices: range) -> tuple[int, int]:
    """``(start, length)`` of the union of the tiles at ``indices`` along ``grid``."""
    start = grid.position(indices[0])
    return start, grid.position(indices[-1]) + grid.tile - start
