"""An elevation model made of SRTM-style DEM tiles, on S3 or on disk, configured like the reference's.

Tiles are one degree square and named after their south-west corner, the way USGS Earth Explorer
names SRTM downloads: ``n47_e034_3arc_v2.tif`` is version ``3arc_v2``, extension ``.tif``
(ELEVATION_DATA_VERSION, ELEVATION_DATA_EXTENSION) in the folder ELEVATION_DATA_LOCATION.

For an image, the tiles that exist under its footprint become one VRT: GDAL's RPC
transformer intersects the sensor's rays with it (``RPC_DEM``), and :meth:`TerrainDem.heights` samples
it (bilinearly, like the transformer) for the third coordinate of every output position. Heights are
used as the DEM gives them (SRTM: metres above the geoid), as the reference does.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray
from osgeo import gdal

from model_runner.imagery.credentials import PATH_OPTION_SCOPES, S3Credentials, s3_path_options
from model_runner.imagery.gdal_runtime import use_exceptions


@dataclass(frozen=True)
class TileNames:
    """How the tiles of a DEM are found: folder (a path or ``s3://bucket/prefix``), version, extension."""

    location: str
    version: str = "1arc_v3"
    extension: str = ".tif"

    def path(self, lat: int, lon: int) -> str:
        """The GDAL path of the tile whose south-west corner is (``lat``, ``lon``) degrees."""
        name = f"{'n' if lat >= 0 else 's'}{abs(lat):02d}_{'e' if lon >= 0 else 'w'}{abs(lon):03d}"
        folder = self.location.rstrip("/")
        if folder.startswith("s3://"):
            folder = "/vsis3/" + folder.removeprefix("s3://")
        return f"{folder}/{name}_{self.version}{self.extension}"


@dataclass
class ElevationModel:
    """The DEM tiles of one configured location; thread-safe, tile lookups cached."""

    names: TileNames
    _exists: dict[str, bool] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def at(
        cls,
        names: TileNames,
        *,
        credentials: S3Credentials | None = None,
        s3_endpoint: str | None = None,
    ) -> ElevationModel:
        """The model of ``names``; on S3, its folder is read with ``credentials`` from ``s3_endpoint``."""
        use_exceptions()
        folder = names.path(0, 0).rsplit("/", 1)[0] + "/"
        if folder.startswith("/vsis3/"):
            PATH_OPTION_SCOPES.acquire(folder, s3_path_options(credentials, s3_endpoint))
        return cls(names)

    def terrain(self, west: float, south: float, east: float, north: float) -> TerrainDem | None:
        """The DEM under a lon/lat box, or None when no tile of it exists."""
        paths = [
            path
            for lat in range(math.floor(south), math.floor(north) + 1)
            for lon in range(math.floor(west), math.floor(east) + 1)
            if self._tile_exists(path := self.names.path(lat, lon))
        ]
        if not paths:
            return None
        # The VRT lives in its XML text (which GDAL opens as a dataset name): no file to clean up.
        return TerrainDem(gdal.BuildVRT("", paths).GetMetadata("xml:VRT")[0])

    def _tile_exists(self, path: str) -> bool:
        with self._lock:
            known = self._exists.get(path)
        if known is None:
            known = gdal.VSIStatL(path) is not None
            with self._lock:
                self._exists[path] = known
        return known


class TerrainDem:
    """One image's DEM (a VRT of the tiles under it): its name for GDAL (the VRT's XML), and
    heights by lon/lat."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._dataset = gdal.Open(path)
        self._geotransform = self._dataset.GetGeoTransform()
        band = self._dataset.GetRasterBand(1)
        self._band = band
        self._nodata = band.GetNoDataValue()

    def heights(self, lon: NDArray[np.float64], lat: NDArray[np.float64]) -> NDArray[np.float64]:
        """Bilinear heights at the positions (pixel centres as GDAL places them); NaN where the DEM
        has no value or does not reach."""
        x0, dx, _, y0, _, dy = self._geotransform
        col = (np.asarray(lon, np.float64) - x0) / dx - 0.5
        row = (np.asarray(lat, np.float64) - y0) / dy - 0.5
        out = np.full(col.shape, np.nan)
        inside = np.isfinite(col) & np.isfinite(row)
        if not inside.any():
            return out
        width, height = self._dataset.RasterXSize, self._dataset.RasterYSize
        left = int(np.clip(np.floor(col[inside].min()), 0, width - 1))
        top = int(np.clip(np.floor(row[inside].min()), 0, height - 1))
        right = int(np.clip(np.floor(col[inside].max()) + 1, 0, width - 1))
        bottom = int(np.clip(np.floor(row[inside].max()) + 1, 0, height - 1))
        grid = self._band.ReadAsArray(left, top, right - left + 1, bottom - top + 1).astype(np.float64)
        if self._nodata is not None:
            grid[grid == self._nodata] = np.nan
        inside &= (col >= 0) & (row >= 0) & (col <= width - 1) & (row <= height - 1)
        c, r = col[inside] - left, row[inside] - top
        c0 = np.clip(np.floor(c).astype(np.intp), 0, grid.shape[1] - 1)
        r0 = np.clip(np.floor(r).astype(np.intp), 0, grid.shape[0] - 1)
        c1, r1 = np.minimum(c0 + 1, grid.shape[1] - 1), np.minimum(r0 + 1, grid.shape[0] - 1)
        fc, fr = c - c0, r - r0
        top_row = grid[r0, c0] * (1 - fc) + grid[r0, c1] * fc
        bottom_row = grid[r1, c0] * (1 - fc) + grid[r1, c1] * fc
        out[inside] = top_row * (1 - fr) + bottom_row * fr
        return out
