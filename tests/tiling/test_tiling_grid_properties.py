"""Properties of the default tiling over random areas, tile sizes, overlaps and region sizes."""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from model_runner.tiling import GridTilingStrategy, Region, Tile, Window

STRATEGY = GridTilingStrategy()


def tiles_by_region(regions: list[Region]) -> list[list[Tile]]:
    return [list(STRATEGY.tiles(region)) for region in regions]


def assert_every_tile_in_exactly_one_region(regions: list[Region], grouped: list[list[Tile]]) -> None:
    for region, tiles in zip(regions, grouped, strict=True):
        assert tiles, f"region {region.id} has no tile"
        assert all(region.window.contains(tile.window) for tile in tiles)
    windows = [tile.window for tiles in grouped for tile in tiles]
    assert len(set(windows)) == len(windows), "a tile is produced twice"


def assert_axis_covered(starts: list[int], tile: int, begin: int, end: int, overlap: int) -> None:
    """Intervals [start, start + tile) cover [begin, end) and neighbours share >= overlap pixels."""
    starts = sorted(set(starts))
    assert starts[0] == begin
    assert starts[-1] + tile == end
    for previous, following in pairwise(starts):
        assert previous + tile - following >= overlap, f"tiles at {previous} and {following}"


@st.composite
def axis_tiling(draw: st.DrawFn) -> tuple[int, int, int, int, int]:
    """(start, length, tile size, overlap, region size), with at most ~1500 tiles on the axis."""
    length = draw(st.integers(1, 50_000))
    tile_size = draw(st.integers(max(1, length // 1500), 4096))
    stride = draw(st.integers(max(1, min(tile_size, length // 1500)), tile_size))
    start = draw(st.integers(0, 5000))
    region = draw(st.integers(1, 60_000))
    return start, length, tile_size, tile_size - stride, region


@pytest.mark.parametrize("axis", ["x", "y"])
@settings(max_examples=150, deadline=None)
@given(params=axis_tiling())
def test_every_pixel_of_a_line_is_covered_with_full_tiles_and_overlap(
    axis: str, params: tuple[int, int, int, int, int]
) -> None:
    start, length, tile_size, overlap, region = params
    if axis == "x":
        area, region_size = Window(start, 7, length, 1), (region, 1)
    else:
        area, region_size = Window(7, start, 1, length), (1, region)
    regions = STRATEGY.regions(area, region_size, tile_size, overlap, image_id="job:image")
    grouped = tiles_by_region(regions)
    assert_every_tile_in_exactly_one_region(regions, grouped)
    windows = [tile.window for tiles in grouped for tile in tiles]
    assert all(area.contains(window) for window in windows)
    sizes = {(w.width, w.height) for w in windows}
    full = min(tile_size, length)
    assert sizes == ({(full, 1)} if axis == "x" else {(1, full)})
    starts = [w.x if axis == "x" else w.y for w in windows]
    assert_axis_covered(starts, full, start, start + length, overlap if length > tile_size else 0)


@settings(max_examples=150, deadline=None)
@given(
    area=st.builds(Window, st.integers(0, 20), st.integers(0, 20), st.integers(1, 80), st.integers(1, 80)),
    tile_size=st.integers(1, 48),
    data=st.data(),
)
def test_every_pixel_of_a_small_area_is_covered_exactly_by_a_full_grid(
    area: Window, tile_size: int, data: st.DataObject
) -> None:
    overlap = data.draw(st.integers(0, tile_size - 1), label="overlap")
    region_size = data.draw(st.tuples(st.integers(1, 100), st.integers(1, 100)), label="region_size")
    x, y, width, height = area.read_args
    regions = STRATEGY.regions(area, region_size, tile_size, overlap)
    grouped = tiles_by_region(regions)
    assert_every_tile_in_exactly_one_region(regions, grouped)
    windows = [tile.window for tiles in grouped for tile in tiles]

    coverage = np.zeros((y + height + 30, x + width + 30), dtype=np.int32)
    for window in windows:
        coverage[window.y : window.bottom, window.x : window.right] += 1
    assert (coverage[y : y + height, x : x + width] >= 1).all(), "a pixel of the area is not covered"
    coverage[y : y + height, x : x + width] = 0
    assert not coverage.any(), "a tile reaches outside the area"

    assert {(w.width, w.height) for w in windows} == {(min(tile_size, width), min(tile_size, height))}
    columns, rows = {w.x for w in windows}, {w.y for w in windows}
    assert len(windows) == len(columns) * len(rows), "tiles do not form a grid"
    assert_axis_covered(
        list(columns), min(tile_size, width), x, x + width, overlap if width > tile_size else 0
    )
    assert_axis_covered(
        list(rows), min(tile_size, height), y, y + height, overlap if height > tile_size else 0
    )


@settings(max_examples=60, deadline=None)
@given(
    width=st.integers(1, 3000),
    height=st.integers(1, 3000),
    tile_size=st.integers(64, 1024),
    overlap_fraction=st.floats(0, 0.9),
    region_size=st.tuples(st.integers(1, 4000), st.integers(1, 4000)),
)
def test_ids_are_unique_and_a_region_rebuilt_from_its_fields_yields_the_same_tiles(
    width: int, height: int, tile_size: int, overlap_fraction: float, region_size: tuple[int, int]
) -> None:
    overlap = int(tile_size * overlap_fraction)
    area = Window(0, 0, width, height)
    regions = STRATEGY.regions(area, region_size, tile_size, overlap, image_id="job-1:s3://b/k.tif")
    assert len({region.id for region in regions}) == len(regions)
    assert all(region.id.startswith("job-1:s3://b/k.tif:") for region in regions)
    tile_ids = [tile.id for tiles in tiles_by_region(regions) for tile in tiles]
    assert len(set(tile_ids)) == len(tile_ids)

    redelivered = [
        Region(region.image_id, Window(*region.window.read_args), Window(*area.read_args), tile_size, overlap)
        for region in regions
    ]
    assert [r.id for r in redelivered] == [r.id for r in regions]
    assert [t.id for r in redelivered for t in STRATEGY.tiles(r)] == tile_ids


def test_ids_name_the_image_and_the_window() -> None:
    (region,) = STRATEGY.regions(Window(0, 0, 600, 300), (1024, 1024), 512, 32, image_id="img")
    assert region.id == "img:x0-y0-w600-h300"
    assert [tile.id for tile in STRATEGY.tiles(region)] == ["img:x0-y0-w512-h300", "img:x88-y0-w512-h300"]
    (anonymous,) = STRATEGY.regions(Window(0, 0, 600, 300), (1024, 1024), 512, 32)
    assert anonymous.id == "x0-y0-w600-h300"


def test_a_region_smaller_than_a_tile_still_holds_whole_tiles() -> None:
    regions = STRATEGY.regions(Window(0, 0, 2048, 512), (256, 512), 1024, 0)
    assert [region.window for region in regions] == [Window(0, 0, 1024, 512), Window(1024, 0, 1024, 512)]


@pytest.mark.parametrize(
    ("tile_size", "overlap", "region_size", "message"),
    [
        (0, 0, (512, 512), "tile size must be positive"),
        (512, 512, (1024, 1024), "overlap must be in"),
        (512, -1, (1024, 1024), "overlap must be in"),
        (512, 0, (0, 1024), "region size must be positive"),
    ],
)
def test_invalid_parameters_are_rejected_with_the_reason(
    tile_size: int, overlap: int, region_size: tuple[int, int], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        STRATEGY.regions(Window(0, 0, 4096, 4096), region_size, tile_size, overlap)


def test_a_region_outside_its_area_is_rejected() -> None:
    with pytest.raises(ValueError, match="not within the area"):
        Region("img", Window(900, 0, 200, 100), Window(0, 0, 1000, 1000), 100, 10)
