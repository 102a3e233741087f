"""The tile format and compression keys of a request: the encoding enums, read in any letter case.

Which compressions each format offers, and whether this worker can write them, is decided by
:func:`model_runner.tiling.encodings.compression_problem`; the request checks it at intake
(the JPEG 2000 driver J2K also needs is checked when the image is accepted).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BeforeValidator

from model_runner.tiling.encodings import TileCompression, TileFormat


def _upper_case(value: object) -> object:
    """Every tile format and compression is spelt in capitals: ``"png"`` reads as ``PNG``."""
    return value.upper() if isinstance(value, str) else value


AnyCaseTileFormat = Annotated[TileFormat, BeforeValidator(_upper_case)]
"""imageProcessorTileFormat as sent: a :class:`TileFormat` in any letter case."""

AnyCaseTileCompression = Annotated[TileCompression, BeforeValidator(_upper_case)]
"""imageProcessorTileCompression as sent: a :class:`TileCompression` in any letter case."""
