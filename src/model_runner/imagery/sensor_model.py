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

Outputs are always (longitude, latitude) whatever the CRS's official axis order.
"""

from __future__ import annotations

import enum
import threading

import numpy as np
from numpy.typing import ArrayLike, NDArray
from osgeo import gdal

from model_runner.errors import ImageReadError
from model_runner.imagery.gdal_runtime import use_exceptions

WGS84 = "EPSG:4326"  # GDAL's transformer applies the traditional lon/lat order to DST_SRS
_DEFAULT_GEOTRANSFORM = (0.0, 1.0, 0.0, 0.0, 0.0, 1.0)

Coordinates = tuple[NDArray[np.float64], NDArray[np.float64]]


class Georeferencing(enum.StrEnum):
    """Which of the image's georeferencing the model uses."""

    RPC = "RPC"
    GEOTRANSFORM = "GEOTRANSFORM"
    GCP = "GCP"


class SensorModel:
    """Pixel <-> WGS84 conversion for one image, vectorised and safe to share between threads."""

    def __init__(self, transformer: gdal.Transformer, georeferencing: Georeferencing) -> None:
        self._transformer = transformer
        self._lock = threading.Lock()  # a transformer's PROJ objects are not thread-safe
        self.georeferencing = georeferencing

    @classmethod
    def from_dataset(cls, dataset: gdal.Dataset, url: str) -> SensorModel:
        """The model of ``dataset`` (opened from ``url``, named in errors).

        Raises:
            ImageReadError: the image has no georeferencing, or GDAL cannot use it.
        """
        use_exceptions()
        georeferencing, options = _transformer_options(dataset, url)
        try:
            transformer = gdal.Transformer(dataset, None, [*options, f"DST_SRS={WGS84}"])
        except RuntimeError as error:
            raise ImageReadError(
                f"cannot use the {georeferencing} georeferencing of image {url}: {error}"
            ) from None
        return cls(transformer, georeferencing)

    def pixel_to_world(self, x: ArrayLike, y: ArrayLike) -> Coordinates:
        """(longitude, latitude) arrays of pixel positions; NaN where the model has no answer."""
        return self._transform(x, y, to_pixels=False)

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
        out = np.asarray(result, dtype=np.float64)[:, :2]
        out[~np.asarray(success, dtype=bool)] = np.nan
        return out

    def _transform_point(self, point: list[float], direction: int) -> tuple[float, float]:
        try:
            (result,), (success,) = self._transformer.TransformPoints(direction, [point])
        except RuntimeError:
            return (np.nan, np.nan)
        return (result[0], result[1]) if success else (np.nan, np.nan)


def _transformer_options(dataset: gdal.Dataset, url: str) -> tuple[Georeferencing, list[str]]:
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
    raise ImageReadError(f"image {url} has no georeferencing (no RPC, geotransform or ground control points)")
