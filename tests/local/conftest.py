"""Fixtures of the local stack tests: encoded tiles made with GDAL in memory."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import numpy as np
import pytest
from osgeo import gdal

gdal.UseExceptions()

EncodeTile = Callable[..., bytes]
DRIVERS = {"PNG": "PNG", "NITF": "NITF", "GTIFF": "GTiff", "JPEG": "JPEG"}


def encode_tile(tile_format: str, width: int, height: int, seed: int = 0) -> bytes:
    """A ``width`` x ``height`` RGB tile of random pixels encoded as ``tile_format``."""
    pixels = np.random.default_rng(seed).integers(0, 256, size=(3, height, width), dtype=np.uint8)
    source = gdal.GetDriverByName("MEM").Create("", width, height, 3, gdal.GDT_Byte)
    for index in range(3):
        source.GetRasterBand(index + 1).WriteArray(pixels[index])
    path = f"/vsimem/test-tile-{uuid.uuid4().hex}"
    gdal.GetDriverByName(DRIVERS[tile_format]).CreateCopy(path, source)
    try:
        handle = gdal.VSIFOpenL(path, "rb")
        size = gdal.VSIStatL(path).size
        data = bytes(gdal.VSIFReadL(1, size, handle))
        gdal.VSIFCloseL(handle)
        return data
    finally:
        for written in (path, f"{path}.aux.xml"):
            if gdal.VSIStatL(written) is not None:
                gdal.Unlink(written)


@pytest.fixture(scope="session")
def tile() -> EncodeTile:
    """Encode a random RGB tile: ``tile("PNG", width, height, seed=0)``."""
    return encode_tile
