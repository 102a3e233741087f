"""Geometry at the edges of the globe and its shape: RFC 7946 boxes across the antimeridian and
around a pole, regions of interest across the antimeridian, ring orientation, centroids."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import shapely
from osgeo import gdal, osr

from model_runner.imagery import SensorModel, geolocate, open_image, roi_to_pixel_polygon

HEXAGON = [  # the reference's centerpoint answer: counterclockwise in pixel numbers (y down)
    [281.6, 563.2],
    [259.4297, 550.4],
    [259.4297, 524.8],
    [281.6, 512.0],
    [303.7703, 524.8],
    [303.7703, 550.4],
    [281.6, 563.2],
]


def model_of(path: Path, epsg: int, geotransform: tuple[float, ...], size: int = 2000) -> SensorModel:
    dataset = gdal.GetDriverByName("GTiff").Create(str(path), size, size, 1)
    dataset.SetGeoTransform(geotransform)
    reference = osr.SpatialReference()
    reference.ImportFromEPSG(epsg)
    dataset.SetProjection(reference.ExportToWkt())
    dataset = None
    model = open_image(str(path)).sensor_model()
    assert model is not None
    return model


@pytest.fixture
def across_antimeridian(tmp_path: Path) -> SensorModel:
    """UTM 60N metres 3 degrees east of 177E: column ~990 of 2000 lies on the antimeridian."""
    return model_of(tmp_path / "am.tif", 32660, (833000.0, 1.0, 0.0, 101000.0, 0.0, -1.0))


@pytest.fixture
def around_north_pole(tmp_path: Path) -> SensorModel:
    """NSIDC polar stereographic metres centred on the North Pole (pixel 1000, 1000)."""
    return model_of(tmp_path / "pole.tif", 3413, (-1000.0, 1.0, 0.0, 1000.0, 0.0, -1.0))


def box(x0: float, y0: float, x1: float, y1: float) -> dict[str, Any]:
    return {"type": "Polygon", "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]}


def test_a_feature_across_the_antimeridian_has_a_west_edge_east_of_its_east_edge(
    across_antimeridian: SensorModel,
) -> None:
    (shape,) = geolocate(across_antimeridian, [box(700, 900, 1300, 1100)])

    assert shape is not None
    west, south, east, north = shape.bbox
    assert 179.99 < west < 180 and -180 < east < -179.99  # RFC 7946 section 5.2
    assert south < north
    lons = [position[0] for position in shape.geometry["coordinates"][0]]
    assert min(lons) < -179.99 and max(lons) > 179.99  # positions stay within [-180, 180]


def test_a_feature_beside_the_antimeridian_keeps_an_ordinary_box(across_antimeridian: SensorModel) -> None:
    (shape,) = geolocate(across_antimeridian, [box(10, 900, 200, 1100)])

    assert shape is not None
    west, _, east, _ = shape.bbox
    assert 179.99 < west < east < 180


def test_a_box_around_the_north_pole_reaches_the_pole_across_all_longitudes(
    around_north_pole: SensorModel,
) -> None:
    (shape,) = geolocate(around_north_pole, [box(900, 900, 1100, 1100)])

    assert shape is not None
    west, south, east, north = shape.bbox
    assert (west, east, north) == (-180.0, 180.0, 90.0)  # RFC 7946 section 5.3
    assert 89.99 < south < 90
    assert shape.center[1] == pytest.approx(90.0)


def test_a_box_beside_the_pole_is_an_ordinary_box(around_north_pole: SensorModel) -> None:
    (shape,) = geolocate(around_north_pole, [box(1100, 900, 1300, 1100)])

    assert shape is not None
    west, _, east, north = shape.bbox
    assert east - west < 180 and north < 90


def test_a_region_of_interest_across_the_antimeridian_is_read_the_short_way(
    across_antimeridian: SensorModel,
) -> None:
    lon, lat = across_antimeridian.pixel_to_world([700, 1300], [1100, 900])
    assert lon[0] > 0 > lon[1]
    wkt = (
        f"POLYGON (({lon[0]} {lat[0]}, {lon[1]} {lat[0]}, {lon[1]} {lat[1]}, {lon[0]} {lat[1]}, "
        f"{lon[0]} {lat[0]}))"
    )

    pixels = roi_to_pixel_polygon(across_antimeridian, wkt)

    assert pixels.bounds == pytest.approx((700, 900, 1300, 1100), abs=1.0)


def test_rings_keep_the_models_vertex_order_as_the_reference_writes_them(tmp_path: Path) -> None:
    model = model_of(tmp_path / "north-up.tif", 4326, (5.4, 1e-5, 0.0, 50.0, 0.0, -1e-5))

    (shape,) = geolocate(model, [{"type": "Polygon", "coordinates": [HEXAGON]}])

    assert shape is not None
    ring = shape.geometry["coordinates"][0]
    lon, lat = model.pixel_to_world(*np.array(HEXAGON).T)
    np.testing.assert_allclose(ring, np.column_stack((lon, lat, np.zeros(len(lon)))), atol=1e-12)
    assert not shapely.LinearRing(np.array(ring)[:, :2]).is_ccw  # clockwise: the reference's output


def test_rfc7946_orientation_turns_exteriors_counterclockwise_and_holes_clockwise(tmp_path: Path) -> None:
    model = model_of(tmp_path / "north-up.tif", 4326, (5.4, 1e-5, 0.0, 50.0, 0.0, -1e-5))
    hole = [[270, 530], [290, 530], [290, 545], [270, 545], [270, 530]]  # clockwise in lon/lat reversed
    polygon = {"type": "Polygon", "coordinates": [HEXAGON, hole]}

    kept, oriented = (geolocate(model, [polygon], counterclockwise=flag)[0] for flag in (False, True))

    assert kept is not None and oriented is not None
    exterior, inner = (np.array(ring)[:, :2] for ring in oriented.geometry["coordinates"])
    assert shapely.LinearRing(exterior).is_ccw and not shapely.LinearRing(inner).is_ccw
    assert oriented.geometry["coordinates"][0] == kept.geometry["coordinates"][0][::-1]
    assert oriented.geometry["coordinates"][1] == kept.geometry["coordinates"][1]  # already clockwise
    assert oriented.bbox == kept.bbox and oriented.center == kept.center


def test_the_centre_is_the_centroid_of_the_pixel_geometry(tmp_path: Path) -> None:
    model = model_of(tmp_path / "plain.tif", 4326, (0.0, 1.0, 0.0, 0.0, 0.0, -1.0), size=64)
    ell = [[0, 0], [30, 0], [30, 10], [10, 10], [10, 30], [0, 30], [0, 0]]
    with_hole = [
        [[0, 0], [20, 0], [20, 20], [0, 20], [0, 0]],
        [[10, 0], [20, 0], [20, 20], [10, 20], [10, 0]],
    ]
    geometries = [
        {"type": "Polygon", "coordinates": [ell]},
        {"type": "Polygon", "coordinates": with_hole},
        {"type": "LineString", "coordinates": [[0, 0], [10, 0], [10, 30]]},
        {"type": "MultiPoint", "coordinates": [[0, 0], [3, 0], [0, 3]]},
        {"type": "Point", "coordinates": [7, 8]},
    ]

    shapes = geolocate(model, geometries)

    for shape, geometry in zip(shapes, geometries, strict=True):
        assert shape is not None
        expected = shapely.geometry.shape(geometry).centroid  # pixel x, y; this image's lat = -y
        assert shape.center == pytest.approx((expected.x, -expected.y), abs=1e-9), geometry["type"]
