"""Learn an encoded tile's size, or a digest of its pixels, with GDAL, entirely in memory."""

from __future__ import annotations

import hashlib
import uuid

import numpy as np
from numpy.typing import NDArray
from osgeo import gdal

from model_runner.errors import ImageReadError


class TileDecodeError(ImageReadError):
    """The request body is not an image GDAL can open."""


def tile_size(encoded: bytes) -> tuple[int, int]:
    """Width and height in pixels of an encoded tile (NITF, GeoTIFF, PNG, JPEG, ...).

    Raises:
        TileDecodeError: GDAL cannot open the bytes as a raster.
    """
    path = f"/vsimem/local-model-tile-{uuid.uuid4().hex}"
    gdal.FileFromMemBuffer(path, encoded)
    try:
        return _open_and_measure(path)
    finally:
        gdal.Unlink(path)


def tile_pixel_digest(encoded: bytes) -> str:
    """The :func:`pixel_digest` of an encoded tile's pixels (which lossless formats keep).

    Raises:
        TileDecodeError: GDAL cannot open the bytes as a raster.
    """
    path = f"/vsimem/local-model-tile-{uuid.uuid4().hex}"
    gdal.FileFromMemBuffer(path, encoded)
    try:
        pixels = _open(path).ReadAsArray()
    finally:
        gdal.Unlink(path)
    return pixel_digest(np.asarray(pixels).reshape(-1, *np.shape(pixels)[-2:]))


def pixel_digest(pixels: NDArray[np.generic]) -> str:
    """A digest of pixels shaped (bands, rows, columns), whatever their source."""
    return hashlib.sha256(repr((pixels.shape, pixels.dtype.str)).encode() + pixels.tobytes()).hexdigest()


def _open_and_measure(path: str) -> tuple[int, int]:
    dataset = _open(path)
    return dataset.RasterXSize, dataset.RasterYSize


def _open(path: str) -> gdal.Dataset:
    try:
        dataset = gdal.Open(path)
    except RuntimeError as error:
        raise TileDecodeError(f"not a readable image: {error}") from None
    if dataset is None:
        raise TileDecodeError("not a readable image")
    return dataset
