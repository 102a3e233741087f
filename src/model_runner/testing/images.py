"""Images for unit tests: small georeferenced rasters written with GDAL, opened like the worker does."""

from __future__ import annotations

import threading
from collections import Counter

import numpy as np
from numpy.typing import NDArray
from osgeo import gdal, gdal_array, osr

from model_runner.imagery import ImageSource, open_image
from model_runner.imagery.gdal_runtime import use_exceptions

WGS84 = 4326
DEFAULT_GEOTRANSFORM = (10.0, 1e-5, 0.0, 50.0, 0.0, -1e-5)
"""A north-up image near 10 E, 50 N with pixels of about a metre."""


def write_image(
    path: str,
    pixels: NDArray[np.generic],
    *,
    geotransform: tuple[float, float, float, float, float, float] | None = DEFAULT_GEOTRANSFORM,
    epsg: int = WGS84,
) -> str:
    """Write ``pixels`` (bands, rows, columns) as a GeoTIFF at ``path`` (a file or ``/vsimem/`` path);
    ``geotransform=None`` writes an image without georeferencing. Returns ``path``."""
    use_exceptions()
    bands, rows, columns = pixels.shape
    kind = gdal_array.NumericTypeCodeToGDALTypeCode(pixels.dtype)
    dataset = gdal.GetDriverByName("GTiff").Create(path, columns, rows, bands, kind)
    if geotransform is not None:
        dataset.SetGeoTransform(geotransform)
        reference = osr.SpatialReference()
        reference.ImportFromEPSG(epsg)
        dataset.SetProjection(reference.ExportToWkt())
    dataset.WriteArray(pixels)
    dataset.FlushCache()
    dataset = None
    return path


class LocalImages:
    """The image opener port over local and ``/vsimem/`` paths, counting opens per URL."""

    def __init__(self, paths: dict[str, str] | None = None) -> None:
        self._paths = dict(paths or {})
        self._open: dict[str, ImageSource] = {}
        self.opened: Counter[str] = Counter()
        self.roles: list[str | None] = []
        self._lock = threading.Lock()

    def add(self, url: str, path: str) -> None:
        """Serve the image at ``path`` for ``url`` (an s3:// URL, say)."""
        self._paths[url] = path

    def get(self, url: str, role_arn: str | None = None) -> ImageSource:
        with self._lock:
            self.roles.append(role_arn)
            if url not in self._open:
                self._open[url] = open_image(self._paths.get(url, url))
                self.opened[url] += 1
            return self._open[url]

    def close(self) -> None:
        with self._lock:
            for image in self._open.values():
                image.close()
            self._open.clear()
