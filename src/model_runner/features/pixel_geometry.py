"""GeoJSON geometries and boxes in pixel coordinates (x right, y down): validation and bounds."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from itertools import chain
from typing import Any, cast

from model_runner.features.errors import InvalidFeatureError

Geometry = Mapping[str, Any]
"""A GeoJSON geometry object: ``{"type": ..., "coordinates": ...}`` or a GeometryCollection."""

Box = tuple[float, float, float, float]
"""A pixel bounding box: min x, min y, max x, max y."""

POSITION_NESTING = {
    "Point": 0,
    "MultiPoint": 1,
    "LineString": 1,
    "MultiLineString": 2,
    "Polygon": 2,
    "MultiPolygon": 3,
}
"""How many list levels hold a geometry type's positions."""

COORDINATE_GEOMETRY_TYPES = tuple(POSITION_NESTING)
"""The geometry types made of coordinates: every supported type but GeometryCollection."""

_PLAIN_LISTS = {list, tuple}
_PLAIN_NUMBERS = {int, float}


def geometry_bounds(geometry: Geometry) -> Box:
    """The bounding box of every position of ``geometry``, checking that it is valid GeoJSON.

    Raises:
        InvalidFeatureError: the geometry's type is unsupported, its coordinates are not nested as
            its type says, a list of them is empty, or a position lacks finite numbers x and y.
    """
    xs, ys = _xy(geometry)
    return (min(xs), min(ys), max(xs), max(ys))


def checked_box(value: object) -> Box:
    """``value`` (a list or tuple) as a pixel box: four finite numbers, min x, min y, max x, max y.

    Raises:
        InvalidFeatureError: it is not such a box.
    """
    if not (
        isinstance(value, list | tuple)
        and len(value) == 4
        and (_plain_finite(value) or all(map(is_finite_number, value)))
    ):
        raise InvalidFeatureError(f"a bounding box needs four finite numbers, got {value!r}")
    min_x, min_y, max_x, max_y = value
    if min_x > max_x or min_y > max_y:
        raise InvalidFeatureError(f"bounding box {value!r} is not min x, min y, max x, max y")
    return (min_x, min_y, max_x, max_y)


def is_finite_number(value: object) -> bool:
    """Whether ``value`` is an int or float (not a bool) other than NaN and infinity."""
    if type(value) in _PLAIN_NUMBERS:  # the usual case, checked at once
        return math.isfinite(value)  # type: ignore[arg-type]
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _xy(geometry: Geometry) -> tuple[list[float], list[float]]:
    """The x and the y of every position of ``geometry`` (at least one), checked.

    A tile can hold thousands of features, so each nesting level is checked and flattened as a
    whole, and plain x, y positions are checked at once; only what fails the quick check is walked
    item by item, to accept it or name the fault.
    """
    kind = geometry.get("type")
    if kind == "GeometryCollection":
        members = _members(geometry)
        if not members:
            raise InvalidFeatureError("GeometryCollection geometry has no geometries")
        parts = [_xy(member) for member in members]
        return [x for xs, _ in parts for x in xs], [y for _, ys in parts for y in ys]
    level: list[Any] = [geometry.get("coordinates")]
    for _ in range(_nesting(kind)):
        if not (_PLAIN_LISTS.issuperset(map(type, level)) and all(level)):
            for part in level:
                if not _sequence(part):
                    raise InvalidFeatureError(f"{kind} geometry has an empty list of coordinates")
        level = [item for part in level for item in part]
    if _PLAIN_LISTS.issuperset(map(type, level)):
        numbers: list[Any] = list(chain.from_iterable(level))
        if len(numbers) == 2 * len(level) and min(map(len, level)) == 2 and _plain_finite(numbers):
            return numbers[0::2], numbers[1::2]
    positions = [_position(position) for position in level]
    return [position[0] for position in positions], [position[1] for position in positions]


def _plain_finite(numbers: Sequence[Any]) -> bool:
    """Whether ``numbers`` are all ints and floats other than NaN and infinity: the quick check.

    False does not mean that they fail :func:`is_finite_number` (subclasses such as numpy's
    float64 pass it); only that they need it.
    """
    return _PLAIN_NUMBERS.issuperset(map(type, numbers)) and all(map(math.isfinite, numbers))


def _nesting(kind: object) -> int:
    if not isinstance(kind, str) or kind not in POSITION_NESTING:
        raise InvalidFeatureError(f"unsupported geometry type {kind!r}")
    return POSITION_NESTING[kind]


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
    if len(items) < 2 or not all(map(is_finite_number, items)):
        raise InvalidFeatureError(f"a position needs finite numbers x and y, got {value!r}")
    return cast(Sequence[float], items)
