"""Encoding tiles in memory, in every format and compression."""

from __future__ import annotations

import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray
from osgeo import gdal

from model_runner.errors import InvalidRequestError
from model_runner.imagery import (
    SUPPORTED_COMPRESSIONS,
    TileCompression,
    TileEncodingError,
    TileFormat,
    UnsupportedEncodingError,
    ValueRange,
    check_encoding,
    content_type,
    encode_tile,
)
from model_runner.imagery.pixel_scaling import scale_to_uint8

COMBINATIONS = [
    (fmt, compression) for fmt in TileFormat for compression in sorted(SUPPORTED_COMPRESSIONS[fmt])
]
LOSSLESS = {
    (TileFormat.NITF, TileCompression.NONE),
    (TileFormat.GTIFF, TileCompression.NONE),
    (TileFormat.GTIFF, TileCompression.LZW),
    (TileFormat.PNG, TileCompression.NONE),
}
JPEG_FAMILY = {
    (TileFormat.NITF, TileCompression.JPEG),
    (TileFormat.GTIFF, TileCompression.JPEG),
    (TileFormat.JPEG, TileCompression.NONE),
    (TileFormat.JPEG, TileCompression.JPEG),
}


def decode(data: bytes) -> NDArray[np.generic]:
    path = f"/vsimem/test_decode_{uuid.uuid4().hex}"
    gdal.FileFromMemBuffer(path, data)
    try:
        pixels: NDArray[np.generic] = gdal.Open(path).ReadAsArray()
    finally:
        gdal.Unlink(path)
    return pixels if pixels.ndim == 3 else pixels[np.newaxis]


def vsimem_files() -> list[str]:
    return gdal.ReadDirRecursive("/vsimem/") or []


@pytest.fixture(scope="module")
def rgb_tile(imagery_dir: Path) -> NDArray[np.generic]:
    pixels: NDArray[np.generic] = gdal.Open(str(imagery_dir / "RGB.byte.tif")).ReadAsArray(100, 100, 96, 80)
    return pixels


@pytest.fixture(scope="module")
def uint16_tile(imagery_dir: Path) -> NDArray[np.generic]:
    pixels: NDArray[np.generic] = gdal.Open(str(imagery_dir / "RGBA.uint16.tif")).ReadAsArray(0, 0, 96, 80)
    return pixels


@pytest.mark.parametrize(("fmt", "compression"), COMBINATIONS)
@pytest.mark.parametrize("bands", [1, 2, 3, 4])
def test_every_combination_decodes_to_the_tile(
    rgb_tile: NDArray[np.generic], fmt: TileFormat, compression: TileCompression, bands: int
) -> None:
    tile = np.concatenate((rgb_tile, rgb_tile[:1]))[:bands]
    decoded = decode(encode_tile(tile, fmt, compression))
    jpeg_bands = {1: 1, 2: 1, 3: 3, 4: 3}[bands]
    expected_bands = jpeg_bands if (fmt, compression) in JPEG_FAMILY else bands
    assert decoded.shape == (expected_bands, 80, 96)
    assert decoded.dtype == np.uint8
    if (fmt, compression) in LOSSLESS:
        np.testing.assert_array_equal(decoded, tile)
    else:
        error = np.abs(decoded.astype(int) - tile[:expected_bands].astype(int)).mean()
        assert error < 12, f"mean error {error:.1f} grey levels"
    assert vsimem_files() == []


def test_two_dimensional_array_is_one_band(rgb_tile: NDArray[np.generic]) -> None:
    decoded = decode(encode_tile(rgb_tile[0], TileFormat.PNG, TileCompression.NONE))
    np.testing.assert_array_equal(decoded, rgb_tile[:1])


@pytest.mark.parametrize(
    ("fmt", "compression"),
    [
        (TileFormat.NITF, TileCompression.NONE),
        (TileFormat.GTIFF, TileCompression.LZW),
        (TileFormat.PNG, TileCompression.NONE),
    ],
)
def test_lossless_formats_keep_16_bit_pixels(
    uint16_tile: NDArray[np.generic], fmt: TileFormat, compression: TileCompression
) -> None:
    decoded = decode(encode_tile(uint16_tile, fmt, compression))
    assert decoded.dtype == np.uint16
    np.testing.assert_array_equal(decoded, uint16_tile)


def test_nitf_j2k_keeps_16_bit_depth(uint16_tile: NDArray[np.generic]) -> None:
    decoded = decode(encode_tile(uint16_tile, TileFormat.NITF, TileCompression.J2K))
    assert decoded.dtype == np.uint16
    assert decoded.shape == uint16_tile.shape


@pytest.mark.parametrize(("fmt", "compression"), sorted(JPEG_FAMILY))
def test_jpeg_tiles_of_16_bit_images_are_scaled_with_the_image_range(
    uint16_tile: NDArray[np.generic], fmt: TileFormat, compression: TileCompression
) -> None:
    value_range = ValueRange(float(uint16_tile.min()), float(uint16_tile.max()))
    decoded = decode(encode_tile(uint16_tile, fmt, compression, value_range=value_range))
    assert decoded.dtype == np.uint8
    assert decoded.shape == (3, 80, 96)
    expected = scale_to_uint8(uint16_tile[:3], value_range).astype(int)
    assert np.abs(decoded.astype(int) - expected).mean() < 12


def test_scaling_maps_the_range_onto_the_byte_and_clips_outside() -> None:
    scaled = scale_to_uint8(np.array([[90, 100, 150, 200, 1000]], dtype=np.uint16), ValueRange(100, 200))
    assert scaled.tolist() == [[0, 0, 128, 255, 255]]


def test_without_a_range_16_bit_pixels_scale_by_their_type_range() -> None:
    tile = np.full((1, 8, 8), 65535, dtype=np.uint16)
    decoded = decode(encode_tile(tile, TileFormat.JPEG, TileCompression.JPEG))
    assert decoded.min() >= 254


def test_float_tiles_need_a_range_for_jpeg() -> None:
    tile = np.zeros((1, 8, 8), dtype=np.float32)
    with pytest.raises(TileEncodingError, match="range"):
        encode_tile(tile, TileFormat.JPEG, TileCompression.NONE)
    decoded = decode(
        encode_tile(tile + 0.5, TileFormat.JPEG, TileCompression.NONE, value_range=ValueRange(0, 1))
    )
    assert abs(int(decoded.mean()) - 128) <= 1


@pytest.mark.parametrize(
    ("fmt", "compression"),
    [
        (TileFormat.NITF, TileCompression.LZW),
        (TileFormat.GTIFF, TileCompression.J2K),
        (TileFormat.PNG, TileCompression.JPEG),
        (TileFormat.JPEG, TileCompression.LZW),
    ],
)
def test_unsupported_combinations_are_request_errors_naming_the_key(
    fmt: TileFormat, compression: TileCompression
) -> None:
    with pytest.raises(UnsupportedEncodingError, match="imageProcessorTileCompression") as raised:
        encode_tile(np.zeros((1, 8, 8), dtype=np.uint8), fmt, compression)
    assert isinstance(raised.value, InvalidRequestError)


def test_j2k_without_a_jpeg2000_driver_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    real = gdal.GetDriverByName
    monkeypatch.setattr(gdal, "GetDriverByName", lambda name: None if name == "JP2OpenJPEG" else real(name))
    with pytest.raises(UnsupportedEncodingError, match="JP2OpenJPEG"):
        check_encoding(TileFormat.NITF, TileCompression.J2K)


@pytest.mark.parametrize("shape", [(5, 8, 8), (1, 0, 8), (8,)])
def test_bad_tile_shapes_are_encoding_errors(shape: tuple[int, ...]) -> None:
    with pytest.raises(TileEncodingError, match="shape"):
        encode_tile(np.zeros(shape, dtype=np.uint8), TileFormat.PNG, TileCompression.NONE)


def test_gdal_failure_is_an_encoding_error_and_leaves_no_files(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken_copy(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(gdal.Driver, "CreateCopy", broken_copy)
    with pytest.raises(TileEncodingError, match="disk on fire"):
        encode_tile(np.zeros((1, 8, 8), dtype=np.uint8), TileFormat.PNG, TileCompression.NONE)
    assert vsimem_files() == []


def test_content_types() -> None:
    assert [content_type(fmt) for fmt in TileFormat] == [
        "application/octet-stream",
        "image/tiff",
        "image/png",
        "image/jpeg",
    ]


def test_encoding_from_several_threads_gives_each_its_own_tile(rgb_tile: NDArray[np.generic]) -> None:
    tiles = [np.roll(rgb_tile, shift, axis=2) for shift in range(16)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        encoded = list(pool.map(lambda t: encode_tile(t, TileFormat.GTIFF, TileCompression.LZW), tiles))
    for tile, data in zip(tiles, encoded, strict=True):
        np.testing.assert_array_equal(decode(data), tile)
    assert vsimem_files() == []


def test_encoding_speed_of_a_512_pixel_rgb_tile(imagery_dir: Path) -> None:
    tile = gdal.Open(str(imagery_dir / "RGB.byte.tif")).ReadAsArray(100, 100, 512, 512)
    report = []
    for fmt, compression in COMBINATIONS:
        start = time.perf_counter()
        size = len(encode_tile(tile, fmt, compression))
        elapsed_ms = (time.perf_counter() - start) * 1000
        report.append(f"{fmt}/{compression}: {elapsed_ms:.1f} ms, {size / 1024:.0f} KiB")
        assert elapsed_ms < 2000
    print("\n" + "\n".join(report))
