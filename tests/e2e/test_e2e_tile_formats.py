"""Every tile format and compression a request may ask for reaches the model as a decodable tile.

The centerpoint model decodes each tile to learn its size and answers a box at its centre, so a
tile encoded wrong (undecodable, or of the wrong size) shows up as a failed or misplaced feature.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from e2e_support import image_request, send, upload, wait_for_images
from osgeo import gdal
from test_e2e_imagery import feature_centres, tile_windows, window_centres

from model_runner.local import LocalStack
from model_runner.tiling import Window

pytestmark = pytest.mark.e2e

TILE, OVERLAP = 256, 32
ENCODINGS = [
    ("NITF", "NONE"),
    ("NITF", "JPEG"),
    ("NITF", "J2K"),
    ("GTIFF", "NONE"),
    ("GTIFF", "LZW"),
    ("GTIFF", "JPEG"),
    ("PNG", "NONE"),
    ("JPEG", "NONE"),
    ("JPEG", "JPEG"),
]
HAS_JPEG2000 = gdal.GetDriverByName("JP2OpenJPEG") is not None


def run_job(stack: LocalStack, in_process_worker: Any, path: Path, fmt: str, compression: str) -> Any:
    url = upload(stack, path)
    body = image_request(
        stack,
        [url],
        imageProcessorTileSize=TILE,
        imageProcessorTileOverlap=OVERLAP,
        imageProcessorTileFormat=fmt,
        imageProcessorTileCompression=compression,
    )
    in_process_worker()
    send(stack, body)
    return wait_for_images(stack, body["jobId"], [url]).only


def assert_one_feature_per_tile(outcome: Any, path: Path) -> None:
    assert outcome.status == "SUCCESS", outcome.message
    dataset = gdal.Open(str(path))
    area = Window(0, 0, dataset.RasterXSize, dataset.RasterYSize)
    assert feature_centres(outcome.features) == window_centres(tile_windows(area, TILE, OVERLAP))


@pytest.mark.parametrize(("fmt", "compression"), ENCODINGS)
def test_each_tile_encoding_gives_one_feature_per_tile(
    stack: LocalStack, in_process_worker: Any, imagery_dir: Path, fmt: str, compression: str
) -> None:
    path = imagery_dir / "RGB.byte.tif"
    outcome = run_job(stack, in_process_worker, path, fmt, compression)

    if compression == "J2K" and not HAS_JPEG2000:
        assert outcome.status == "FAILED"
        assert "imageProcessorTileCompression" in outcome.message and "J2K" in outcome.message
    else:
        assert_one_feature_per_tile(outcome, path)


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_a_16_bit_four_band_image_is_encoded_for_8_bit_formats(
    stack: LocalStack, in_process_worker: Any, imagery_dir: Path, fmt: str
) -> None:
    path = imagery_dir / "RGBA.uint16.tif"
    outcome = run_job(stack, in_process_worker, path, fmt, "NONE")

    assert_one_feature_per_tile(outcome, path)
