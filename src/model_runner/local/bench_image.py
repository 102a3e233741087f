"""The image ``model-runner bench`` reads: a generated GeoTIFF, or a VRT mosaic for huge sizes,
on local disk or in the local stack's S3.

A 100,000 x 100,000 image (10^10 pixels, about 40,000 tiles of 512) cannot be written to disk
here, so above :data:`MOSAIC_ABOVE` pixels a side the bench writes one real GeoTIFF tile of
:data:`MOSAIC_TILE` pixels and a VRT that repeats it across the whole image: it costs the disk of
one tile, and GDAL reads real pixels from it everywhere. The VRT names its tile relative to
itself, so it goes through the worker's ordinary checks: next to its tile in one folder on local
disk, or beside it in one bucket on S3 (a VRT on S3 naming local files is still refused).
The S3 route serves the same folder as the images bucket (``--s3-latency-ms``).
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

from model_runner.local.synthetic_image import UTM_18N, pixel_grid

MOSAIC_ABOVE = 32768
"""Images with a larger edge are made as a VRT mosaic of one real tile."""
MOSAIC_TILE = 4096
"""Edge of the real GeoTIFF a mosaic repeats."""
IMAGES_BUCKET = "mr-images"


@dataclass(frozen=True)
class BenchImage:
    """The files of the bench's image: the one to open first, and every file it reads."""

    path: Path
    files: tuple[Path, ...]
    kind: str
    """``geotiff`` or ``vrt-mosaic``."""
    size: int
    """Edge of the image in pixels."""
    tile_edge: int
    """Edge of the GeoTIFF it reads (``size`` unless a mosaic repeats a smaller one)."""


def make_image(folder: Path, size: int, mosaic_tile: int = MOSAIC_TILE) -> BenchImage:
    """Write the bench's ``size`` x ``size`` image into ``folder``: a GeoTIFF, or above
    :data:`MOSAIC_ABOVE` a VRT mosaic of one GeoTIFF tile of ``mosaic_tile`` pixels. Written by a
    child process, so that this process's peak memory is the pipeline's alone."""
    edge = size if size <= MOSAIC_ABOVE else mosaic_tile
    tile = folder / f"bench-{edge}.tif"
    subprocess.run(
        [sys.executable, "-m", "model_runner.local.synthetic_image", str(tile), str(edge)], check=True
    )
    if size <= MOSAIC_ABOVE:
        return BenchImage(tile, (tile,), "geotiff", size, size)
    return _mosaic(tile, edge, size, f"bench-{size}.vrt")


def renamed(image: BenchImage, label: str) -> BenchImage:
    """The image again under names ending in ``label`` (hard links, no more disk): opened by these
    names, it is read afresh, since GDAL keeps what it read (blocks, S3 ranges) by name."""
    tile = image.files[-1]
    copy = tile.with_name(f"{tile.stem}-{label}{tile.suffix}")
    os.link(tile, copy)
    if image.kind == "geotiff":
        return BenchImage(copy, (copy,), image.kind, image.size, image.size)
    return _mosaic(copy, image.tile_edge, image.size, f"{image.path.stem}-{label}{image.path.suffix}")


def _mosaic(tile: Path, edge: int, size: int, name: str) -> BenchImage:
    mosaic = tile.with_name(name)
    mosaic.write_text(mosaic_vrt(tile.name, edge, size))
    return BenchImage(mosaic, (mosaic, tile), "vrt-mosaic", size, edge)


def mosaic_vrt(tile_name: str, tile_edge: int, size: int, *, bands: int = 3) -> str:
    """A ``size`` x ``size`` VRT repeating the Byte GeoTIFF ``tile_name`` (``tile_edge`` pixels a
    side, next to the VRT) in a grid, georeferenced as :mod:`synthetic_image` georeferences it."""
    origin_x, pixel, origin_y = pixel_grid()
    srs = f"EPSG:{UTM_18N}"
    sources = []
    for top in range(0, size, tile_edge):
        for left in range(0, size, tile_edge):
            width, height = min(tile_edge, size - left), min(tile_edge, size - top)
            sources.append(
                f'<SimpleSource><SourceFilename relativeToVRT="1">{escape(tile_name)}</SourceFilename>'
                f"<SourceBand>{{band}}</SourceBand>"
                f'<SrcRect xOff="0" yOff="0" xSize="{width}" ySize="{height}"/>'
                f'<DstRect xOff="{left}" yOff="{top}" xSize="{width}" ySize="{height}"/></SimpleSource>'
            )
    joined = "\n".join(sources)
    band_xml = "".join(
        f'<VRTRasterBand dataType="Byte" band="{band}">{joined.replace("{band}", str(band))}'
        "</VRTRasterBand>\n"
        for band in range(1, bands + 1)
    )
    return (
        f'<VRTDataset rasterXSize="{size}" rasterYSize="{size}">\n'
        f"<SRS>{srs}</SRS>\n"
        f"<GeoTransform>{origin_x}, {pixel}, 0.0, {origin_y}, 0.0, {-pixel}</GeoTransform>\n"
        f"{band_xml}</VRTDataset>\n"
    )


def s3_url(image: BenchImage) -> str:
    """The image's URL in the bench's S3 (an :class:`~model_runner.local.object_server.ObjectServer`
    serving the image's folder as the images bucket)."""
    return f"s3://{IMAGES_BUCKET}/{image.path.name}"
