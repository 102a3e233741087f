"""A DEM on S3, configured as the reference configures it (ELEVATION_DATA_*): the worker reads its
tiles with its own credentials and every output position takes its height from it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from e2e_support import IMAGES_BUCKET, image_request, send, upload, wait_for_images
from osgeo import gdal, osr

from model_runner.local import LocalStack

pytestmark = pytest.mark.e2e

DEM_TILE = "n47_e034_3arc_v2.tif"


def test_heights_come_from_a_dem_on_s3(
    stack: LocalStack, in_process_worker: Any, refcompat_dir: Path, tmp_path: Path
) -> None:
    upload(stack, refcompat_dir / "images" / DEM_TILE, f"dem/srtm/{DEM_TILE}")
    image = tmp_path / "crimea.tif"
    dataset = gdal.GetDriverByName("GTiff").Create(str(image), 256, 256, 1)
    dataset.SetGeoTransform((34.4, 0.0005, 0.0, 47.6, 0.0, -0.0005))
    dataset.SetProjection(osr.SRS_WKT_WGS84_LAT_LONG)
    dataset = None
    url = upload(stack, image)
    in_process_worker(
        ELEVATION_DATA_LOCATION=f"s3://{IMAGES_BUCKET}/dem/srtm",
        ELEVATION_DATA_VERSION="3arc_v2",
        ELEVATION_DATA_EXTENSION=".tif",
    )
    body = image_request(stack, [url])

    send(stack, body)
    outcome = wait_for_images(stack, body["jobId"], [url]).only

    assert outcome.status == "SUCCESS", outcome.message
    dem = gdal.Open(str(refcompat_dir / "images" / DEM_TILE))
    x0, dx, _, y0, _, dy = dem.GetGeoTransform()
    heights = dem.GetRasterBand(1).ReadAsArray()
    for feature in outcome.features:
        for lon, lat, z in feature["geometry"]["coordinates"][0]:
            column, row = int((lon - x0) / dx), int((lat - y0) / dy)
            near = heights[row - 1 : row + 2, column - 1 : column + 2]
            assert near.min() - 0.01 <= z <= near.max() + 0.01  # the DEM's height there, not 0.0
    assert any(
        position[2] != 0.0
        for feature in outcome.features
        for position in feature["geometry"]["coordinates"][0]
    )
