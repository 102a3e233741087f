"""The reference's edge-pixel defect, and tiling huge images quickly in bounded memory."""

from __future__ import annotations

import time
from itertools import islice

import numpy as np
import pytest

from model_runner.tiling import GridTilingStrategy, Window

STRATEGY = GridTilingStrategy()


def test_no_edge_pixel_is_dropped_from_a_12987_by_12438_image() -> None:
    """Defect 1: the reference loses 1 column and 22 rows of this image with tile 512 / overlap 128."""
    area = Window(0, 0, 12987, 12438)
    windows = [
        tile.window
        for region in STRATEGY.regions(area, (10240, 10240), 512, 128)
        for tile in STRATEGY.tiles(region)
    ]
    columns, rows = np.zeros(12987, dtype=np.int32), np.zeros(12438, dtype=np.int32)
    for window in {(w.x, w.right) for w in windows}:
        columns[window[0] : window[1]] += 1
    for window in {(w.y, w.bottom) for w in windows}:
        rows[window[0] : window[1]] += 1
    assert columns.min() >= 1 and rows.min() >= 1
    assert max(w.right for w in windows) == 12987
    assert max(w.bottom for w in windows) == 12438
    assert len(windows) == len({w.x for w in windows}) * len({w.y for w in windows})
    assert {(w.width, w.height) for w in windows} == {(512, 512)}


def test_tiling_a_100000_pixel_square_image_is_fast() -> None:
    started = time.perf_counter()
    regions = STRATEGY.regions(Window(0, 0, 100_000, 100_000), (10240, 10240), 512, 32)
    count = sum(1 for region in regions for _ in STRATEGY.tiles(region))
    assert time.perf_counter() - started < 1.0
    assert count == 209 * 209


@pytest.mark.timeout(10)
def test_the_first_tiles_of_ten_billion_come_back_at_once() -> None:
    started = time.perf_counter()
    (region,) = STRATEGY.regions(Window(0, 0, 100_000, 100_000), (100_000, 100_000), 1, 0)
    first = [tile.window for tile in islice(STRATEGY.tiles(region), 3)]
    assert time.perf_counter() - started < 0.5
    assert first == [Window(0, 0, 1, 1), Window(1, 0, 1, 1), Window(2, 0, 1, 1)]
