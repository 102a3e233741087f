"""Restricting tiling to a region of interest given in full-image pixel coordinates."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from shapely.geometry import Point, Polygon, box

from model_runner.tiling import GridTilingStrategy, Window, regions_meeting, roi_window, tiles_meeting

STRATEGY = GridTilingStrategy()
IMAGE = Window(0, 0, 3000, 2000)


@pytest.mark.parametrize(
    ("roi", "expected"),
    [
        (box(10.5, 20.2, 99.1, 50.0), Window(10, 20, 90, 30)),
        (box(-500, -10, 200, 100), Window(0, 0, 200, 100)),
        (box(2900, 1900, 4000, 4000), Window(2900, 1900, 100, 100)),
        (Point(5, 7), Window(5, 7, 1, 1)),
        (box(3000, 0, 3100, 100), None),
        (box(-50, -50, -1, -1), None),
        (Polygon(), None),
    ],
)
def test_roi_window_is_the_pixel_bounding_box_clipped_to_the_image(
    roi: shapely.Geometry, expected: Window | None
) -> None:
    assert roi_window(roi, IMAGE) == expected


def test_kept_tiles_cover_every_roi_pixel_and_dropped_tiles_none() -> None:
    roi = Polygon([(-300, 150), (2200, 400), (900, 1800)])
    area = roi_window(roi, IMAGE)
    assert area is not None
    all_regions = STRATEGY.regions(area, (1024, 1024), 256, 32, image_id="img")
    regions = regions_meeting(all_regions, roi)
    assert 0 < len(regions) <= len(all_regions)
    all_tiles = [tile for region in all_regions for tile in STRATEGY.tiles(region)]
    kept = list(tiles_meeting((tile for region in regions for tile in STRATEGY.tiles(region)), roi))

    assert all(shapely.intersection(roi, box(*tile.window.bounds)).area > 0 for tile in kept)
    dropped = set(all_tiles) - set(kept)
    assert dropped, "a triangle's bounding box must hold tiles outside the triangle"
    assert all(shapely.intersection(roi, box(*tile.window.bounds)).area == 0 for tile in dropped)

    covered = np.zeros((IMAGE.height, IMAGE.width), dtype=bool)
    for tile in kept:
        covered[tile.window.y : tile.window.bottom, tile.window.x : tile.window.right] = True
    rows, columns = np.mgrid[0 : IMAGE.height : 4, 0 : IMAGE.width : 4]
    inside = shapely.contains_xy(roi, columns + 0.5, rows + 0.5)
    assert inside.any()
    assert covered[rows[inside], columns[inside]].all(), (
        "a pixel of the region of interest is in no kept tile"
    )
