"""GeoJSON geometries in pixel coordinates (x right, y down): validation, bounds and translation.

Positions keep any coordinate after x and y (such as a height) unchanged.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, cast

from model_runner.features.errors import InvalidFeatureError

Geometry = Mapping[str, Any]
"""A GeoJSON geometry object: ``{"type": ..., "coordinates": ...}`` or a GeometryCollection."""

Box = tuple[float, float, float, float]
"""A pixel bounding box: min x, min y, max x, max y."""

_NESTING = {
    "Point": 0,
    "MultiPoint": 1,
    "LineString": 1,
    "MultiLineString": 2,
    "Polygon": 2,
    "MultiPolygon": 3,
}
"""How many list levels hold a geometry type's positions."""


def geometry_bounds(geometry: Geometry) -> Box:
    """The bounding box of every position of ``geometry``.

    Raises:
        InvalidFeatureError: the geometry is not valid GeoJSON or has no positions.
    """
    xs: list[float] = []
    ys: list[float] = []
    for position in _positions(geometry):
        xs.append(position[0])
        ys.append(position[1])
    if not xs:
        raise InvalidFeatureError(f"{geometry.get('type')} geometry has no coordinates")
    return (min(xs), min(ys), max(xs), max(ys))


def translate_geometry(geometry: Geometry, dx: float, dy: float) -> dict[str, Any]:
    """A copy of ``geometry`` moved by ``(dx, dy)`` pixels, as plain JSON-ready lists.

    Raises:
        InvalidFeatureError: the geometry is not valid GeoJSON.
    """
    kind = geometry.get("type")
    if kind == "GeometryCollection":
        members = _members(geometry)
        return {"type": kind, "geometries": [translate_geometry(member, dx, dy) for member in members]}
    return {"type": kind, "coordinates": _shift(geometry.get("coordinates"), _nesting(kind), dx, dy)}


def _positions(geometry: Geometry) -> Iterator[Sequence[float]]:
    kind = geometry.get("type")
    if kind == "GeometryCollection":
        for member in _members(geometry):
            yield from _positions(member)
    else:
        yield from _walk(geometry.get("coordinates"), _nesting(kind))


def _walk(coordinates: object, depth: int) -> Iterator[Sequence[float]]:
    if depth == 0:
        yield _position(coordinates)
        return
    for item in _sequence(coordinates):
        yield from _walk(item, depth - 1)


def _shift(coordinates: object, depth: int, dx: float, dy: float) -> list[Any]:
    if depth == 0:
        x, y, *rest = _position(coordinates)
        return [x + dx, y + dy, *rest]
    return [_shift(item, depth - 1, dx, dy) for item in _sequence(coordinates)]


def _nesting(kind: object) -> int:
    if not isinstance(kind, str) or kind not in _NESTING:
        raise InvalidFeatureError(f"unsupported geometry type {kind!r}")
    return _NESTING[kind]


def _members(collection: Geometry) -> list[Geometry]:
    members = collection.get("geometries")
    if not isinstance(members, list) or not all(isinstance(member, Mapping) for member in members):
        raise InvalidFeatureError("a GeometryCollection needs a list of geometries")
    return members


def _sequence(value: object) -> Sequence[object]:
    if not isinstance(value, list | tuple):
        raise InvalidFeatureError(f"expected a list of coordinates, got {value!r}")
    return value


def _position(value: object) -> Sequence[float]:
    items = _sequence(value)
    if len(items) < 2 or not all(_is_finite_number(item) for item in items):
        raise InvalidFeatureError(f"a position needs finite numbers x and y, got {value!r}")
    return cast(Sequence[float], items)


def _is_finite_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
