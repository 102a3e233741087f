"""Intake accepts exactly the tile format/compression pairs the formats offer."""

from __future__ import annotations

from typing import Any

import pytest

from model_runner.api import TileCompression, TileFormat, parse_image_request
from model_runner.errors import InvalidRequestError
from model_runner.tiling.encodings import SUPPORTED_COMPRESSIONS


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
