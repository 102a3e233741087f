"""Requests and handler pairs for the handler unit tests (tests/handlers), on the fakes of every port."""

from __future__ import annotations

from typing import Any

from model_runner.api import ImageRequest, RegionRequest, parse_image_request
from model_runner.handlers import ImageRequestHandler, RegionRequestHandler
from model_runner.testing import FakeContext

IMAGE_URL = "s3://images/scene.tif"
"""Where the handler tests' fakes serve their image."""


def request_body(**keys: Any) -> dict[str, Any]:
    return {
        "jobId": "job-1",
        "imageUrls": [IMAGE_URL],
        "imageProcessor": {"name": "https://model.test/invocations", "type": "HTTP_ENDPOINT"},
        "imageProcessorTileSize": 128,
        "imageProcessorTileOverlap": 16,
        "imageProcessorTileFormat": "PNG",
        "outputs": [{"type": "S3", "bucket": "results"}],
        **keys,
    }


def image_request(**keys: Any) -> ImageRequest:
    return parse_image_request(request_body(**keys))[0]


def pair(fakes: FakeContext) -> tuple[ImageRequestHandler, RegionRequestHandler]:
    region = RegionRequestHandler(fakes.context)
    return ImageRequestHandler(fakes.context, region), region


def drain_regions(fakes: FakeContext, region_handler: RegionRequestHandler) -> int:
    """Process every region message sent so far (and any they send), as other workers would."""
    handled = 0
    while bodies := fakes.region_queue.take_all():
        for body in bodies:
            region_handler.handle(RegionRequest.model_validate_json(body))
            handled += 1
    return handled
