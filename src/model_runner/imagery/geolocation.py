"""Geolocating GeoJSON geometries given in full-image pixels, and the region of interest.

Every position of every geometry is gathered into one array and converted by one call to the
sensor model, then scattered back, so thousands of detections cost one GDAL call; their centroids,
bounding boxes and ring orientations are measured over that array too
(:mod:`model_runner.imagery.shape_measures`).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
import shapely.affinity
import shapely.geometry
from numpy.typing import NDArray
from shapely.geometry.base import BaseGeometry

from model_runner.errors import InvalidRequestError, ModelRunnerError, QueueAction
from model_runner.features.pixel_geometry import POSITION_NESTING
from model_runner.imagery.sensor_model import SensorModel
from model_runner.imagery.shape_measures import BlockKind, centroids, clockwise_rings, lon_lat_bounds
from model_runner.imagery.source import PixelWindow

_ROI_EDGE_PIECES = 64  # densify each region-of-interest edge into at least this many pieces


class PixelGeometryError(ModelRunnerError):
    """A pixel geometry is not a GeoJSON geometry of a supported type with numeric positions."""

    action = QueueAction.FAIL_JOB


@dataclass(frozen=True)
class GeolocatedShape:
    """A geometry in WGS84: GeoJSON [lon, lat, height] positions, its bounding box and its centre."""

    geometry: dict[str, Any]
    bbox: tuple[float, float, float, float]
    """West, south, east, north per RFC 7946: west > east across the antimeridian."""
    center: tuple[float, float]
    """(longitude, latitude) of the pixel geometry's centroid (as the reference computes it)."""


class _Position(int):
    """The block index of a Point's single position (rebuilt as a position, not a list)."""


# A geometry's coordinates with each list of positions replaced by its index in the flat batch.
_Skeleton = int | list["_Skeleton"]


@dataclass
class _Batch:
    """Geometries flattened: their position blocks, each block's kind, each geometry's skeleton."""

    blocks: list[NDArray[np.float64]]
    kinds: list[BlockKind]
    skeletons: list[_Skeleton]
    first_blocks: list[int]


def geolocate(
    model: SensorModel, pixel_geometries: Sequence[Mapping[str, Any]], *, counterclockwise: bool = False
) -> list[GeolocatedShape | None]:
    """Convert GeoJSON geometries in full-image pixels (x, y) to WGS84, in one batch.

    Positions become [longitude, latitude, height] (see :meth:`SensorModel.pixel_to_ground`). Rings
    keep the vertex order of the pixel geometry, as the reference writes them, unless
    ``counterclockwise``: then exterior rings turn counterclockwise and holes clockwise in lon/lat
    (RFC 7946 section 3.1.6). Returns one entry per geometry, ``None`` where the model could not
    locate some position.

    Raises:
        PixelGeometryError: a geometry is malformed or of an unsupported type (names its index).
    """
    if not pixel_geometries:
        return []
    batch = _Batch([], [], [], [])
    for index, geometry in enumerate(pixel_geometries):
        batch.first_blocks.append(len(batch.blocks))
        batch.skeletons.append(_flatten(geometry, index, batch))
    positions = np.concatenate(batch.blocks)
    block_starts = np.concatenate(([0], np.cumsum([len(block) for block in batch.blocks]))).astype(np.intp)
    kinds = np.asarray(batch.kinds, np.intp)
    geometry_blocks = np.asarray([*batch.first_blocks, len(batch.blocks)], np.intp)
    pixel_centres = centroids(positions, block_starts, kinds, geometry_blocks)
    lon, lat, height = model.pixel_to_ground(
        np.concatenate((positions[:, 0], pixel_centres[:, 0])),
        np.concatenate((positions[:, 1], pixel_centres[:, 1])),
    )
    world = np.column_stack((lon, lat, height))[: len(positions)]
    centres = np.column_stack((lon, lat))[len(positions) :]
    geometry_starts = block_starts[geometry_blocks[:-1]]
    located = np.logical_and.reduceat(np.isfinite(world).all(axis=1), geometry_starts)
    located &= np.isfinite(centres).all(axis=1)
    bounds = np.full((len(pixel_geometries), 4), np.nan)
    if located.all():
        bounds = lon_lat_bounds(world[:, :2], block_starts, kinds, geometry_blocks)
    else:  # bounds of the located ones only: NaN would spread through a geometry's neighbours
        finite = np.nan_to_num(world[:, :2])
        bounds[located] = lon_lat_bounds(finite, block_starts, kinds, geometry_blocks)[located]
    reverse = set()
    if counterclockwise:
        clockwise = clockwise_rings(np.nan_to_num(world[:, :2]), block_starts, kinds)
        reverse = set(np.flatnonzero(clockwise == (kinds == BlockKind.EXTERIOR)).tolist())
    world_list = world.tolist()
    world_blocks = [
        world_list[start:end][:: -1 if block in reverse else 1]
        for block, (start, end) in enumerate(itertools.pairwise(block_starts.tolist()))
    ]
    bounds_list, centre_list = bounds.tolist(), centres.tolist()
    return [
        GeolocatedShape(
            geometry={"type": geometry["type"], "coordinates": _rebuild(skeleton, world_blocks)},
            bbox=tuple(bounds_list[index]),
            center=tuple(centre_list[index]),
        )
        if located[index]
        else None
        for index, (geometry, skeleton) in enumerate(zip(pixel_geometries, batch.skeletons, strict=True))
    ]


def roi_to_pixel_polygon(model: SensorModel | None, wkt: str) -> BaseGeometry:
    """The region of interest (WKT Polygon or MultiPolygon in lon/lat) as a polygon in pixels.

    Edges are densified before conversion so that they stay accurate where the projection bends
    them. A polygon with an edge longer than 180 degrees of longitude crosses the antimeridian
    (written with longitudes of both signs): it is read the short way round, as RFC 7946 reads
    such edges, and placed on the image's side of the antimeridian. The tiling module uses the
    result (e.g. its bounds) to choose the regions to process.

    Raises:
        InvalidRequestError: the WKT is not a polygon, lies where the image's model fails, or the
            image has no georeferencing to find it with.
    """
    if model is None:
        raise InvalidRequestError(
            [
                "regionOfInterest: the image has no georeferencing, so a region in longitude and "
                "latitude cannot be found in it; leave regionOfInterest out to process the whole image"
            ]
        )
    try:
        area = shapely.from_wkt(wkt)
    except shapely.errors.GEOSException as error:
        raise InvalidRequestError([f"regionOfInterest: not valid WKT ({error})"]) from None
    if area.geom_type not in ("Polygon", "MultiPolygon") or area.is_empty:
        raise InvalidRequestError(
            [f"regionOfInterest: expected a Polygon or MultiPolygon, got {area.geom_type}"]
        )
    area = _on_the_image_side(area, model)
    min_lon, min_lat, max_lon, max_lat = area.bounds
    dense = shapely.segmentize(area, max(max_lon - min_lon, max_lat - min_lat) / _ROI_EDGE_PIECES)
    pixels = shapely.transform(
        dense, lambda lon_lat: np.column_stack(model.world_to_pixel(lon_lat[:, 0], lon_lat[:, 1]))
    )
    if not np.isfinite(shapely.get_coordinates(pixels)).all():
        raise InvalidRequestError(
            ["regionOfInterest: lies partly where the image's sensor model cannot locate it"]
        )
    return pixels if pixels.is_valid else shapely.make_valid(pixels)


def _on_the_image_side(area: BaseGeometry, model: SensorModel) -> BaseGeometry:
    """``area`` with antimeridian-crossing polygons made continuous in longitude, then moved by
    whole turns to the longitudes nearest the image's."""
    parts = list(getattr(area, "geoms", [area]))
    unwrapped = [
        shapely.transform(
            part, lambda xy: np.column_stack((np.where(xy[:, 0] < 0, xy[:, 0] + 360, xy[:, 0]), xy[:, 1]))
        )
        if (np.abs(np.diff(shapely.get_coordinates(part.exterior)[:, 0])) > 180).any()
        else part
        for part in parts
    ]
    if all(new is old for new, old in zip(unwrapped, parts, strict=True)):
        return area
    merged = shapely.union_all(unwrapped)
    image_lon = float(model.pixel_to_world([0.0], [0.0])[0][0])
    centre_lon = shapely.centroid(merged).x
    turns = round((centre_lon - image_lon) / 360) if np.isfinite(image_lon) else 0
    return shapely.affinity.translate(merged, xoff=-360.0 * turns)


_BLOCK_KINDS = {
    "Point": BlockKind.POINTS,
    "MultiPoint": BlockKind.POINTS,
    "LineString": BlockKind.LINE,
    "MultiLineString": BlockKind.LINE,
}


def _flatten(geometry: Mapping[str, Any], index: int, batch: _Batch) -> _Skeleton:
    """Append each list of positions of ``geometry`` to the batch; return its skeleton."""
    geometry_type = geometry.get("type") if isinstance(geometry, Mapping) else None
    if geometry_type not in POSITION_NESTING:
        raise PixelGeometryError(f"pixel geometry {index}: unsupported type {geometry_type!r}")
    kind = _BLOCK_KINDS.get(geometry_type, BlockKind.EXTERIOR)
    if geometry_type == "Point":
        return _Position(_append_positions([geometry.get("coordinates")], index, batch, kind))
    blocks_before = len(batch.blocks)
    skeleton = _flatten_lists(
        geometry.get("coordinates"), POSITION_NESTING[geometry_type], index, batch, kind
    )
    if len(batch.blocks) == blocks_before:
        raise PixelGeometryError(f"pixel geometry {index}: a {geometry_type} without positions")
    return skeleton


def _flatten_lists(coordinates: Any, depth: int, index: int, batch: _Batch, kind: BlockKind) -> _Skeleton:
    if depth == 1:
        return _append_positions(coordinates, index, batch, kind)
    if not isinstance(coordinates, list | tuple):
        raise PixelGeometryError(f"pixel geometry {index}: coordinates are not nested lists")
    parts = []
    for position, part in enumerate(coordinates):
        # In a polygon's list of rings, the first is the exterior and the others are holes.
        part_kind = BlockKind.HOLE if depth == 2 and kind is not BlockKind.LINE and position else kind
        parts.append(_flatten_lists(part, depth - 1, index, batch, part_kind))
    return parts


def _append_positions(positions: Any, index: int, batch: _Batch, kind: BlockKind) -> int:
    try:
        array = np.asarray(positions, dtype=np.float64)
    except ValueError:  # ragged: some positions carry a height, or are too short
        array = _xy_positions(positions, index)
    except TypeError:
        raise PixelGeometryError(f"pixel geometry {index}: positions are not numbers") from None
    if array.ndim != 2 or array.shape[0] == 0 or array.shape[1] < 2 or not np.isfinite(array[:, :2]).all():
        raise PixelGeometryError(f"pixel geometry {index}: expected a non-empty list of [x, y] positions")
    batch.blocks.append(array[:, :2])
    batch.kinds.append(kind)
    return len(batch.blocks) - 1


def _xy_positions(positions: Any, index: int) -> NDArray[np.float64]:
    try:
        return np.asarray([position[:2] for position in positions], dtype=np.float64)
    except (TypeError, ValueError):
        raise PixelGeometryError(f"pixel geometry {index}: positions are not numbers") from None


def _rebuild(skeleton: _Skeleton, world_blocks: Sequence[list[list[float]]]) -> Any:
    if isinstance(skeleton, _Position):
        return world_blocks[skeleton][0]
    if isinstance(skeleton, int):
        return world_blocks[skeleton]
    return [_rebuild(part, world_blocks) for part in skeleton]


def processed_footprint(
    model: SensorModel, area: PixelWindow, roi_wkt: str | None = None
) -> GeolocatedShape | None:
    """The WGS84 outline of what was processed: the pixel ``area``, within the region of interest
    when there is one; edges densified so they follow the sensor model. None when the model cannot
    locate it."""
    processed: BaseGeometry = shapely.box(area.x, area.y, area.x + area.width, area.y + area.height)
    if roi_wkt is not None:
        processed = processed.intersection(roi_to_pixel_polygon(model, roi_wkt))
    if processed.is_empty:
        return None
    min_x, min_y, max_x, max_y = processed.bounds
    dense = shapely.segmentize(processed, max(max_x - min_x, max_y - min_y, 1.0) / _ROI_EDGE_PIECES)
    (shape,) = geolocate(model, [shapely.geometry.mapping(dense)])
    return shape
