"""Handler unit tests: the base handlers on the in-memory fakes of every port, no servers."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import numpy as np
import pytest
from handler_requests import IMAGE_URL
from osgeo import gdal

from model_runner.testing import FakeContext, fake_context, fake_settings, write_image


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
