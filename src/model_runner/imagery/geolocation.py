"""Geolocating GeoJSON geometries given in full-image pixels, and the region of interest.

Every position of every geometry is gathered into one array and converted by one call to the
sensor model, then scattered back, so thousands of detections cost one GDAL call.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
import shapely.geometry
from numpy.typing import NDArray
from shapely.geometry.base import BaseGeometry

from model_runner.errors import InvalidRequestError, ModelRunnerError, QueueAction
from model_runner.features.pixel_geometry import POSITION_NESTING
from model_runner.imagery.sensor_model import SensorModel
from model_runner.imagery.source import PixelWindow

_ROI_EDGE_PIECES = 64  # densify each region-of-interest edge into at least this many pieces


class PixelGeometryError(ModelRunnerError):
    """A pixel geometry is not a GeoJSON geometry of a supported type with numeric positions."""

    action = QueueAction.FAIL_JOB


@dataclass(frozen=True)
class GeolocatedShape:
    """A geometry in WGS84: GeoJSON (lon, lat), its bounding box and its centre."""

    geometry: dict[str, Any]
    bbox: tuple[float, float, float, float]
    """(min longitude, min latitude, max longitude, max latitude)."""
    center: tuple[float, float]
    """(longitude, latitude) of the centre of the geometry's pixel bounding box."""


class _Position(int):
    """The block index of a Point's single position (rebuilt as a position, not a list)."""


# A geometry's coordinates with each list of positions replaced by its index in the flat batch.
_Skeleton = int | list["_Skeleton"]


def geolocate(
    model: SensorModel, pixel_geometries: Sequence[Mapping[str, Any]]
) -> list[GeolocatedShape | None]:
    """Convert GeoJSON geometries in full-image pixels (x, y) to WGS84, in one batch.

    Returns one entry per geometry, ``None`` where the model could not locate some position.

    Raises:
        PixelGeometryError: a geometry is malformed or of an unsupported type (names its index).
    """
    if not pixel_geometries:
        return []
    blocks: list[NDArray[np.float64]] = []
    first_blocks: list[int] = []
    skeletons: list[_Skeleton] = []
    for index, geometry in enumerate(pixel_geometries):
        first_blocks.append(len(blocks))
        skeletons.append(_flatten(geometry, index, blocks))
    positions = np.concatenate(blocks)
    block_starts = np.concatenate(([0], np.cumsum([len(block) for block in blocks]))).tolist()
    geometry_starts = np.asarray(block_starts)[first_blocks]
    pixel_centres = (
        np.minimum.reduceat(positions, geometry_starts) + np.maximum.reduceat(positions, geometry_starts)
    ) / 2
    lon, lat = model.pixel_to_world(
        np.concatenate((positions[:, 0], pixel_centres[:, 0])),
        np.concatenate((positions[:, 1], pixel_centres[:, 1])),
    )
    world = np.column_stack((lon, lat))
    world_positions, centres = world[: len(positions)], world[len(positions) :]
    low = np.minimum.reduceat(world_positions, geometry_starts)
    high = np.maximum.reduceat(world_positions, geometry_starts)
    located = np.isfinite(np.hstack((low, high, centres))).all(axis=1)
    bounds, centre_list, world_list = (
        np.hstack((low, high)).tolist(),
        centres.tolist(),
        world_positions.tolist(),
    )
    world_blocks = [world_list[start:end] for start, end in itertools.pairwise(block_starts)]
    return [
        GeolocatedShape(
            geometry={"type": geometry["type"], "coordinates": _rebuild(skeleton, world_blocks)},
            bbox=tuple(bounds[index]),
            center=tuple(centre_list[index]),
        )
        if located[index]
        else None
        for index, (geometry, skeleton) in enumerate(zip(pixel_geometries, skeletons, strict=True))
    ]


def roi_to_pixel_polygon(model: SensorModel, wkt: str) -> BaseGeometry:
    """The region of interest (WKT Polygon or MultiPolygon in lon/lat) as a polygon in pixels.

    Edges are densified before conversion so that they stay accurate where the projection bends
    them. The tiling module uses the result (e.g. its bounds) to choose the regions to process.

    Raises:
        InvalidRequestError: the WKT is not a polygon, or lies where the image's model fails.
    """
    try:
        area = shapely.from_wkt(wkt)
    except shapely.errors.GEOSException as error:
        raise InvalidRequestError([f"regionOfInterest: not valid WKT ({error})"]) from None
    if area.geom_type not in ("Polygon", "MultiPolygon") or area.is_empty:
        raise InvalidRequestError(
            [f"regionOfInterest: expected a Polygon or MultiPolygon, got {area.geom_type}"]
        )
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


def _flatten(geometry: Mapping[str, Any], index: int, blocks: list[NDArray[np.float64]]) -> _Skeleton:
    """Append each list of positions of ``geometry`` to ``blocks``; return its skeleton."""
    geometry_type = geometry.get("type") if isinstance(geometry, Mapping) else None
    if geometry_type not in POSITION_NESTING:
        raise PixelGeometryError(f"pixel geometry {index}: unsupported type {geometry_type!r}")
    if geometry_type == "Point":
        return _Position(_append_positions([geometry.get("coordinates")], index, blocks))
    blocks_before = len(blocks)
    skeleton = _flatten_lists(geometry.get("coordinates"), POSITION_NESTING[geometry_type], index, blocks)
    if len(blocks) == blocks_before:
        raise PixelGeometryError(f"pixel geometry {index}: a {geometry_type} without positions")
    return skeleton


def _flatten_lists(coordinates: Any, depth: int, index: int, blocks: list[NDArray[np.float64]]) -> _Skeleton:
    if depth == 1:
        return _append_positions(coordinates, index, blocks)
    if not isinstance(coordinates, list | tuple):
        raise PixelGeometryError(f"pixel geometry {index}: coordinates are not nested lists")
    return [_flatten_lists(part, depth - 1, index, blocks) for part in coordinates]


def _append_positions(positions: Any, index: int, blocks: list[NDArray[np.float64]]) -> int:
    try:
        array = np.asarray(positions, dtype=np.float64)
    except ValueError:  # ragged: some positions carry a height, or are too short
        array = _xy_positions(positions, index)
    except TypeError:
        raise PixelGeometryError(f"pixel geometry {index}: positions are not numbers") from None
    if array.ndim != 2 or array.shape[0] == 0 or array.shape[1] < 2 or not np.isfinite(array[:, :2]).all():
        raise PixelGeometryError(f"pixel geometry {index}: expected a non-empty list of [x, y] positions")
    blocks.append(array[:, :2])
    return len(blocks) - 1


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
