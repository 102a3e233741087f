"""Wide windows of an image on S3 read as column strips at once: the same pixels as one read,
cut on the image's block edges."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from osgeo import gdal

from model_runner.errors import ImageReadError, ImageUnavailableError
from model_runner.imagery import open_image
from model_runner.imagery.credentials import S3Credentials
from model_runner.imagery.gdal_runtime import fetch_blocks_at_once
from model_runner.imagery.source import ImageSource
from model_runner.imagery.strip_reads import StripReads
from model_runner.local.bench_image import IMAGES_BUCKET, make_image
from model_runner.local.object_server import ObjectServer
from model_runner.tiling import Window


def strip_reads(strips: int, block_width: int = 256) -> StripReads:
    return StripReads(lambda: None, strips, block_width)  # type: ignore[arg-type,return-value]


def test_a_band_is_cut_into_strips_on_block_edges() -> None:
    reads = strip_reads(2)

    assert reads.pieces(0, 8192) == [(0, 4096), (4096, 4096)]
    assert reads.pieces(100, 1000) == [(100, 412), (512, 588)]  # five block columns: cut after two
    assert reads.pieces(10, 200) == [(10, 200)]  # within one block: one piece
    reads.close()


@given(st.integers(0, 5000), st.integers(1, 9000), st.integers(2, 6), st.sampled_from([1, 128, 256, 512]))
def test_strips_cover_the_window_in_order_each_on_block_edges(
    x: int, width: int, strips: int, block: int
) -> None:
    reads = strip_reads(strips, block)

    pieces = reads.pieces(x, width)

    assert 1 <= len(pieces) <= strips
    assert pieces[0][0] == x and sum(piece_width for _, piece_width in pieces) == width
    assert all(left + size == following for (left, size), (following, _) in pairwise(pieces))
    assert all(size > 0 for _, size in pieces) and all(left % block == 0 for left, _ in pieces[1:])
    reads.close()


def test_each_lane_reads_on_handles_of_its_own_while_another_lane_reads() -> None:
    opened: list[object] = []

    def open_handle() -> object:
        opened.append(object())
        return opened[-1]

    reads = StripReads(open_handle, 2, 256, lanes=2)  # type: ignore[arg-type]
    all_at_once = threading.Barrier(4, timeout=5)  # both lanes' two strips
    used: list[tuple[int, int, object]] = []

    def read_a_window() -> None:
        with reads.lane() as lane:

            def piece(index: int) -> Callable[[object], None]:
                def read(handle: object) -> None:
                    used.append((lane, index, handle))
                    all_at_once.wait()

                return read

            second = reads.submit(lane, 1, piece(1))  # type: ignore[arg-type]
            reads.run(lane, 0, piece(0))  # type: ignore[arg-type]
            second.result()

    readers = [threading.Thread(target=read_a_window) for _ in range(2)]
    for reader in readers:
        reader.start()
    for reader in readers:
        reader.join()
    reads.close()

    assert sorted((lane, index) for lane, index, _ in used) == [(0, 0), (0, 1), (1, 0), (1, 1)]
    assert len(opened) == len({id(handle) for _, _, handle in used}) == 4


@pytest.fixture(scope="module")
def image_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("strips")
    make_image(folder, 2048)
    return folder


def on_s3(server: ObjectServer, strips: int = 2, reads_at_once: int = 1) -> ImageSource:
    """The fixture image, opened from ``server`` as the worker opens an image on S3."""
    return open_image(
        f"s3://{IMAGES_BUCKET}/bench-2048.tif",
        credentials=S3Credentials("a", "b"),
        s3_endpoint=server.url,
        strips=strips,
        reads_at_once=reads_at_once,
    )


@pytest.mark.e2e
@pytest.mark.parametrize("strips", [2, 3])
def test_an_image_on_s3_read_in_strips_gives_the_pixels_of_one_read(image_folder: Path, strips: int) -> None:
    windows = [Window(0, 0, 2048, 544), Window(300, 700, 1500, 300), Window(10, 10, 100, 100)]
    with open_image(str(image_folder / "bench-2048.tif"), strips=strips, reads_at_once=2) as local:
        expected = [local.read(window) for window in windows]
        assert local.reads_at_once == 1  # a file on disk: its reads take turns

    with (
        ObjectServer(image_folder, IMAGES_BUCKET) as server,
        on_s3(server, strips) as image,
    ):
        for window, pixels in zip(windows, expected, strict=True):
            np.testing.assert_array_equal(image.read(window), pixels)


@pytest.mark.e2e
def test_windows_read_at_once_on_their_own_lanes_give_the_pixels_of_one_read(image_folder: Path) -> None:
    windows = [Window(0, top, 2048, 300) for top in range(0, 1700, 240)]
    with open_image(str(image_folder / "bench-2048.tif")) as local:
        expected = [local.read(window) for window in windows]

    with (
        ObjectServer(image_folder, IMAGES_BUCKET, latency_ms=10) as server,
        on_s3(server, reads_at_once=2) as image,
        ThreadPoolExecutor(3) as readers,
    ):
        read = list(readers.map(image.read, windows))
        assert image.reads_at_once == 2  # its lanes: band reads go two at once

    for pixels, wanted in zip(read, expected, strict=True):
        np.testing.assert_array_equal(pixels, wanted)


@pytest.mark.e2e
def test_a_strip_that_cannot_be_reached_makes_the_image_unavailable(image_folder: Path) -> None:
    server = ObjectServer(image_folder, IMAGES_BUCKET)
    image = on_s3(server)
    server.close()

    with image, pytest.raises(ImageUnavailableError, match="cannot reach image"):
        image.read(Window(0, 1024, 2048, 512))


@pytest.mark.e2e
def test_a_closed_image_on_s3_read_in_strips_is_an_image_read_error(image_folder: Path) -> None:
    with ObjectServer(image_folder, IMAGES_BUCKET) as server:
        image = on_s3(server)
        image.close()

        with pytest.raises(ImageReadError, match="already closed"):
            image.read(Window(0, 0, 2048, 512))


@pytest.fixture
def fetch_limit() -> Iterator[Callable[[int], None]]:
    """Sets the bytes of blocks one read fetches at once; GDAL's own limit comes back after."""
    option = "GDAL_MAX_RAW_BLOCK_CACHE_SIZE"
    before = gdal.GetConfigOption(option)
    yield fetch_blocks_at_once
    gdal.SetConfigOption(option, before)


@pytest.mark.e2e
@pytest.mark.parametrize(("limit_mb", "requests"), [(10, 2), (32, 1)])
def test_a_read_past_gdals_10_mb_fetches_its_blocks_in_one_go_only_when_allowed(
    image_folder: Path, fetch_limit: Callable[[int], None], limit_mb: int, requests: int
) -> None:
    """Past the limit, GDAL fetches the rest of the blocks in further requests one after the
    other, each waiting out S3's latency (8 for a 10240 x 512 band, 250 ms at 30 ms)."""
    fetch_limit(limit_mb * 1024 * 1024)
    with ObjectServer(image_folder, IMAGES_BUCKET) as server, on_s3(server, strips=1) as image:
        before = server.requests
        image.read(Window(0, 0, 2048, 2048))  # 8 rows of 8 blocks of 256 x 256 x 3: 12 MiB

        assert server.requests - before == requests
