"""Geolocation end to end: each feature lands where GDAL's own model of its image puts its pixels.

The same Landsat pixels come with three georeferencings (geotransform, RPC, ground control points);
every feature's WGS84 centre and geometry must agree with a GDAL transformer built here for that
file, to within one pixel's ground size. The RPC and GCP files describe a different place than the
geotransform, so each is compared with its own model.
"""

from __future__ import annotations

import math
import uuid
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from e2e_support import IMAGES_BUCKET, image_request, send, upload, wait_for_images
from osgeo import gdal
from test_e2e_imagery import feature_centres, tile_windows, window_centres

from model_runner.local import LocalStack
from model_runner.tiling import Window

pytestmark = pytest.mark.e2e

TILE, OVERLAP = 256, 32
SOURCE = "RGB.byte.tif"
# The transformer options of the worker's sensor model for each file (see imagery.sensor_model).
MODELS = {
    "RGB.byte.tif": ["METHOD=GEOTRANSFORM"],
    "RGB.byte.rpc.vrt": ["METHOD=RPC", "RPC_HEIGHT=89", "RPC_PIXEL_ERROR_THRESHOLD=0.01"],
    "RGB.byte.gcp.vrt": ["METHOD=GCP_TPS"],
}


def image_url(stack: LocalStack, imagery_dir: Path, name: str) -> str:
    """The GeoTIFF from S3; a VRT by its local path (VRTs on S3 are tested below)."""
    if name == SOURCE:
        return upload(stack, imagery_dir / name)
    return str(imagery_dir / name)


def upload_beside_source(stack: LocalStack, imagery_dir: Path, name: str) -> str:
    """Upload ``name`` and the image it refers to into one fresh S3 folder; the URL of ``name``."""
    folder = f"e2e/{uuid.uuid4().hex[:8]}"
    for file_name in (SOURCE, name):
        upload(stack, imagery_dir / file_name, f"{folder}/{file_name}")
    return f"s3://{IMAGES_BUCKET}/{folder}/{name}"


class GroundTruth:
    """GDAL's pixel -> WGS84 transform of one file, and its ground size of a pixel."""

    def __init__(self, path: Path) -> None:
        gdal.UseExceptions()
        self.dataset = gdal.Open(str(path))
        self.transformer = gdal.Transformer(self.dataset, None, [*MODELS[path.name], "DST_SRS=EPSG:4326"])

    def lon_lat(self, x: float, y: float) -> tuple[float, float]:
        success, (lon, lat, _) = self.transformer.TransformPoint(0, x, y)
        assert success, f"GDAL cannot locate pixel ({x}, {y})"
        return lon, lat

    def pixel_size_deg(self, x: float, y: float) -> float:
        """The larger of one pixel's width and height on the ground at (x, y), in degrees."""
        lon, lat = self.lon_lat(x, y)
        right, down = self.lon_lat(x + 1, y), self.lon_lat(x, y + 1)
        scale = math.cos(math.radians(lat))
        return max(
            math.hypot((right[0] - lon) * scale, right[1] - lat),
            math.hypot((down[0] - lon) * scale, down[1] - lat),
        )


def assert_located(feature: dict[str, Any], truth: GroundTruth) -> None:
    properties = feature["properties"]
    min_x, min_y, max_x, max_y = properties["imageBBox"]
    centre_x, centre_y = (min_x + max_x) / 2, (min_y + max_y) / 2
    tolerance = truth.pixel_size_deg(centre_x, centre_y)
    expected = truth.lon_lat(centre_x, centre_y)
    actual = (properties["center_longitude"], properties["center_latitude"])
    assert np.allclose(actual, expected, rtol=0, atol=tolerance), (actual, expected)
    assert feature["geometry"]["type"] == properties["imageGeometry"]["type"] == "Polygon"
    (ring,) = properties["imageGeometry"]["coordinates"]
    (world_ring,) = feature["geometry"]["coordinates"]
    assert len(world_ring) == len(ring)
    height = (
        float(truth.dataset.GetMetadata("RPC").get("HEIGHT_OFF", 0.0))
        if truth.dataset.GetMetadata("RPC")
        else 0.0
    )
    for (x, y), position in zip(ring, world_ring, strict=True):
        lon, lat, z = position  # [lon, lat, height], as the reference writes them
        assert np.allclose((lon, lat), truth.lon_lat(x, y), rtol=0, atol=tolerance), (x, y, position)
        assert z == height  # no elevation model: the RPC's HEIGHT_OFF, else 0.0
    min_lon, min_lat, max_lon, max_lat = feature["bbox"]
    assert min_lon <= actual[0] <= max_lon and min_lat <= actual[1] <= max_lat


@pytest.mark.parametrize("name", list(MODELS))
def test_every_feature_lands_where_gdal_locates_its_pixels(
    stack: LocalStack, in_process_worker: Any, imagery_dir: Path, name: str
) -> None:
    url = image_url(stack, imagery_dir, name)
    body = image_request(stack, [url], imageProcessorTileSize=TILE, imageProcessorTileOverlap=OVERLAP)
    in_process_worker()

    send(stack, body)
    outcome = wait_for_images(stack, body["jobId"], [url]).only

    assert outcome.status == "SUCCESS", outcome.message
    truth = GroundTruth(imagery_dir / name)
    area = Window(0, 0, truth.dataset.RasterXSize, truth.dataset.RasterYSize)
    expected = window_centres(tile_windows(area, TILE, OVERLAP))
    assert feature_centres(outcome.features) == expected  # one centerpoint per tile
    for feature in outcome.features:
        assert_located(feature, truth)


def test_a_vrt_on_s3_reads_its_source_from_the_same_folder(
    stack: LocalStack, in_process_worker: Any, imagery_dir: Path
) -> None:
    url = upload_beside_source(stack, imagery_dir, "RGB.byte.rpc.vrt")
    body = image_request(stack, [url], imageProcessorTileSize=TILE, imageProcessorTileOverlap=OVERLAP)
    in_process_worker()

    send(stack, body)
    outcome = wait_for_images(stack, body["jobId"], [url]).only

    assert outcome.status == "SUCCESS", outcome.message
