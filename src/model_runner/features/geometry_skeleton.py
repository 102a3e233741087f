"""Pixel geometries kept as columns: a skeleton (type and nesting) and a flat run of positions.

A GeoJSON geometry with coordinates is its type and, at every depth, either a bare position (a
Point's), a list of positions (a *block*: a MultiPoint's points, a line, a ring) or a list of such
lists. The skeleton keeps that shape with each block replaced by its length, so thousands of
detections of the same form share one skeleton, and their positions live in one float array.
A skeleton's key is its text (``Polygon:[[5]]``; a bare position is ``-1``): the tables of
detections store keys, and :func:`skeleton` turns a key back into the skeleton (cached).

Flattening checks the geometry as :func:`~model_runner.features.pixel_geometry.geometry_bounds`
does (the same faults are refused), in the same walk.
"""

from __future__ import annotations

import enum
import functools
import json
import math
from dataclasses import dataclass
from itertools import chain
from typing import Any

import numpy as np
import numpy.typing as npt

from model_runner.features.errors import InvalidFeatureError
from model_runner.features.pixel_geometry import POSITION_NESTING, Geometry, is_finite_number

BARE_POSITION = -1
"""In a skeleton's shape, a Point's single position (written without a list around it)."""

Shape = int | list["Shape"]
"""A block's length, :data:`BARE_POSITION`, or a list of shapes."""

_PLAIN_NUMBERS = {int, float}


class BlockKind(enum.IntEnum):
    """What a block of positions is (for centroids, bounds and ring orientation)."""

    POINTS = 0
    LINE = 1
    EXTERIOR = 2
    HOLE = 3


_KIND_OF_TYPE = {
    "Point": BlockKind.POINTS,
    "MultiPoint": BlockKind.POINTS,
    "LineString": BlockKind.LINE,
    "MultiLineString": BlockKind.LINE,
    "Polygon": BlockKind.EXTERIOR,
    "MultiPolygon": BlockKind.EXTERIOR,
}


@dataclass(frozen=True)
class Skeleton:
    """A geometry's type and nesting, its blocks (length and kind, in order) and its JSON template."""

    kind: str
    shape: Shape
    blocks: tuple[tuple[int, BlockKind], ...]

    @property
    def positions(self) -> int:
        """How many positions a geometry of this skeleton holds."""
        return sum(length for length, _ in self.blocks)

    @functools.cached_property
    def template(self) -> str:
        """The geometry's JSON (compact) with ``%s`` standing for each position, in order."""
        return '{"type":"%s","coordinates":%s}' % (self.kind, _coordinates_template(self.shape))  # noqa: UP031


def skeleton_key(kind: str, shape: Shape) -> str:
    """The text that names a skeleton in the tables of detections."""
    return f"{kind}:{json.dumps(shape, separators=(',', ':'))}"


@functools.lru_cache(maxsize=4096)
def skeleton(key: str) -> Skeleton:
    """The skeleton a key names.

    Raises:
        ValueError: the key is not one :func:`flatten_geometry` makes.
    """
    kind, _, text = key.partition(":")
    if kind not in POSITION_NESTING:
        raise ValueError(f"not a geometry skeleton: {key!r}")
    shape: Shape = json.loads(text)
    blocks: list[tuple[int, BlockKind]] = []
    _blocks(shape, POSITION_NESTING[kind], _KIND_OF_TYPE[kind], blocks)
    return Skeleton(kind, shape, tuple(blocks))


def flatten_geometry(geometry: Geometry) -> tuple[str, list[float], list[Any] | None]:
    """The skeleton key of a pixel geometry, its positions' x, y (interleaved), and the coordinates
    each position has after x and y (None when none has any: the usual case).

    Raises:
        InvalidFeatureError: the geometry's type is unsupported or its coordinates are not nested
            as its type says, a list of them is empty, or a position lacks finite numbers x and y.
    """
    kind = geometry.get("type")
    if not isinstance(kind, str) or kind not in POSITION_NESTING:
        raise InvalidFeatureError(f"unsupported geometry type {kind!r}")
    coordinates = geometry.get("coordinates")
    if kind == "Polygon" and _plain_rings(coordinates):  # the usual detection: quick
        rings: list[list[list[float]]] = coordinates  # type: ignore[assignment]
        numbers = list(chain.from_iterable(chain.from_iterable(rings)))
        lengths = ",".join([str(len(ring)) for ring in rings])
        return f"Polygon:[{lengths}]", numbers, None
    xy: list[float] = []
    rest: list[Any] = []
    shape = _walk(coordinates, POSITION_NESTING[kind], xy, rest)
    extras = rest if any(rest) else None
    return skeleton_key(kind, shape), xy, extras


def _plain_rings(coordinates: object) -> bool:
    """Whether ``coordinates`` are non-empty rings of plain [x, y] finite numbers."""
    if type(coordinates) is not list or not coordinates:
        return False
    for ring in coordinates:
        if type(ring) is not list or not ring:
            return False
        for position in ring:
            if type(position) is not list or len(position) != 2:
                return False
    numbers = list(chain.from_iterable(chain.from_iterable(coordinates)))
    return _PLAIN_NUMBERS.issuperset(map(type, numbers)) and all(map(math.isfinite, numbers))


def _walk(coordinates: object, depth: int, xy: list[float], rest: list[Any]) -> Shape:
    if depth == 0:
        _append(coordinates, xy, rest)
        return BARE_POSITION
    if not isinstance(coordinates, list | tuple):
        raise InvalidFeatureError(f"expected a list of coordinates, got {coordinates!r}")
    if not coordinates:
        raise InvalidFeatureError("a geometry has an empty list of coordinates")
    if depth == 1:
        for position in coordinates:
            _append(position, xy, rest)
        return len(coordinates)
    return [_walk(part, depth - 1, xy, rest) for part in coordinates]


def _append(position: object, xy: list[float], rest: list[Any]) -> None:
    if not isinstance(position, list | tuple) or len(position) < 2:
        raise InvalidFeatureError(f"a position needs finite numbers x and y, got {position!r}")
    if not all(map(is_finite_number, position)):
        raise InvalidFeatureError(f"a position needs finite numbers x and y, got {position!r}")
    xy.append(position[0])
    xy.append(position[1])
    rest.append(list(position[2:]))


def _blocks(shape: Shape, depth: int, kind: BlockKind, out: list[tuple[int, BlockKind]]) -> None:
    if isinstance(shape, int):
        out.append((1 if shape == BARE_POSITION else shape, kind))
        return
    for index, part in enumerate(shape):
        # In a polygon's list of rings, the first is the exterior and the others are holes.
        part_kind = BlockKind.HOLE if depth == 2 and kind is not BlockKind.LINE and index else kind
        _blocks(part, depth - 1, part_kind, out)


def _coordinates_template(shape: Shape) -> str:
    if isinstance(shape, int):
        if shape == BARE_POSITION:
            return "%s"
        return "[" + ",".join(["%s"] * shape) + "]"
    return "[" + ",".join(_coordinates_template(part) for part in shape) + "]"


def block_layout(
    skeleton_keys: tuple[str, ...], skeleton_ids: npt.NDArray[np.intp]
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """The blocks of a batch of geometries given by their skeletons: ``block_starts`` (B + 1
    position offsets), each block's kind (B,) and ``geometry_blocks`` (G + 1 block offsets), as
    :mod:`~model_runner.imagery.shape_measures` reads them. Computed per skeleton, not per geometry."""
    skeletons = [skeleton(key) for key in skeleton_keys]
    widest = max((len(item.blocks) for item in skeletons), default=0)
    lengths = np.zeros((len(skeletons), widest), np.intp)
    kinds = np.zeros((len(skeletons), widest), np.intp)
    for index, item in enumerate(skeletons):
        lengths[index, : len(item.blocks)] = [length for length, _ in item.blocks]
        kinds[index, : len(item.blocks)] = [kind for _, kind in item.blocks]
    per_geometry = np.array([len(item.blocks) for item in skeletons], np.intp)[skeleton_ids]
    geometry_blocks = np.concatenate(([0], np.cumsum(per_geometry))).astype(np.intp)
    owner = np.repeat(skeleton_ids, per_geometry)
    local = np.arange(int(geometry_blocks[-1])) - np.repeat(geometry_blocks[:-1], per_geometry)
    block_lengths = lengths[owner, local]
    block_starts = np.concatenate(([0], np.cumsum(block_lengths))).astype(np.intp)
    return block_starts, kinds[owner, local].astype(np.intp), geometry_blocks
