"""Georeferenced test images of any size, written block by block (bounded memory)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from osgeo import gdal, osr

UTM_18N = 32618
PIXEL_SIZE_M = 0.5
ORIGIN = (500000.0, 4500000.0)
_BLOCK_ROWS = 512


def pixel_grid() -> tuple[float, float, float]:
    """(left edge, pixel size, top edge) in metres of the images :func:`generate_image` writes."""
    return ORIGIN[0], PIXEL_SIZE_M, ORIGIN[1]


def generate_image(
    path: Path,
    width: int,
    height: int,
    *,
    bands: int = 3,
    data_type: int = gdal.GDT_Byte,
    pixel_size_m: float = PIXEL_SIZE_M,
    origin: tuple[float, float] = ORIGIN,
    epsg: int = UTM_18N,
) -> Path:
    """Write a tiled GeoTIFF with smooth gradients and texture, georeferenced in ``epsg``."""
    gdal.UseExceptions()
    driver = gdal.GetDriverByName("GTiff")
    dataset = driver.Create(
        str(path), width, height, bands, data_type, options=["TILED=YES", "BIGTIFF=IF_SAFER"]
    )
    dataset.SetGeoTransform((origin[0], pixel_size_m, 0.0, origin[1], 0.0, -pixel_size_m))
    reference = osr.SpatialReference()
    reference.ImportFromEPSG(epsg)
    dataset.SetProjection(reference.ExportToWkt())
    peak = 65535 if data_type == gdal.GDT_UInt16 else 255
    columns = np.arange(width, dtype=np.float32)
    rng = np.random.default_rng(7)
    for top in range(0, height, _BLOCK_ROWS):
        rows = np.arange(top, min(top + _BLOCK_ROWS, height), dtype=np.float32)[:, None]
        for band in range(bands):
            wave = np.sin(columns / (97.0 + 31 * band)) * np.cos(rows / (89.0 + 17 * band))
            noise = rng.random((len(rows), width), dtype=np.float32) * 0.2
            values = ((wave + 1.2) / 2.6 + noise) * peak
            dataset.GetRasterBand(band + 1).WriteArray(np.clip(values, 0, peak).astype(np.uint16), 0, top)
    dataset.FlushCache()
    dataset = None
    return path


if __name__ == "__main__":
    import sys

    generate_image(Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[2]))
