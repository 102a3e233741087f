"""Tile formats and compressions, and the one table of which compression each format can encode."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from model_runner.api.wire import WireEnum


class TileFormat(WireEnum):
    """Image format of the tiles sent to the model."""

    NITF = "NITF"
    JPEG = "JPEG"
    PNG = "PNG"
    GTIFF = "GTIFF"


class TileCompression(WireEnum):
    """Compression requested for the tiles sent to the model."""

    NONE = "NONE"
    JPEG = "JPEG"
    J2K = "J2K"
    LZW = "LZW"


@dataclass(frozen=True)
class TileEncoding:
    """How GDAL writes one format/compression pair."""

    driver: str
    creation_options: tuple[str, ...] = ()


TILE_ENCODINGS: Mapping[TileFormat, Mapping[TileCompression, TileEncoding]] = MappingProxyType(
    {
        # NITF: uncompressed (NC), JPEG DCT (C3), or JPEG 2000 (C8, needs a JPEG2000 driver in GDAL).
        TileFormat.NITF: MappingProxyType(
            {
                TileCompression.NONE: TileEncoding("NITF"),
                TileCompression.JPEG: TileEncoding("NITF", ("IC=C3",)),
                TileCompression.J2K: TileEncoding("NITF", ("IC=C8",)),
            }
        ),
        # JPEG is always JPEG-encoded: NONE and JPEG mean the same.
        TileFormat.JPEG: MappingProxyType(
            {
                TileCompression.NONE: TileEncoding("JPEG"),
                TileCompression.JPEG: TileEncoding("JPEG"),
            }
        ),
        # PNG is always lossless deflate.
        TileFormat.PNG: MappingProxyType({TileCompression.NONE: TileEncoding("PNG")}),
        # GDAL's GTiff driver has no JPEG 2000 codec.
        TileFormat.GTIFF: MappingProxyType(
            {
                TileCompression.NONE: TileEncoding("GTiff"),
                TileCompression.JPEG: TileEncoding("GTiff", ("COMPRESS=JPEG",)),
                TileCompression.LZW: TileEncoding("GTiff", ("COMPRESS=LZW",)),
            }
        ),
    }
)
"""Every format/compression pair the worker can encode; a pair missing here is refused."""


def compression_problem(tile_format: TileFormat, compression: TileCompression) -> str | None:
    """Why ``tile_format`` cannot be written with ``compression``, or None when it can."""
    supported = TILE_ENCODINGS[tile_format]
    if compression in supported:
        return None
    allowed = ", ".join(supported)
    return f"{tile_format} tiles cannot be compressed with {compression}; use one of: {allowed}"
