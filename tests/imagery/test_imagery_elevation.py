"""The elevation model (ELEVATION_DATA_*), on a real SRTM tile of the reference's tests: heights
enter the third coordinate of every position, and, for RPC imagery, the horizontal position."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from osgeo import gdal, osr

from model_runner.imagery import SensorModel, geolocate, open_image
from model_runner.imagery.elevation import ElevationModel, TileNames

DEM_TILE = "n47_e034_3arc_v2.tif"
HEIGHT_OFF = 50.0
HEIGHT_SCALE = 500.0
SAMPLES_PER_HEIGHT = 0.2  # the RPC's sample moves 0.2 x (HEIGHT_SCALE / SAMP_SCALE) pixels per metre


def rpc_coefficients(terms: dict[int, float]) -> str:
    return " ".join(f"{terms.get(index, 0.0):.10e}" for index in range(20))


def write_rpc_image(path: Path) -> None:
    """A 1000 x 1000 off-nadir image over 47.5 N 34.5 E: a metre of terrain shifts it sideways."""
    dataset = gdal.GetDriverByName("GTiff").Create(str(path), 1000, 1000, 1)
    dataset.SetMetadata(
        {
            "LINE_OFF": "500",
            "SAMP_OFF": "500",
            "LAT_OFF": "47.5",
            "LONG_OFF": "34.5",
            "HEIGHT_OFF": str(HEIGHT_OFF),
            "LINE_SCALE": "500",
            "SAMP_SCALE": "500",
            "LAT_SCALE": "0.05",
            "LONG_SCALE": "0.05",
            "HEIGHT_SCALE": str(HEIGHT_SCALE),
            "LINE_NUM_COEFF": rpc_coefficients({2: -1.0}),
            "LINE_DEN_COEFF": rpc_coefficients({0: 1.0}),
            "SAMP_NUM_COEFF": rpc_coefficients({1: 1.0, 3: SAMPLES_PER_HEIGHT}),
            "SAMP_DEN_COEFF": rpc_coefficients({0: 1.0}),
        },
        "RPC",
    )
    dataset = None


def dem_height(dem: Path, lon: float, lat: float) -> float:
    """Bilinear height from the tile, with GDAL's own interpolation (independent of the code under test)."""
    dataset = gdal.Open(str(dem))
    x0, dx, _, y0, _, dy = dataset.GetGeoTransform()
    col, row = (lon - x0) / dx - 0.5, (lat - y0) / dy - 0.5
    window = dataset.GetRasterBand(1).ReadAsArray(int(col), int(row), 2, 2).astype(float)
    fc, fr = col - int(col), row - int(row)
    top = window[0, 0] * (1 - fc) + window[0, 1] * fc
    bottom = window[1, 0] * (1 - fc) + window[1, 1] * fc
    return float(top * (1 - fr) + bottom * fr)


@pytest.fixture
def elevation(refcompat_dir: Path) -> ElevationModel:
    return ElevationModel.at(TileNames(str(refcompat_dir / "images"), "3arc_v2", ".tif"))


def model(path: Path, elevation: ElevationModel | None) -> SensorModel:
    found = open_image(str(path), elevation=elevation).sensor_model()
    assert found is not None
    return found


def test_tiles_are_named_like_srtm_downloads() -> None:
    names = TileNames("s3://dem-bucket/srtm/", "3arc_v2", ".tif")

    assert names.path(47, 34) == "/vsis3/dem-bucket/srtm/n47_e034_3arc_v2.tif"
    assert names.path(-1, -71) == "/vsis3/dem-bucket/srtm/s01_w071_3arc_v2.tif"
    assert TileNames("/data/dem").path(0, 0) == "/data/dem/n00_e000_1arc_v3.tif"


def test_rpc_imagery_is_geolocated_on_the_terrain(
    tmp_path: Path, refcompat_dir: Path, elevation: ElevationModel
) -> None:
    image = tmp_path / "rpc.tif"
    write_rpc_image(image)
    flat, terrain = model(image, None), model(image, elevation)
    pixels = [{"type": "Point", "coordinates": [x, y]} for x, y in ((100, 100), (500, 500), (900, 800))]

    on_flat = geolocate(flat, pixels)
    on_terrain = geolocate(terrain, pixels)

    for before, after in zip(on_flat, on_terrain, strict=True):
        assert before is not None and after is not None
        lon0, lat0, z0 = before.geometry["coordinates"]
        lon, lat, z = after.geometry["coordinates"]
        assert z0 == HEIGHT_OFF  # no DEM: the RPC's own height, as the reference uses
        assert z == pytest.approx(dem_height(refcompat_dir / "images" / DEM_TILE, lon, lat), abs=0.01)
        assert z != pytest.approx(HEIGHT_OFF, abs=1.0)
        # The ray meets the ground higher or lower: it lands elsewhere, by the RPC's height term.
        shift_deg = (z - HEIGHT_OFF) / HEIGHT_SCALE * SAMPLES_PER_HEIGHT * 0.05
        assert lon0 - lon == pytest.approx(shift_deg, rel=0.02)
        assert lat == pytest.approx(lat0, abs=1e-9)


def test_geotransform_imagery_takes_heights_but_keeps_its_positions(
    tmp_path: Path, refcompat_dir: Path, elevation: ElevationModel
) -> None:
    image = tmp_path / "north-up.tif"
    dataset = gdal.GetDriverByName("GTiff").Create(str(image), 100, 100, 1)
    dataset.SetGeoTransform((34.4, 0.001, 0.0, 47.6, 0.0, -0.001))
    dataset.SetProjection(gdal.Open(str(refcompat_dir / "images" / DEM_TILE)).GetProjection())
    dataset = None
    point = [{"type": "Point", "coordinates": [50.0, 50.0]}]

    (flat,) = geolocate(model(image, None), point)
    (terrain,) = geolocate(model(image, elevation), point)

    assert flat is not None and terrain is not None
    assert flat.geometry["coordinates"][2] == 0.0
    lon, lat, z = terrain.geometry["coordinates"]
    assert [lon, lat] == pytest.approx(flat.geometry["coordinates"][:2], abs=1e-12)
    assert z == pytest.approx(dem_height(refcompat_dir / "images" / DEM_TILE, lon, lat), abs=0.01)


def test_where_no_tile_exists_heights_stay_the_default(tmp_path: Path, elevation: ElevationModel) -> None:
    image = tmp_path / "elsewhere.tif"
    dataset = gdal.GetDriverByName("GTiff").Create(str(image), 10, 10, 1)
    dataset.SetGeoTransform((10.0, 0.001, 0.0, 50.0, 0.0, -0.001))
    dataset.SetProjection(osr.SRS_WKT_WGS84_LAT_LONG)
    dataset = None

    (shape,) = geolocate(model(image, elevation), [{"type": "Point", "coordinates": [5.0, 5.0]}])

    assert shape is not None and shape.geometry["coordinates"][2] == 0.0
    assert np.isfinite(shape.geometry["coordinates"]).all()
