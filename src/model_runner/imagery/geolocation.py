"""Geolocating GeoJSON geometries given in full-image pixels, and the region of interest.

Every position of every geometry is gathered into one array and converted by one call to the
sensor model, then scattered back, so thousands of detections cost one GDAL call; their centroids,
bounding boxes and ring orientations are measured over that array too
(:mod:`model_runner.imagery.shape_measures`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import shapely
import shapely.affinity
import shapely.geometry
from numpy.typing import NDArray
from shapely.geometry.base import BaseGeometry

from model_runner.errors import InvalidRequestError, ModelRunnerError, QueueAction
from model_runner.features.errors import InvalidFeatureError
from model_runner.features.feature_json import Geolocated, position_texts
from model_runner.features.geometry_skeleton import BlockKind, block_layout, flatten_geometry, skeleton
from model_runner.features.output import Located
from model_runner.features.pixel_geometry import POSITION_NESTING
from model_runner.imagery.sensor_model import SensorModel
from model_runner.imagery.shape_measures import centroids, clockwise_rings, lon_lat_bounds
from model_runner.imagery.source import PixelWindow

_ROI_EDGE_PIECES = 64  # densify each region-of-interest edge into at least this many pieces


class PixelGeometryError(ModelRunnerError):
    """A pixel geometry is not a GeoJSON geometry of a supported type with numeric positions."""

    action = QueueAction.FAIL_JOB


def geolocate(
    model: SensorModel, pixel_geometries: Sequence[Mapping[str, Any]], *, counterclockwise: bool = False
) -> list[Located | None]:
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
    keys: list[str] = []
    xy: list[float] = []
    for index, geometry in enumerate(pixel_geometries):
        kind = geometry.get("type") if isinstance(geometry, Mapping) else None
        if kind not in POSITION_NESTING:
            raise PixelGeometryError(f"pixel geometry {index}: unsupported type {kind!r}")
        try:
            key, coordinates, _ = flatten_geometry(geometry)
        except InvalidFeatureError as error:
            raise PixelGeometryError(f"pixel geometry {index}: {error}") from None
        keys.append(key)
        xy.extend(coordinates)
    table = {key: position for position, key in enumerate(dict.fromkeys(keys))}
    skeleton_ids = np.array([table[key] for key in keys], np.intp)
    block_starts, kinds, geometry_blocks = block_layout(tuple(table), skeleton_ids)
    found = locate_positions(
        model,
        np.array(xy, np.float64).reshape(-1, 2),
        block_starts,
        kinds,
        geometry_blocks,
        counterclockwise=counterclockwise,
    )
    texts = position_texts(found.world)
    starts = block_starts[geometry_blocks].tolist()
    bounds, centres = found.bounds.tolist(), found.centres.tolist()
    return [
        Located(
            geometry=json.loads(skeleton(key).template % tuple(texts[start:end])),
            bbox=tuple(bounds[index]),
            center=tuple(centres[index]),
        )
        if located
        else None
        for index, (key, start, end, located) in enumerate(
            zip(keys, starts[:-1], starts[1:], found.located.tolist(), strict=True)
        )
    ]


def locate_positions(
    model: SensorModel,
    positions: NDArray[np.float64],
    block_starts: NDArray[np.intp],
    kinds: NDArray[np.intp],
    geometry_blocks: NDArray[np.intp],
    *,
    counterclockwise: bool = False,
) -> Geolocated:
    """Geolocate a batch of geometries given flat (see :mod:`~model_runner.imagery.shape_measures`):
    ``positions`` (P, 2) in full-image pixels, in one call to the sensor model. Each geometry's
    centroid is taken in pixels and geolocated, its bbox measured in lon/lat; rings whose turn
    ``counterclockwise`` asks to change are written reversed in the result's ``world``."""
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
    bounds = np.full((len(geometry_blocks) - 1, 4), np.nan)
    if located.all():
        bounds = lon_lat_bounds(world[:, :2], block_starts, kinds, geometry_blocks)
    else:  # bounds of the located ones only: NaN would spread through a geometry's neighbours
        finite = np.nan_to_num(world[:, :2])
        bounds[located] = lon_lat_bounds(finite, block_starts, kinds, geometry_blocks)[located]
    if counterclockwise:
        clockwise = clockwise_rings(np.nan_to_num(world[:, :2]), block_starts, kinds)
        reverse = clockwise == (kinds == BlockKind.EXTERIOR)
        world = world[_reversing(block_starts, reverse)]
    return Geolocated(world, bounds, centres, located)


def _reversing(block_starts: NDArray[np.intp], reverse: NDArray[np.bool_]) -> NDArray[np.intp]:
    """The order of positions that writes the flagged blocks backwards."""
    order = np.arange(int(block_starts[-1]), dtype=np.intp)
    counts = np.diff(block_starts)
    block_of = np.repeat(np.arange(len(counts)), counts)
    flipped = block_starts[:-1][block_of] + block_starts[1:][block_of] - 1 - order
    result: NDArray[np.intp] = np.where(reverse[block_of], flipped, order)
    return result


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


def processed_footprint(model: SensorModel, area: PixelWindow, roi_wkt: str | None = None) -> Located | None:
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
