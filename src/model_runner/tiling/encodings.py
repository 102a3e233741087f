"""The formats and compressions a tile can be sent in: the request's vocabulary, free of GDAL.

Which compression each format offers is a fact of the formats, so the wire models check it at
intake without loading an image library; whether this worker's GDAL can write a combination (J2K
needs the JPEG 2000 driver) is checked by :mod:`model_runner.imagery.encoding`.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping


class TileFormat(enum.StrEnum):
    """The image format of the tiles sent to a model (request key imageProcessorTileFormat)."""

    NITF = "NITF"
    GTIFF = "GTIFF"
    PNG = "PNG"
    JPEG = "JPEG"


class TileCompression(enum.StrEnum):
    """The compression inside a tile (request key imageProcessorTileCompression)."""

    NONE = "NONE"
    JPEG = "JPEG"
    J2K = "J2K"
    LZW = "LZW"


SUPPORTED_COMPRESSIONS: Mapping[TileFormat, frozenset[TileCompression]] = {
    TileFormat.NITF: frozenset({TileCompression.NONE, TileCompression.JPEG, TileCompression.J2K}),
    TileFormat.GTIFF: frozenset({TileCompression.NONE, TileCompression.LZW, TileCompression.JPEG}),
    TileFormat.PNG: frozenset({TileCompression.NONE}),
    TileFormat.JPEG: frozenset({TileCompression.NONE, TileCompression.JPEG}),
}
"""The compressions each tile format accepts."""

CONTENT_TYPES: Mapping[TileFormat, str] = {
    TileFormat.NITF: "application/octet-stream",  # NITF has no registered media type
    TileFormat.GTIFF: "image/tiff",
    TileFormat.PNG: "image/png",
    TileFormat.JPEG: "image/jpeg",
}
"""The Content-Type of an encoded tile of each format."""


def content_type(fmt: TileFormat) -> str:
    """The MIME type to send with a tile of ``fmt``."""
    return CONTENT_TYPES[fmt]


def compression_problem(fmt: TileFormat, compression: TileCompression) -> str | None:
    """Why tiles of ``fmt`` can never use ``compression``, or None when the format offers it."""
    supported = SUPPORTED_COMPRESSIONS[fmt]
    if compression in supported:
        return None
    allowed = ", ".join(sorted(supported))
    return f"{fmt} tiles cannot be compressed with {compression}; use one of: {allowed}"
