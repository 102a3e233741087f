"""Converting full-image pixel coordinates to WGS84 longitude/latitude and back, in batches.

Pixel coordinates follow GDAL: ``x`` is the column and ``y`` the row, and (0, 0) is the top-left
corner of the first pixel (its centre is (0.5, 0.5)). The model is GDAL's own transformer,
built from the first georeferencing the image has, in this order:

1. RPC (metadata domain ``RPC``): the sensor's rational polynomial model, the most accurate one a
   raw satellite image carries. Without a DEM, ground height is taken as the RPC's
   ``HEIGHT_OFF`` (the centre of the image's height range) rather than the ellipsoid.
2. Geotransform and CRS (any projection GDAL knows).
3. Ground control points, by thin-plate spline (``GCP_TPS``): it passes exactly through every
   control point, so a NITF's four IGEOLO corners land where the producer put them, where a
   least-squares polynomial would spread the misfit of a non-parallelogram footprint over the
   image; GCP lists are short, so its cost does not matter. GDAL fits the inverse spline on its
   own, so a pixel -> world -> pixel round trip between control points is only good to about a
   pixel (RPC inversion iterates to 0.01 pixel).

Outputs are always (longitude, latitude) whatever the CRS's official axis order. Each position also
has a height (:meth:`SensorModel.pixel_to_ground`), as the reference writes ``[lon, lat, height]``:
with an elevation model (:mod:`model_runner.imagery.elevation`), the DEM's height there, and for RPC
the rays are intersected with the DEM itself (``RPC_DEM``), so terrain moves the horizontal position
too; without one, or where the DEM has no value, the RPC's ``HEIGHT_OFF`` for RPC imagery and 0.0
otherwise, as in the reference.
"""

from __future__ import annotations

import enum
import threading
from itertools import chain

import numpy as np
from numpy.typing import ArrayLike, NDArray
from osgeo import gdal

from model_runner.errors import ImageReadError
from model_runner.imagery.elevation import ElevationModel, TerrainDem
from model_runner.imagery.gdal_runtime import use_exceptions

WGS84 = "EPSG:4326"  # GDAL's transformer applies the traditional lon/lat order to DST_SRS
_DEFAULT_GEOTRANSFORM = (0.0, 1.0, 0.0, 0.0, 0.0, 1.0)

Coordinates = tuple[NDArray[np.float64], NDArray[np.float64]]
Positions = tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]
_FOOTPRINT_STEPS = 8  # points per image edge sampled for the footprint that selects DEM tiles
_DEM_MARGIN_DEG = 0.01


class Georeferencing(enum.StrEnum):
    """Which of the image's georeferencing the model uses."""

    RPC = "RPC"
    GEOTRANSFORM = "GEOTRANSFORM"
    GCP = "GCP"


class SensorModel:
    """Pixel <-> WGS84 conversion for one image, vectorised and safe to share between threads."""

    def __init__(
        self,
        transformer: gdal.Transformer,
        georeferencing: Georeferencing,
        *,
        default_height: float = 0.0,
        terrain: TerrainDem | None = None,
    ) -> None:
        self._transformer = transformer
        self._lock = threading.Lock()  # a transformer's PROJ objects are not thread-safe
        self.georeferencing = georeferencing
        self.default_height = default_height
        """The height of a position where no DEM gives one."""
        self.terrain = terrain
        """The DEM under the image, when an elevation model covers it."""

    @classmethod
    def from_dataset(
        cls, dataset: gdal.Dataset, url: str, elevation: ElevationModel | None = None
    ) -> SensorModel | None:
        """The model of ``dataset`` (opened from ``url``, named in errors), on the terrain of
        ``elevation`` where it has tiles under the image; None when the image has no georeferencing
        at all (no RPC, geotransform or ground control points).

        Raises:
            ImageReadError: the image's georeferencing is incomplete, or GDAL cannot use it.
        """
        use_exceptions()
        found = _transformer_options(dataset, url)
        if found is None:
            return None
        georeferencing, options = found
        model = cls(
            _transformer(dataset, url, georeferencing, options),
            georeferencing,
            default_height=float((dataset.GetMetadata("RPC") or {}).get("HEIGHT_OFF", 0.0)),
        )
        if elevation is None:
            return model
        terrain = elevation.terrain(*model._footprint(dataset.RasterXSize, dataset.RasterYSize))
        if terrain is None:
            return model
        if georeferencing is Georeferencing.RPC:
            # RPC_HEIGHT would be added to the DEM's heights: the DEM replaces it.
            options = [option for option in options if not option.startswith("RPC_HEIGHT=")]
            options += [f"RPC_DEM={terrain.path}", f"RPC_DEM_MISSING_VALUE={model.default_height}"]
        transformer = _transformer(dataset, url, georeferencing, options)
        return cls(transformer, georeferencing, default_height=model.default_height, terrain=terrain)

    def pixel_to_world(self, x: ArrayLike, y: ArrayLike) -> Coordinates:
        """(longitude, latitude) arrays of pixel positions; NaN where the model has no answer."""
        return self._transform(x, y, to_pixels=False)

    def pixel_to_ground(self, x: ArrayLike, y: ArrayLike) -> Positions:
        """(longitude, latitude, height) arrays of pixel positions; NaN where the model has no answer."""
        lon, lat = self.pixel_to_world(x, y)
        height = np.full(lon.shape, self.default_height)
        if self.terrain is not None:
            with self._lock:
                found = self.terrain.heights(lon, lat)
            height = np.where(np.isfinite(found), found, height)
        height[np.isnan(lon)] = np.nan
        return lon, lat, height

    def _footprint(self, width: int, height: int) -> tuple[float, float, float, float]:
        """West, south, east, north of the image's outline, with a margin (for choosing DEM tiles)."""
        steps = np.linspace(0.0, 1.0, _FOOTPRINT_STEPS + 1)
        xs = np.concatenate((steps, np.ones_like(steps), steps, np.zeros_like(steps))) * width
        ys = np.concatenate((np.zeros_like(steps), steps, np.ones_like(steps), steps)) * height
        lon, lat = self.pixel_to_world(xs, ys)
        if not np.isfinite(lon).any():
            return (0.0, 0.0, -1.0, -1.0)  # nowhere: selects no tile
        return (
            float(np.nanmin(lon)) - _DEM_MARGIN_DEG,
            float(np.nanmin(lat)) - _DEM_MARGIN_DEG,
            float(np.nanmax(lon)) + _DEM_MARGIN_DEG,
            float(np.nanmax(lat)) + _DEM_MARGIN_DEG,
        )

    def world_to_pixel(self, lon: ArrayLike, lat: ArrayLike) -> Coordinates:
        """(x, y) pixel arrays of WGS84 positions; NaN where the model has no answer."""
        return self._transform(lon, lat, to_pixels=True)

    def _transform(self, first: ArrayLike, second: ArrayLike, *, to_pixels: bool) -> Coordinates:
        points = np.column_stack(
            (np.asarray(first, dtype=np.float64).ravel(), np.asarray(second, dtype=np.float64).ravel())
        )
        if len(points) == 0:
            return np.empty(0), np.empty(0)
        with self._lock:
            out = self._transform_points(points, int(to_pixels))
        return out[:, 0], out[:, 1]

    def _transform_points(self, points: NDArray[np.float64], direction: int) -> NDArray[np.float64]:
        """One GDAL call for the batch; point by point (cheap) only if PROJ raised for some point."""
        try:
            result, success = self._transformer.TransformPoints(direction, points)
        except RuntimeError:
            return np.array([self._transform_point(point, direction) for point in points.tolist()])
        width = len(result[0])  # (x, y, z) tuples, read flat: twice as fast as np.asarray on them
        flat = np.fromiter(chain.from_iterable(result), np.float64, width * len(result))
        out = flat.reshape(-1, width)[:, :2]
        out[~np.asarray(success, dtype=bool)] = np.nan
        return out

    def _transform_point(self, point: list[float], direction: int) -> tuple[float, float]:
        try:
            (result,), (success,) = self._transformer.TransformPoints(direction, [point])
        except RuntimeError:
            return (np.nan, np.nan)
        return (result[0], result[1]) if success else (np.nan, np.nan)


def _transformer(
    dataset: gdal.Dataset, url: str, georeferencing: Georeferencing, options: list[str]
) -> gdal.Transformer:
    try:
        return gdal.Transformer(dataset, None, [*options, f"DST_SRS={WGS84}"])
    except RuntimeError as error:
        raise ImageReadError(
            f"cannot use the {georeferencing} georeferencing of image {url}: {error}"
        ) from None


def _transformer_options(dataset: gdal.Dataset, url: str) -> tuple[Georeferencing, list[str]] | None:
    rpc = dataset.GetMetadata("RPC")
    if rpc:
        height = rpc.get("HEIGHT_OFF", "0")
        return Georeferencing.RPC, ["METHOD=RPC", f"RPC_HEIGHT={height}", "RPC_PIXEL_ERROR_THRESHOLD=0.01"]
    geotransform = dataset.GetGeoTransform(can_return_null=True)
    if geotransform is not None and tuple(geotransform) != _DEFAULT_GEOTRANSFORM:
        if dataset.GetSpatialRef() is None:
            raise ImageReadError(f"image {url} has a geotransform but no coordinate reference system")
        return Georeferencing.GEOTRANSFORM, ["METHOD=GEOTRANSFORM"]
    if dataset.GetGCPCount() > 0:
        if dataset.GetGCPSpatialRef() is None:
            raise ImageReadError(f"image {url} has ground control points but no coordinate reference system")
        return Georeferencing.GCP, ["METHOD=GCP_TPS"]
    return None
