"""Pixel <-> WGS84 conversion and geolocation of GeoJSON geometries."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import shapely
from osgeo import gdal, osr

from model_runner.errors import ImageReadError, InvalidRequestError
from model_runner.imagery import (
    Georeferencing,
    PixelGeometryError,
    SensorModel,
    geolocate,
    open_image,
    roi_to_pixel_polygon,
)

XS = np.array([0.0, 395.5, 791.0, 0.0, 791.0, 123.25])
YS = np.array([0.0, 359.0, 718.0, 718.0, 0.0, 600.75])
METRES_PER_DEGREE = 111_320.0


def sensor_model(imagery_dir: Path, name: str) -> SensorModel:
    with open_image(str(imagery_dir / name)) as source:
        return source.sensor_model()


def direct_lon_lat(path: Path, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """Geotransform then osr, independently of the code under test."""
    dataset = gdal.Open(str(path))
    gt = dataset.GetGeoTransform()
    wgs84 = osr.SpatialReference()
    wgs84.ImportFromEPSG(4326)
    wgs84.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    to_wgs84 = osr.CoordinateTransformation(dataset.GetSpatialRef(), wgs84)
    east = gt[0] + xs * gt[1] + ys * gt[2]
    north = gt[3] + xs * gt[4] + ys * gt[5]
    points: list[tuple[float, float, float]] = to_wgs84.TransformPoints(np.column_stack((east, north)))
    return np.array([(lon, lat) for lon, lat, _ in points])


def metres_apart(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    dlon = (a[:, 0] - b[:, 0]) * np.cos(np.radians(a[:, 1]))
    metres: np.ndarray = np.hypot(dlon, a[:, 1] - b[:, 1]) * METRES_PER_DEGREE
    return metres


@pytest.mark.parametrize("name", ["RGB.byte.tif", "shade.tif", "RGBA.uint16.tif"])
def test_geotransform_model_agrees_with_a_direct_projection(imagery_dir: Path, name: str) -> None:
    model = sensor_model(imagery_dir, name)
    assert model.georeferencing is Georeferencing.GEOTRANSFORM
    lon, lat = model.pixel_to_world(XS, YS)
    expected = direct_lon_lat(imagery_dir / name, XS, YS)
    pixel_size = abs(gdal.Open(str(imagery_dir / name)).GetGeoTransform()[1])
    assert metres_apart(np.column_stack((lon, lat)), expected).max() < pixel_size / 100


def test_world_image_corners_are_lon_lat(imagery_dir: Path) -> None:
    model = sensor_model(imagery_dir, "world.rgb.tif")
    lon, lat = model.pixel_to_world([0, 512, 256], [0, 256, 128])
    np.testing.assert_allclose(lon, [-180, 180, 0], atol=1e-9)
    np.testing.assert_allclose(lat, [90, -90, 0], atol=1e-9)


def test_rpc_model_passes_through_the_scene_control_points(imagery_dir: Path) -> None:
    model = sensor_model(imagery_dir, "RGB.byte.rpc.vrt")
    assert model.georeferencing is Georeferencing.RPC
    gcps = gdal.Open(str(imagery_dir / "RGB.byte.gcp.vrt")).GetGCPs()
    lon, lat = model.pixel_to_world([g.GCPPixel for g in gcps], [g.GCPLine for g in gcps])
    expected = np.array([[g.GCPX, g.GCPY] for g in gcps])
    assert metres_apart(np.column_stack((lon, lat)), expected).max() < 2.0


def test_rpc_and_gcp_models_of_the_same_pixels_agree(imagery_dir: Path) -> None:
    rpc = sensor_model(imagery_dir, "RGB.byte.rpc.vrt")
    gcp = sensor_model(imagery_dir, "RGB.byte.gcp.vrt")
    assert gcp.georeferencing is Georeferencing.GCP
    from_rpc = np.column_stack(rpc.pixel_to_world(XS, YS))
    from_gcp = np.column_stack(gcp.pixel_to_world(XS, YS))
    # Four corner GCPs of a 7449 x 11522 scene approximate its RPC to a few tens of pixels.
    assert metres_apart(from_rpc, from_gcp).max() < 200
    assert metres_apart(from_rpc[:1], from_gcp[:1]).max() < 2  # the top-left corner is a GCP


@pytest.mark.parametrize(
    ("name", "pixels"),
    [
        ("RGB.byte.tif", 1e-6),
        ("shade.tif", 1e-6),
        ("world.rgb.tif", 1e-6),
        ("RGB.byte.rpc.vrt", 0.05),
        ("RGB.byte.gcp.vrt", 1.0),  # GDAL fits the inverse spline separately
    ],
)
def test_world_to_pixel_inverts_pixel_to_world(imagery_dir: Path, name: str, pixels: float) -> None:
    model = sensor_model(imagery_dir, name)
    x, y = model.world_to_pixel(*model.pixel_to_world(XS / 2, YS / 3))
    np.testing.assert_allclose(x, XS / 2, atol=pixels)
    np.testing.assert_allclose(y, YS / 3, atol=pixels)


def test_an_image_without_georeferencing_has_no_sensor_model(tmp_path: Path) -> None:
    path = tmp_path / "plain.tif"
    gdal.GetDriverByName("GTiff").Create(str(path), 16, 16, 1).FlushCache()
    with open_image(str(path)) as source:
        assert source.sensor_model() is None


def test_a_geotransform_without_a_crs_is_an_image_read_error(tmp_path: Path) -> None:
    path = tmp_path / "no-crs.tif"
    dataset = gdal.GetDriverByName("GTiff").Create(str(path), 16, 16, 1)
    dataset.SetGeoTransform((10.0, 1.0, 0.0, 50.0, 0.0, -1.0))
    dataset = None
    with open_image(str(path)) as source, pytest.raises(ImageReadError, match="no coordinate reference"):
        source.sensor_model()


def test_positions_the_model_cannot_convert_become_nan(imagery_dir: Path) -> None:
    model = sensor_model(imagery_dir, "RGB.byte.tif")
    x, y = model.world_to_pixel([-78.9, 0.0, -78.9], [25.5, 95.0, 25.5])
    assert np.isfinite(x[[0, 2]]).all()
    assert np.isnan([x[1], y[1]]).all()


def test_geolocate_keeps_each_geometry_shape_in_lon_lat(imagery_dir: Path) -> None:
    model = sensor_model(imagery_dir, "world.rgb.tif")  # 0.703125 degrees per pixel from (-180, 90)
    ring = [[0, 0], [256, 0], [256, 128], [0, 128], [0, 0]]
    geometries: list[dict[str, Any]] = [
        {"type": "Point", "coordinates": [256, 128]},
        {"type": "MultiPoint", "coordinates": [[0, 0], [512, 256]]},
        {"type": "LineString", "coordinates": [[0, 0], [256, 128, 5.0]]},
        {"type": "MultiLineString", "coordinates": [[[0, 0], [256, 0]], [[0, 128], [128, 128]]]},
        {"type": "Polygon", "coordinates": [ring]},
        {"type": "MultiPolygon", "coordinates": [[ring], [[[300, 10], [310, 10], [310, 20], [300, 10]]]]},
    ]
    shapes = geolocate(model, geometries)
    assert [shape.geometry["type"] for shape in shapes if shape] == [g["type"] for g in geometries]
    point, multipoint, line, _, polygon, multipolygon = shapes
    assert point and point.geometry["coordinates"] == pytest.approx([0, 0, 0])
    assert point.bbox == pytest.approx((0, 0, 0, 0))
    assert multipoint
    np.testing.assert_allclose(multipoint.geometry["coordinates"], [[-180, 90, 0], [180, -90, 0]])
    assert multipoint.center == pytest.approx((0, 0))
    assert line and line.geometry["coordinates"][1] == pytest.approx([0, 0, 0])
    assert polygon
    np.testing.assert_allclose(
        polygon.geometry["coordinates"],
        [[[-180, 90, 0], [0, 90, 0], [0, 0, 0], [-180, 0, 0], [-180, 90, 0]]],
        atol=1e-9,
    )
    assert polygon.bbox == pytest.approx((-180, 0, 0, 90))
    assert polygon.center == pytest.approx((-90, 45))
    assert multipolygon and len(multipolygon.geometry["coordinates"]) == 2
    assert multipolygon.bbox == pytest.approx((-180, 0, 37.96875, 90))


def test_geolocate_marks_geometries_it_cannot_locate(imagery_dir: Path) -> None:
    model = sensor_model(imagery_dir, "RGB.byte.tif")
    shapes = geolocate(
        model,
        [{"type": "Point", "coordinates": [10, 10]}, {"type": "Point", "coordinates": [1e9, 1e9]}],
    )
    assert shapes[0] is not None
    assert shapes[1] is None


@pytest.mark.parametrize(
    "geometry",
    [
        {"type": "Circle", "coordinates": [0, 0]},
        {"type": "Point", "coordinates": ["a", "b"]},
        {"type": "Point"},
        {"type": "LineString", "coordinates": []},
        {"type": "Polygon", "coordinates": [[[0, 0], [1]]]},
        {"type": "MultiPolygon", "coordinates": 5},
    ],
)
def test_malformed_pixel_geometries_are_rejected_by_index(
    imagery_dir: Path, geometry: dict[str, Any]
) -> None:
    model = sensor_model(imagery_dir, "RGB.byte.tif")
    with pytest.raises(PixelGeometryError, match="pixel geometry 1"):
        geolocate(model, [{"type": "Point", "coordinates": [1, 1]}, geometry])


def test_geolocating_ten_thousand_boxes_is_fast(imagery_dir: Path) -> None:
    model = sensor_model(imagery_dir, "RGB.byte.rpc.vrt")
    rng = np.random.default_rng(7)
    corners = rng.uniform(0, 700, size=(10_000, 2))
    boxes = [
        {"type": "Polygon", "coordinates": [[[x, y], [x + 20, y], [x + 20, y + 10], [x, y + 10], [x, y]]]}
        for x, y in corners.tolist()
    ]
    start = time.perf_counter()
    shapes = geolocate(model, boxes)
    elapsed = time.perf_counter() - start
    print(f"\ngeolocated 10000 polygons (RPC) in {elapsed * 1000:.0f} ms")
    assert all(shape is not None for shape in shapes)
    assert elapsed < 3
    lon, lat = model.pixel_to_world(corners[:1, 0], corners[:1, 1])
    first = shapes[0]
    assert first is not None
    height = float(gdal.Open(str(imagery_dir / "RGB.byte.rpc.vrt")).GetMetadata("RPC")["HEIGHT_OFF"])
    assert first.geometry["coordinates"][0][0] == pytest.approx([lon[0], lat[0], height])


def test_roi_round_trips_to_the_pixels_it_came_from(imagery_dir: Path) -> None:
    model = sensor_model(imagery_dir, "RGB.byte.tif")
    pixel_box = shapely.box(100, 50, 600, 500)
    lon, lat = model.pixel_to_world(*np.array(pixel_box.exterior.coords).T)
    wkt = shapely.Polygon(np.column_stack((lon, lat))).wkt
    pixels = roi_to_pixel_polygon(model, wkt)
    vertices = shapely.points(shapely.get_coordinates(pixels))
    for corner in shapely.get_coordinates(pixel_box):
        assert shapely.distance(vertices, shapely.Point(corner)).min() < 1e-6
    # Edges straight in lon/lat bow by under a pixel in UTM over these 500 pixels.
    assert pixels.symmetric_difference(pixel_box).area < 0.005 * pixel_box.area


def test_roi_edges_are_densified_before_projection(imagery_dir: Path) -> None:
    model = sensor_model(imagery_dir, "shade.tif")  # Web Mercator: a lon/lat edge is curved in pixels
    lon, lat = model.pixel_to_world([0, 1024], [0, 1024])
    wkt = shapely.box(lon[0], lat[1], lon[1], lat[0]).wkt
    pixels = roi_to_pixel_polygon(model, wkt)
    assert len(pixels.exterior.coords) > 100


@pytest.mark.parametrize("wkt", ["POLYGON ((0 0, 1 1", "POINT (1 2)", "POLYGON EMPTY"])
def test_bad_roi_is_a_request_error(imagery_dir: Path, wkt: str) -> None:
    model = sensor_model(imagery_dir, "RGB.byte.tif")
    with pytest.raises(InvalidRequestError, match="regionOfInterest"):
        roi_to_pixel_polygon(model, wkt)
