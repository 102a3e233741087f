"""Intake accepts exactly the tile format/compression pairs the imagery encoder can write."""

from __future__ import annotations

from typing import Any

import pytest
from osgeo import gdal

from model_runner.api import TileCompression, TileFormat, parse_image_request
from model_runner.errors import InvalidRequestError
from model_runner.imagery import SUPPORTED_COMPRESSIONS


def tiles(fmt: str, compression: str) -> dict[str, Any]:
    return {
        "jobId": "job-1",
        "imageUrls": ["s3://images/scene.tif"],
        "imageProcessor": {"name": "my-endpoint"},
        "imageProcessorTileFormat": fmt,
        "imageProcessorTileCompression": compression,
        "outputs": [{"type": "S3", "bucket": "results"}],
    }


@pytest.mark.parametrize("fmt", list(TileFormat))
@pytest.mark.parametrize("compression", list(TileCompression))
def test_a_pair_is_accepted_in_any_case_exactly_when_the_encoder_supports_it(
    fmt: TileFormat, compression: TileCompression
) -> None:
    body = tiles(fmt.lower(), compression.capitalize())
    if compression in SUPPORTED_COMPRESSIONS[fmt]:
        request = parse_image_request(body)[0]
        assert (request.image_processor_tile_format, request.image_processor_tile_compression) == (
            fmt,
            compression,
        )
        return
    with pytest.raises(InvalidRequestError) as caught:
        parse_image_request(body)
    assert caught.value.problems[0].startswith(
        f"imageProcessorTileCompression: {fmt} tiles cannot be compressed with {compression}; use one of: "
    )


def test_j2k_is_refused_at_intake_without_a_jpeg2000_driver(monkeypatch: pytest.MonkeyPatch) -> None:
    real = gdal.GetDriverByName
    monkeypatch.setattr(gdal, "GetDriverByName", lambda name: None if name == "JP2OpenJPEG" else real(name))
    with pytest.raises(InvalidRequestError) as caught:
        parse_image_request(tiles("NITF", "J2K"))
    assert caught.value.problems == (
        "imageProcessorTileCompression: J2K needs GDAL's JP2OpenJPEG driver, which is not installed",
    )
