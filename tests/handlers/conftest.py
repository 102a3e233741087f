"""Handler unit tests: the base handlers on the in-memory fakes of every port, no servers."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from osgeo import gdal

from model_runner.api import ImageRequest, RegionRequest, parse_image_request
from model_runner.handlers import ImageRequestHandler, RegionRequestHandler
from model_runner.testing import FakeContext, fake_context, fake_settings, write_image

IMAGE_URL = "s3://images/scene.tif"


@pytest.fixture
def image_path() -> Iterator[str]:
    """A 600 x 500 three-band image in GDAL's memory file system."""
    path = f"/vsimem/handlers-{uuid.uuid4().hex}.tif"
    pixels = (np.arange(3 * 500 * 600) % 251).astype(np.uint8).reshape(3, 500, 600)
    write_image(path, pixels)
    yield path
    gdal.Unlink(path)


@pytest.fixture
def fakes(image_path: str) -> Iterator[FakeContext]:
    """Fakes with 256-pixel regions and the test image served at IMAGE_URL."""
    made = fake_context(settings=fake_settings(REGION_SIZE="256", WORKERS="2"))
    made.images.add(IMAGE_URL, image_path)
    yield made
    made.images.close()


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
