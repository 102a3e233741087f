"""Encoding tiles to NITF, GeoTIFF, PNG or JPEG bytes in memory.

Each tile is written from a MEM dataset with ``CreateCopy`` into its own uniquely named
``/vsimem/`` folder, read back and deleted with the folder, so nothing touches the disk and
threads never share a file. Which compressions each format offers:

======  ====================================================================
NITF    NONE (IC=NC), JPEG (IC=C3), J2K (IC=C8, needs JP2OpenJPEG)
GTIFF   NONE, LZW, JPEG
PNG     NONE (PNG's own lossless deflate, at level 1: 3x faster, 5% bigger)
JPEG    NONE or JPEG (both: baseline JPEG)
======  ====================================================================

Bit depth and bands: lossless NITF and GeoTIFF keep the tile as it is. PNG and NITF J2K keep
uint8 and uint16. JPEG-compressed tiles (JPEG, NITF JPEG, GeoTIFF JPEG) are 8-bit with 1 or 3
bands: deeper pixels are scaled by :func:`~model_runner.imagery.pixel_scaling.scale_to_uint8`
and a 2nd or 4th band (alpha or near-infrared) is dropped. PNG scales other types to 8 bits.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from osgeo import gdal, gdal_array

from model_runner.errors import InvalidRequestError, ModelRunnerError, QueueAction
from model_runner.imagery.gdal_runtime import use_exceptions
from model_runner.imagery.pixel_scaling import ValueRange, scale_to_uint8
from model_runner.tiling.encodings import TileCompression, TileFormat, compression_problem


class UnsupportedEncodingError(InvalidRequestError):
    """The request asks for a format and compression this worker cannot produce."""


class TileEncodingError(ModelRunnerError):
    """GDAL failed to encode one tile; the tile counts as failed."""

    action = QueueAction.FAIL_JOB


JPEG2000_DRIVER = "JP2OpenJPEG"

_ANY_DTYPE: frozenset[np.dtype[np.generic]] = frozenset()
_UP_TO_16_BITS: frozenset[np.dtype[np.generic]] = frozenset({np.dtype(np.uint8), np.dtype(np.uint16)})
_8_BITS: frozenset[np.dtype[np.generic]] = frozenset({np.dtype(np.uint8)})


@dataclass(frozen=True)
class _Recipe:
    """How GDAL writes one format and compression."""

    driver: str
    extension: str
    options: tuple[str, ...]
    dtypes: frozenset[np.dtype[np.generic]]  # empty: any type GDAL's MEM driver holds
    jpeg_bands: bool = False  # baseline JPEG: 1 or 3 bands only


_RECIPES: Mapping[tuple[TileFormat, TileCompression], _Recipe] = {
    (TileFormat.NITF, TileCompression.NONE): _Recipe("NITF", "ntf", ("IC=NC",), _ANY_DTYPE),
    (TileFormat.NITF, TileCompression.JPEG): _Recipe("NITF", "ntf", ("IC=C3",), _8_BITS, True),
    (TileFormat.NITF, TileCompression.J2K): _Recipe("NITF", "ntf", ("IC=C8",), _UP_TO_16_BITS),
    (TileFormat.GTIFF, TileCompression.NONE): _Recipe("GTiff", "tif", (), _ANY_DTYPE),
    (TileFormat.GTIFF, TileCompression.LZW): _Recipe("GTiff", "tif", ("COMPRESS=LZW",), _ANY_DTYPE),
    (TileFormat.GTIFF, TileCompression.JPEG): _Recipe("GTiff", "tif", ("COMPRESS=JPEG",), _8_BITS, True),
    (TileFormat.PNG, TileCompression.NONE): _Recipe("PNG", "png", ("ZLEVEL=1",), _UP_TO_16_BITS),
    (TileFormat.JPEG, TileCompression.NONE): _Recipe("JPEG", "jpg", (), _8_BITS, True),
    (TileFormat.JPEG, TileCompression.JPEG): _Recipe("JPEG", "jpg", (), _8_BITS, True),
}


def encoding_problem(fmt: TileFormat, compression: TileCompression) -> str | None:
    """Why tiles of ``fmt`` cannot use ``compression`` on this worker, or None when they can."""
    problem = compression_problem(fmt, compression)
    if problem is not None:
        return problem
    if compression is TileCompression.J2K and gdal.GetDriverByName(JPEG2000_DRIVER) is None:
        return f"J2K needs GDAL's {JPEG2000_DRIVER} driver, which is not installed"
    return None


def check_encoding(fmt: TileFormat, compression: TileCompression) -> None:
    """Raise :class:`UnsupportedEncodingError` unless tiles of ``fmt`` can use ``compression``."""
    problem = encoding_problem(fmt, compression)
    if problem is not None:
        raise UnsupportedEncodingError([f"imageProcessorTileCompression: {problem}"])


def encode_tile(
    array: NDArray[np.generic],
    fmt: TileFormat,
    compression: TileCompression,
    *,
    value_range: ValueRange | None = None,
) -> bytes:
    """Encode a tile of shape (bands, rows, columns) or (rows, columns) as ``fmt`` bytes.

    ``value_range`` is the image's range used when pixels must be scaled to 8 bits (pass
    :meth:`ImageSource.value_range`); without it an integer type's full range is used.

    Raises:
        UnsupportedEncodingError: the format does not offer the compression.
        TileEncodingError: the tile has no pixels or more than 4 bands, or GDAL failed.
    """
    use_exceptions()
    check_encoding(fmt, compression)
    recipe = _RECIPES[(fmt, compression)]
    pixels = _fit_to_recipe(_as_bands(array), recipe, value_range)
    folder = f"/vsimem/model_runner_tile_{uuid.uuid4().hex}"
    path = f"{folder}/tile.{recipe.extension}"
    gdal.Mkdir(folder, 0o700)
    try:
        copy = gdal.GetDriverByName(recipe.driver).CreateCopy(
            path, _mem_dataset(pixels), strict=0, options=_options(recipe, pixels)
        )
        copy.FlushCache()
        del copy
        return _read_vsimem(path)
    except RuntimeError as error:
        raise TileEncodingError(f"cannot encode a {fmt}/{compression} tile: {error}") from None
    finally:
        gdal.RmdirRecursive(folder)


def _as_bands(array: NDArray[np.generic]) -> NDArray[np.generic]:
    bands = array[np.newaxis] if array.ndim == 2 else array
    if bands.ndim != 3 or not 1 <= bands.shape[0] <= 4 or bands.shape[1] == 0 or bands.shape[2] == 0:
        raise TileEncodingError(f"a tile must be (1 to 4 bands, rows, columns), got shape {array.shape}")
    return bands


def _fit_to_recipe(
    bands: NDArray[np.generic], recipe: _Recipe, value_range: ValueRange | None
) -> NDArray[np.generic]:
    if recipe.jpeg_bands and bands.shape[0] in (2, 4):
        bands = bands[:-1]
    if recipe.dtypes and bands.dtype not in recipe.dtypes:
        try:
            scale = value_range or ValueRange.of_dtype(bands.dtype)
        except ValueError as error:
            raise TileEncodingError(str(error)) from None
        return scale_to_uint8(bands, scale)
    return bands


def _options(recipe: _Recipe, pixels: NDArray[np.generic]) -> list[str]:
    options = list(recipe.options)
    if recipe.driver == "GTiff" and recipe.jpeg_bands and pixels.shape[0] == 3:
        options.append("PHOTOMETRIC=YCBCR")  # the usual JPEG colour space: a third of the size
    return options


def _mem_dataset(pixels: NDArray[np.generic]) -> gdal.Dataset:
    bands, rows, columns = pixels.shape
    gdal_type = gdal_array.NumericTypeCodeToGDALTypeCode(pixels.dtype)
    if gdal_type is None:
        raise TileEncodingError(f"GDAL cannot hold {pixels.dtype} pixels")
    dataset = gdal.GetDriverByName("MEM").Create("", columns, rows, bands, gdal_type)
    dataset.WriteArray(pixels)
    if bands >= 3:
        for index, colour in enumerate((gdal.GCI_RedBand, gdal.GCI_GreenBand, gdal.GCI_BlueBand)):
            dataset.GetRasterBand(index + 1).SetColorInterpretation(colour)
    return dataset


def _read_vsimem(path: str) -> bytes:
    size = gdal.VSIStatL(path).size
    handle = gdal.VSIFOpenL(path, "rb")
    try:
        return bytes(gdal.VSIFReadL(1, size, handle))
    finally:
        gdal.VSIFCloseL(handle)
