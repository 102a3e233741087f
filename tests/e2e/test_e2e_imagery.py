"""Imagery end to end: big images in several regions, regions of interest, several images per
request, what every feature carries, and NITF source metadata.

The centerpoint model answers one small box at the centre of each tile it decodes, so the
features of an image show exactly which tiles the model saw.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
import shapely
from e2e_support import StatusCapture, image_request, send, upload, wait_for_images
from osgeo import gdal
from shapely.geometry import Polygon, box, shape

from model_runner.api import image_id_for
from model_runner.local import LocalStack
from model_runner.local.synthetic_image import generate_image
from model_runner.tiling import GridTilingStrategy, Window, roi_window

pytestmark = pytest.mark.e2e

RGB_WIDTH, RGB_HEIGHT = 791, 718  # RGB.byte.tif


def tile_windows(area: Window, tile_size: int, overlap: int, region_size: int = 10240) -> list[Window]:
    """Every tile window the worker's grid lays over ``area``."""
    strategy = GridTilingStrategy()
    regions = strategy.regions(area, (region_size, region_size), tile_size, overlap)
    return [tile.window for region in regions for tile in strategy.tiles(region)]


def window_centres(windows: Iterable[Window]) -> Counter[tuple[float, float]]:
    return Counter((window.x + window.width / 2, window.y + window.height / 2) for window in windows)


def feature_centres(features: Iterable[dict[str, Any]]) -> Counter[tuple[float, float]]:
    """The pixel centres of the features' imageBBox, counted."""
    return Counter(
        ((min_x + max_x) / 2, (min_y + max_y) / 2)
        for min_x, min_y, max_x, max_y in (feature["properties"]["imageBBox"] for feature in features)
    )


def test_a_large_image_in_several_regions_gets_each_tile_centre_exactly_once(
    stack: LocalStack, statuses: StatusCapture, in_process_worker: Any, tmp_path: Path
) -> None:
    size, tile, overlap, region = 4096, 512, 32, 2048
    path = str(generate_image(tmp_path / "large.tif", size, size))
    body = image_request(stack, [path], imageProcessorTileSize=tile, imageProcessorTileOverlap=overlap)
    in_process_worker(REGION_SIZE=str(region))

    send(stack, body)
    outcome = wait_for_images(stack, body["jobId"], [path]).only

    assert outcome.status == "SUCCESS", outcome.message
    expected = window_centres(tile_windows(Window(0, 0, size, size), tile, overlap, region))
    assert len(expected) == 81  # 9 x 9 tiles
    assert feature_centres(outcome.features) == expected
    for feature in outcome.features:
        min_x, min_y, max_x, max_y = feature["properties"]["imageBBox"]
        assert 0 <= min_x < max_x <= size and 0 <= min_y < max_y <= size
    finished_regions = {
        item["attributes"]["region_id"]
        for item in statuses.for_job(body["jobId"])
        if "region_id" in item["attributes"] and item["attributes"]["status"] == "SUCCESS"
    }
    assert len(finished_regions) == 4  # 2 x 2 regions of 2048 pixels


def rgb_roi(imagery_dir: Path, pixels: Polygon) -> tuple[str, Polygon]:
    """A lon/lat WKT polygon over ``pixels`` of RGB.byte.tif, and its exact footprint in pixels."""
    gdal.UseExceptions()
    transformer = gdal.Transformer(gdal.Open(str(imagery_dir / "RGB.byte.tif")), None, ["DST_SRS=EPSG:4326"])
    ring = [transformer.TransformPoint(0, x, y)[1][:2] for x, y in pixels.exterior.coords]
    lon_lat = Polygon(ring)
    dense = shapely.segmentize(lon_lat, 0.0005)
    footprint = Polygon(
        [transformer.TransformPoint(1, lon, lat)[1][:2] for lon, lat in dense.exterior.coords]
    )
    return lon_lat.wkt, footprint


def test_a_region_of_interest_limits_the_tiles_to_its_footprint(
    stack: LocalStack, in_process_worker: Any, imagery_dir: Path
) -> None:
    url = upload(stack, imagery_dir / "RGB.byte.tif")
    wkt, footprint = rgb_roi(imagery_dir, box(100, 150, 500, 450))
    body = image_request(stack, [url], regionOfInterest=wkt)
    in_process_worker()

    send(stack, body)
    outcome = wait_for_images(stack, body["jobId"], [url]).only

    assert outcome.status == "SUCCESS", outcome.message
    area = roi_window(footprint, Window(0, 0, RGB_WIDTH, RGB_HEIGHT))
    assert area is not None
    expected = window_centres(tile_windows(area, 256, 32))
    assert len(expected) == 4  # 2 x 2 tiles, where the whole image has 4 x 4
    assert feature_centres(outcome.features) == expected
    for feature in outcome.features:
        assert shape(feature["properties"]["imageGeometry"]).intersects(footprint.buffer(1.0))


def test_a_region_of_interest_outside_the_image_fails_it_naming_the_key(
    stack: LocalStack, in_process_worker: Any, imagery_dir: Path
) -> None:
    url = upload(stack, imagery_dir / "RGB.byte.tif")
    body = image_request(stack, [url], regionOfInterest="POLYGON ((10 10, 11 10, 11 11, 10 11, 10 10))")
    in_process_worker()

    send(stack, body)
    outcome = wait_for_images(stack, body["jobId"], [url]).only

    assert outcome.status == "FAILED"
    assert "regionOfInterest" in outcome.message
    assert outcome.features == []


def test_each_image_of_a_request_gets_its_own_status_and_result(
    stack: LocalStack, in_process_worker: Any, imagery_dir: Path
) -> None:
    urls = [upload(stack, imagery_dir / "RGB.byte.tif"), str(imagery_dir / "world.rgb.tif")]
    body = image_request(stack, urls)
    in_process_worker()

    send(stack, body)
    outcome = wait_for_images(stack, body["jobId"], urls)

    rgb, world = (outcome.images[url] for url in urls)
    assert (rgb.status, world.status) == ("SUCCESS", "SUCCESS"), (rgb.message, world.message)
    assert rgb.image_id != world.image_id
    assert len(rgb.features) == 16  # 4 x 4 tiles of 256
    assert len(world.features) == 3  # 512 x 256 pixels: 3 tiles of 256 overlapping by 128
    assert not {feature["id"] for feature in rgb.features} & {feature["id"] for feature in world.features}


def forget_image(stack: LocalStack, image_id: str) -> None:
    """Delete an image's job and region rows, as their expiry would: the job can then run again."""
    dynamodb = stack.boto3_client("dynamodb")
    dynamodb.delete_item(TableName=stack.env["JOB_TABLE"], Key={"image_id": {"S": image_id}})
    table = stack.env["REGION_REQUEST_TABLE"]
    rows = dynamodb.query(
        TableName=table,
        KeyConditionExpression="image_id = :image",
        ExpressionAttributeValues={":image": {"S": image_id}},
    )["Items"]
    for row in rows:
        dynamodb.delete_item(
            TableName=table, Key={"image_id": row["image_id"], "region_id": row["region_id"]}
        )


def test_features_carry_the_request_properties_job_id_model_metadata_and_stable_ids(
    stack: LocalStack, in_process_worker: Any, imagery_dir: Path
) -> None:
    url = upload(stack, imagery_dir / "RGB.byte.tif")
    extra = [{"customer": "acme", "tags": ["a", "b"]}, {"priority": 2}]
    body = image_request(stack, [url], featureProperties=extra)
    in_process_worker()

    send(stack, body)
    first = wait_for_images(stack, body["jobId"], [url]).only
    forget_image(stack, first.image_id)
    send(stack, body)
    again = wait_for_images(stack, body["jobId"], [url]).only

    assert first.status == again.status == "SUCCESS", (first.message, again.message)
    assert len(first.features) == 16
    for feature in first.features:
        properties = feature["properties"]
        assert properties["customer"] == "acme" and properties["tags"] == ["a", "b"]
        assert properties["priority"] == 2
        assert properties["inferenceMetadata"]["jobId"] == body["jobId"]
        assert properties["modelMetadata"] == {"modelName": "centerpoint", "modelVersion": "local"}
    ids = [feature["id"] for feature in first.features]
    assert len(set(ids)) == len(ids)

    def ids_by_box(features: list[dict[str, Any]]) -> dict[tuple[float, ...], str]:
        return {tuple(feature["properties"]["imageBBox"]): feature["id"] for feature in features}

    assert ids_by_box(again.features) == ids_by_box(first.features)


def test_nitf_features_carry_the_source_metadata_of_its_header(
    stack: LocalStack, in_process_worker: Any, imagery_dir: Path, tmp_path: Path
) -> None:
    gdal.UseExceptions()
    nitf = tmp_path / "scene.ntf"
    header = ["FTITLE=E2E SCENE 7", "IDATIM=20200102030405", "ISORCE=LANDSAT TEST"]
    gdal.GetDriverByName("NITF").CreateCopy(
        str(nitf), gdal.Open(str(imagery_dir / "RGB.byte.tif")), options=header
    )
    url = upload(stack, nitf)
    body = image_request(stack, [url])
    in_process_worker()

    send(stack, body)
    outcome = wait_for_images(stack, body["jobId"], [url]).only

    assert outcome.status == "SUCCESS", outcome.message
    assert outcome.image_id == image_id_for(body["jobId"], url)
    assert len(outcome.features) == 16
    for feature in outcome.features:
        (source,) = feature["properties"]["sourceMetadata"]
        assert source["location"] == url and source["format"] == "NITF"
        assert source["sourceId"] == "E2E SCENE 7"
        assert "sensorName" not in source  # the reference's keys only
        assert source["sourceDT"] == "2020-01-02T03:04:05Z"
