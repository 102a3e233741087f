"""Cutting an image's processed area into regions and tiles: pure functions over value objects."""

from model_runner.tiling.axis import AxisGrid, check_tile_parameters
from model_runner.tiling.roi import regions_meeting, roi_window, tiles_meeting
from model_runner.tiling.strategy import GridTilingStrategy, TilingStrategy, grid_tile_count
from model_runner.tiling.units import Region, Tile, unit_id
from model_runner.tiling.window import Window

__all__ = [
    "AxisGrid",
    "GridTilingStrategy",
    "Region",
    "Tile",
    "TilingStrategy",
    "Window",
    "check_tile_parameters",
    "grid_tile_count",
    "regions_meeting",
    "roi_window",
    "tiles_meeting",
    "unit_id",
]
