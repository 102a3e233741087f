"""Reading a region's tiles in bands read ahead: the same pixels as the plain read, one read per
row of tiles instead of one per tile, and a band that fails leaves only its failing tiles failed."""

from __future__ import annotations

import threading
import time
from itertools import pairwise

import numpy as np
import pytest
from handler_requests import IMAGE_URL
from hypothesis import given
from hypothesis import strategies as st
from in_flight import InFlight

from model_runner.errors import ImageUnavailableError
from model_runner.handlers.ports import Image
from model_runner.handlers.tile_reads import BandedReads, ReadArrangement, bands_of, with_fetches
from model_runner.testing import FakeContext
from model_runner.tiling import GridTilingStrategy, Tile, Window


def grid(width: int = 600, height: int = 500, tile: int = 128, overlap: int = 16) -> list[Tile]:
    strategy = GridTilingStrategy()
    (region,) = strategy.regions(Window(0, 0, width, height), (1024, 1024), tile, overlap, image_id="i")
    return list(strategy.tiles(region))


class CountingImage:
    """The image, counting its reads (from any thread) and failing the windows asked."""

    def __init__(
        self, image: Image, failing: tuple[Window, ...] = (), error: Exception | None = None
    ) -> None:
        self._image = image
        self._failing = failing
        self._error = error or OSError("disk vanished")
        self.windows: list[Window] = []
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> object:
        return getattr(self._image, name)

    def read(self, window: Window) -> np.ndarray:  # type: ignore[type-arg]
        with self._lock:
            self.windows.append(window)
        if any(_overlaps(window, bad) for bad in self._failing):
            raise self._error
        return self._image.read(window)


def _overlaps(window: Window, other: Window) -> bool:
    return (
        window.x < other.x + other.width
        and other.x < window.x + window.width
        and window.y < other.y + other.height
        and other.y < window.y + window.height
    )


@pytest.mark.parametrize("ahead", [1, 2, 5])
def test_banded_reads_give_the_pixels_of_the_plain_read(fakes: FakeContext, ahead: int) -> None:
    image = fakes.images.get(IMAGE_URL)
    tiles = grid()

    with BandedReads(image, tiles, ReadArrangement(ahead=ahead)) as banded:
        for tile in tiles:
            pixels = banded.read(tile)
            assert pixels.flags.c_contiguous
            np.testing.assert_array_equal(pixels, image.read(tile.window))


def test_a_row_of_tiles_is_one_read_and_rows_are_read_ahead(fakes: FakeContext) -> None:
    image = CountingImage(fakes.images.get(IMAGE_URL))
    tiles = grid()  # 6 columns x 5 rows
    rows = sorted({tile.window.y for tile in tiles})

    with BandedReads(image, tiles, ReadArrangement(ahead=2)) as banded:  # type: ignore[arg-type]
        banded.read(tiles[0])
        first_row_read = len(image.windows)
        for tile in tiles:
            banded.read(tile)

    assert len(image.windows) == len(rows) == 5
    assert [window.y for window in image.windows] == rows  # read in turn: each band its window
    assert all(window.width == 600 for window in image.windows)
    assert 1 <= first_row_read <= 3  # the first band, and up to two ahead of it


class BlockedImage(CountingImage):
    """The image as if stored in blocks of ``block_height`` rows, and read as a network image
    reads, two windows at once."""

    def __init__(self, image: Image, block_height: int) -> None:
        super().__init__(image)
        self.block_height = block_height
        self.reads_at_once = 2


@pytest.mark.parametrize("block_height", [1, 16, 64, 128, 500])
def test_each_row_is_fetched_once_and_fetches_end_on_block_edges(
    fakes: FakeContext, block_height: int
) -> None:
    plain = fakes.images.get(IMAGE_URL)
    image = BlockedImage(plain, block_height)
    tiles = grid()  # rows of 128 pixels, 16 shared with the next

    with BandedReads(image, tiles, ReadArrangement(ahead=2, at_once=2)) as banded:  # type: ignore[arg-type]
        for tile in tiles:
            np.testing.assert_array_equal(banded.read(tile), plain.read(tile.window))

    fetched = sorted(image.windows, key=lambda window: window.y)
    assert [window.y for window in fetched] == [0, *(window.bottom for window in fetched[:-1])]
    assert fetched[-1].bottom == 500
    if block_height <= 128:  # a block no taller than a band: no two fetches share one
        assert all(window.bottom % block_height == 0 for window in fetched[:-1])
    else:  # a taller block is not read whole for one band
        assert fetched[0].bottom == 128


@given(
    st.integers(64, 400),
    st.integers(200, 1024),
    st.integers(32, 200),
    st.integers(0, 184),
    st.integers(1, 300),
    st.integers(1, 8),
)
def test_every_band_is_cut_from_fetches_that_share_no_row(
    width: int, height: int, tile: int, overlap: int, block_height: int, band_tiles: int
) -> None:
    tiles = grid(width, height, tile, min(overlap, tile - 16))  # rows at least 16 apart: few tiles
    bands = with_fetches(bands_of(tiles, band_tiles * tile * tile * 3, 3), block_height, height)

    fetched: dict[tuple[int, int], list[Window]] = {}
    for number, band in enumerate(bands):
        window = band.window
        parts = [bands[part].fetch for part in band.parts]
        assert all(part <= number for part in band.parts) and None not in parts
        rows = [(part.y, part.bottom) for part in parts if part is not None]
        assert all(part.x == window.x and part.width == window.width for part in parts if part)
        assert rows[0][0] <= window.y and rows[-1][1] >= window.bottom  # the band's rows, ...
        assert all(end == start for (_, end), (start, _) in pairwise(rows))  # ... gapless
        if band.fetch is not None:
            assert band.parts[-1] == number
            fetched.setdefault((window.x, window.width), []).append(band.fetch)
            on_edge = band.fetch.bottom % block_height == 0 or band.fetch.bottom == height
            assert on_edge or block_height > window.height
    for fetches in fetched.values():
        ordered = sorted(fetches, key=lambda fetch: fetch.y)
        assert all(above.bottom <= below.y for above, below in pairwise(ordered))


@pytest.mark.parametrize("order", ["rows down", "rows up", "rows swapped"])
def test_tiles_in_any_order_get_the_pixels_of_the_plain_read(fakes: FakeContext, order: str) -> None:
    """Bands in row order keep only the rows later bands need; in another order they keep all."""
    plain = fakes.images.get(IMAGE_URL)
    image = BlockedImage(plain, 16)
    tiles = grid(tile=128, overlap=96)  # rows 32 pixels apart: a band's rows reach 3 rows down
    rows = sorted({tile.window.y for tile in tiles}, reverse=order == "rows up")
    if order == "rows swapped":  # 0, 2, 1, 4, 3, ...: a band above the one before it
        partners = [index + 1 if index % 2 else index - 1 for index in range(1, len(rows))]
        rows = [rows[0], *(rows[min(partner, len(rows) - 1)] for partner in partners)]
    tiles = [tile for row in rows for tile in tiles if tile.window.y == row]

    with BandedReads(image, tiles, ReadArrangement(ahead=2)) as banded:  # type: ignore[arg-type]
        for tile in tiles:
            np.testing.assert_array_equal(banded.read(tile), plain.read(tile.window))


def test_a_band_whose_rows_were_all_fetched_before_reads_nothing(fakes: FakeContext) -> None:
    plain = fakes.images.get(IMAGE_URL)
    image = BlockedImage(plain, 64)
    tiles = grid(tile=128, overlap=96)  # a row of tiles every 32 pixels, blocks of 64 rows
    rows = sorted({tile.window.y for tile in tiles})

    with BandedReads(image, tiles, ReadArrangement(ahead=3, at_once=2)) as banded:  # type: ignore[arg-type]
        for tile in tiles:
            np.testing.assert_array_equal(banded.read(tile), plain.read(tile.window))

    assert len(image.windows) == 500 // 64 < len(rows)
    assert sum(window.height for window in image.windows) == 500


def test_bands_hold_at_most_the_bytes_asked_and_never_span_rows() -> None:
    tiles = grid()
    row_bytes = 600 * 128 * 3

    whole_rows = bands_of(tiles, row_bytes, pixel_bytes=3)
    split_rows = bands_of(tiles, row_bytes // 2, pixel_bytes=3)

    assert len(whole_rows) == 5
    assert len(split_rows) > 5
    for band in split_rows:
        members = tiles[band.first : band.first + band.count]
        assert {tile.window.y for tile in members} == {band.window.y}
        assert band.window.width * band.window.height * 3 <= row_bytes // 2
    assert sum(band.count for band in split_rows) == len(tiles)


def test_ahead_zero_is_the_plain_read_tile_by_tile(fakes: FakeContext) -> None:
    image = CountingImage(fakes.images.get(IMAGE_URL))
    tiles = grid()

    with BandedReads(image, tiles, ReadArrangement(ahead=0)) as banded:  # type: ignore[arg-type]
        for tile in tiles:
            banded.read(tile)

    assert image.windows == [tile.window for tile in tiles]


def test_a_band_that_fails_is_read_again_tile_by_tile(fakes: FakeContext) -> None:
    tiles = grid()
    bad = tiles[2].window
    image = CountingImage(fakes.images.get(IMAGE_URL), failing=(Window(bad.x + 60, bad.y + 60, 1, 1),))

    failed = []
    with BandedReads(image, tiles, ReadArrangement(ahead=1)) as banded:  # type: ignore[arg-type]
        for tile in tiles:
            try:
                banded.read(tile)
            except OSError:
                failed.append(tile)

    assert failed == [tiles[2]]


def test_an_unreachable_image_is_raised_at_once_not_read_again_tile_by_tile(fakes: FakeContext) -> None:
    tiles = grid()
    bad = tiles[7].window  # second row
    unreachable = ImageUnavailableError("cannot reach image now: timeout")
    image = CountingImage(fakes.images.get(IMAGE_URL), (Window(bad.x + 60, bad.y + 60, 1, 1),), unreachable)

    with BandedReads(image, tiles, ReadArrangement(ahead=1)) as banded:  # type: ignore[arg-type]
        for tile in tiles[:6]:
            banded.read(tile)
        with pytest.raises(ImageUnavailableError):
            banded.read(tiles[6])

    assert tiles[6].window not in image.windows  # only bands were read


class SlowImage(CountingImage):
    """Each read takes a while, as a band on S3 waits for its first byte; counts reads under way;
    reads ``lanes`` windows at once."""

    def __init__(self, image: Image, lanes: int) -> None:
        super().__init__(image)
        self.in_flight = InFlight()
        self.reads_at_once = lanes

    def read(self, window: Window) -> np.ndarray:  # type: ignore[type-arg]
        with self.in_flight:
            time.sleep(0.02)
            return super().read(window)


@pytest.mark.parametrize(
    ("lanes", "at_once", "expected"),
    [(4, 1, 1), (4, 2, 2), (4, 4, 3), (1, 2, 1)],  # 4 at once: only 1 + ahead in hand; 1 lane: in turn
)
def test_bands_are_read_as_many_at_once_as_asked_and_the_image_serves(
    fakes: FakeContext, lanes: int, at_once: int, expected: int
) -> None:
    plain = fakes.images.get(IMAGE_URL)
    image = SlowImage(plain, lanes)
    tiles = grid(tile=64, overlap=0, width=512, height=448)  # 7 rows of tiles, one band each

    with BandedReads(image, tiles, ReadArrangement(ahead=2, at_once=at_once)) as banded:  # type: ignore[arg-type]
        for tile in tiles:
            np.testing.assert_array_equal(banded.read(tile), plain.read(tile.window))

    assert image.in_flight.most == expected
