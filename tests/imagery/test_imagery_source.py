"""Opening images once and reading windows from them."""

from __future__ import annotations

import socket
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from osgeo import gdal

from model_runner.errors import ConfigurationError, ImageReadError, ImageUnavailableError
from model_runner.imagery import S3Credentials, open_image
from model_runner.imagery.credentials import PATH_OPTION_SCOPES, s3_path_options


@dataclass(frozen=True)
class Window:
    x: int
    y: int
    width: int
    height: int


@pytest.mark.parametrize(
    ("name", "size", "bands", "dtype"),
    [
        ("RGB.byte.tif", (791, 718), 3, np.uint8),
        ("RGB.byte.rpc.vrt", (791, 718), 3, np.uint8),
        ("RGB.byte.gcp.vrt", (791, 718), 3, np.uint8),
        ("world.rgb.tif", (512, 256), 3, np.uint8),
        ("shade.tif", (1024, 1024), 1, np.uint8),
        ("RGBA.uint16.tif", (634, 411), 4, np.uint16),
    ],
)
def test_open_reports_size_bands_and_type(
    imagery_dir: Path, name: str, size: tuple[int, int], bands: int, dtype: type
) -> None:
    with open_image(str(imagery_dir / name)) as source:
        assert (source.width, source.height) == size
        assert source.band_count == bands
        assert source.dtype == np.dtype(dtype)
        assert not source.is_nitf
        assert source.source_metadata() is None


def test_read_returns_the_pixels_of_the_window(imagery_dir: Path) -> None:
    path = str(imagery_dir / "RGB.byte.tif")
    expected = gdal.Open(path).ReadAsArray(100, 200, 64, 32)
    with open_image(path) as source:
        pixels = source.read(Window(100, 200, 64, 32))
    assert pixels.shape == (3, 32, 64)
    np.testing.assert_array_equal(pixels, expected)


def test_concurrent_reads_each_get_their_own_window(imagery_dir: Path) -> None:
    path = str(imagery_dir / "shade.tif")
    reference = gdal.Open(path).ReadAsArray()
    windows = [Window(x, y, 128, 128) for x in range(0, 1024, 128) for y in range(0, 1024, 128)]
    with open_image(path) as source, ThreadPoolExecutor(max_workers=4) as pool:
        tiles = list(pool.map(source.read, windows))
    for window, tile in zip(windows, tiles, strict=True):
        expected = reference[window.y : window.y + 128, window.x : window.x + 128]
        np.testing.assert_array_equal(tile[0], expected)


@pytest.mark.parametrize("window", [Window(-1, 0, 10, 10), Window(700, 0, 100, 10), Window(0, 0, 0, 5)])
def test_read_rejects_windows_outside_the_image(imagery_dir: Path, window: Window) -> None:
    with open_image(str(imagery_dir / "RGB.byte.tif")) as source, pytest.raises(ValueError, match="window"):
        source.read(window)


def test_read_after_close_is_an_image_read_error(imagery_dir: Path) -> None:
    source = open_image(str(imagery_dir / "RGB.byte.tif"))
    source.close()
    source.close()
    with pytest.raises(ImageReadError, match="closed"):
        source.read(Window(0, 0, 8, 8))


def test_missing_file_names_the_url(tmp_path: Path) -> None:
    url = str(tmp_path / "nowhere.tif")
    with pytest.raises(ImageReadError, match=r"cannot open image .*nowhere\.tif"):
        open_image(url)


def test_a_text_file_is_not_a_raster(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("not an image")
    with pytest.raises(ImageReadError, match=r"notes\.txt"):
        open_image(str(notes))


@pytest.mark.parametrize("url", ["s3://bucket-only", "s3:///key", "ftp://example.com/a.tif"])
def test_unsupported_or_incomplete_urls(url: str) -> None:
    with pytest.raises(ImageReadError, match="cannot open image"):
        open_image(url)


def test_value_range_of_16_bit_image_is_its_pixel_extent(imagery_dir: Path) -> None:
    path = str(imagery_dir / "RGBA.uint16.tif")
    dataset = gdal.Open(path)
    extremes = [dataset.GetRasterBand(b).ComputeRasterMinMax(False) for b in range(1, 5)]
    with open_image(path) as source:
        value_range = source.value_range()
    assert value_range.low == min(low for low, _ in extremes)
    assert value_range.high == max(high for _, high in extremes)


def test_value_range_of_8_bit_image_is_the_full_byte(imagery_dir: Path) -> None:
    with open_image(str(imagery_dir / "shade.tif")) as source:
        assert (source.value_range().low, source.value_range().high) == (0, 255)


def test_s3_options_carry_credentials_and_a_local_endpoint() -> None:
    options = s3_path_options(S3Credentials("AKID", "SECRET", "TOKEN"), "http://127.0.0.1:4566")
    assert options == {
        "AWS_NO_SIGN_REQUEST": "NO",
        "AWS_ACCESS_KEY_ID": "AKID",
        "AWS_SECRET_ACCESS_KEY": "SECRET",
        "AWS_SESSION_TOKEN": "TOKEN",
        "AWS_S3_ENDPOINT": "127.0.0.1:4566",
        "AWS_HTTPS": "NO",
        "AWS_VIRTUAL_HOSTING": "FALSE",
    }
    assert "AWS_SESSION_TOKEN" not in s3_path_options(S3Credentials("AKID", "SECRET"), None)


def test_credentials_do_not_show_secrets_in_repr() -> None:
    text = repr(S3Credentials("AKID", "SECRET", "TOKEN"))
    assert "SECRET" not in text
    assert "TOKEN" not in text


def test_endpoint_without_scheme_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match=r"127\.0\.0\.1:4566"):
        s3_path_options(None, "127.0.0.1:4566")


OPTION = "MODEL_RUNNER_TEST_SCOPED_OPTION"


def test_path_options_apply_to_their_prefix_only_and_last_until_the_last_holder() -> None:
    # GDAL answers an option with no scoped value from the process environment, so the test uses
    # an option that no environment sets.
    prefix = "/vsis3/scoped-bucket/a/image.tif"
    PATH_OPTION_SCOPES.acquire(prefix, {OPTION: "FIRST"})
    PATH_OPTION_SCOPES.acquire(prefix, {OPTION: "SECOND"})
    try:
        assert gdal.GetPathSpecificOption(prefix, OPTION) == "SECOND"
        assert gdal.GetPathSpecificOption(prefix + ".ovr", OPTION) == "SECOND"
        assert gdal.GetPathSpecificOption("/vsis3/scoped-bucket/a/other.tif", OPTION) is None
        assert gdal.GetConfigOption(OPTION) is None
        PATH_OPTION_SCOPES.release(prefix)
        assert gdal.GetPathSpecificOption(prefix, OPTION) == "SECOND"
    finally:
        PATH_OPTION_SCOPES.release(prefix)
    assert gdal.GetPathSpecificOption(prefix, OPTION) is None


def test_renewing_a_held_prefixs_options_never_leaves_a_reader_without_them() -> None:
    """Regions of one image overlap on a worker (one records while the next reads): each use of
    the image renews its options, and a read at that moment must still find them."""
    prefix = "/vsis3/scoped-bucket/b/image.tif"
    PATH_OPTION_SCOPES.acquire(prefix, {OPTION: "ONE", OPTION + "_OTHER": "X"})
    done = threading.Event()
    missing = []

    def read() -> None:
        while not done.is_set():
            if gdal.GetPathSpecificOption(prefix, OPTION) is None:
                missing.append(1)

    switching = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # threads take turns as often as they can
    reader = threading.Thread(target=read)
    reader.start()
    try:
        for index in range(3000):
            PATH_OPTION_SCOPES.renew(prefix, {OPTION: "ONE" if index % 2 else "TWO"})
    finally:
        done.set()
        reader.join(5)
        sys.setswitchinterval(switching)
    try:
        assert missing == []
        assert gdal.GetPathSpecificOption(prefix, OPTION) == "ONE"  # the last renewal
        assert gdal.GetPathSpecificOption(prefix, OPTION + "_OTHER") is None  # dropped, not kept
    finally:
        PATH_OPTION_SCOPES.release(prefix)
    assert gdal.GetPathSpecificOption(prefix, OPTION) is None


def test_failed_s3_open_leaves_no_options_behind(unused_port: int, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):  # as the local stack exports them
        monkeypatch.setenv(name, "testing")
    url = "s3://unreachable-bucket/image.tif"
    endpoint = f"http://127.0.0.1:{unused_port}"
    with pytest.raises(ImageUnavailableError, match=r"cannot reach image s3://unreachable-bucket/image\.tif"):
        open_image(url, credentials=S3Credentials("AKID", "SECRET"), s3_endpoint=endpoint)
    assert gdal.GetPathSpecificOption("/vsis3/unreachable-bucket/image.tif", "AWS_S3_ENDPOINT") is None


@pytest.fixture
def unused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port
