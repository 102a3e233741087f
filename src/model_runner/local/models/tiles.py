"""Learn an encoded tile's size with GDAL, entirely in memory."""

from __future__ import annotations

import uuid

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


def _open_and_measure(path: str) -> tuple[int, int]:
    try:
        dataset = gdal.Open(path)
    except RuntimeError as error:
        raise TileDecodeError(f"not a readable image: {error}") from None
    if dataset is None:
        raise TileDecodeError("not a readable image")
    return dataset.RasterXSize, dataset.RasterYSize
