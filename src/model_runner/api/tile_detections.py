"""A model's answer for one tile read straight into columns (no object per detection).

Each feature is checked as :func:`~model_runner.api.parse_model_response` checks it (the same
reasons name the same keys); what the output needs of it is kept as text and numbers in a
:class:`~model_runner.features.DetectionColumns`. Its properties must be JSON the output can
carry: a NaN or an infinity among them fails the tile, naming the feature.

A dense tile holds thousands of features, mostly of one usual form (an ``imageGeometry``,
``featureClasses`` of plain IRIs and scores, an ``imageBBox`` or none). A tile whose features all
take that form is read column-wise: each check runs over the whole tile at once, in C loops (map,
set, chain), not in a few Python calls per feature. A tile with any other feature, or a fault, is
read feature by feature the checked way, which names the feature and its fault.
"""

from __future__ import annotations

import functools
import json
import math
import operator
from collections.abc import Mapping, Sequence
from itertools import accumulate, chain, repeat
from typing import Any

import orjson

from model_runner.api.model_response import (
    ModelResponseError,
    bad_geometry,
    collection_features,
    feature_parts,
)
from model_runner.features import InvalidFeatureError
from model_runner.features.detection_columns import DetectionColumns, DetectionRows
from model_runner.features.feature_json import compact_json
from model_runner.features.geometry_skeleton import flatten_geometry
from model_runner.features.output import REMOVED_PROPERTIES


def parse_tile_detections(
    body: bytes | str | Mapping[str, Any], origin: tuple[float, float]
) -> DetectionColumns:
    """The detections of a model's answer for the tile whose top-left pixel is ``origin``, as
    columns (see :func:`read_tile_detections`)."""
    return read_tile_detections(body, origin).columns()


def read_tile_detections(body: bytes | str | Mapping[str, Any], origin: tuple[float, float]) -> DetectionRows:
    """The detections of a model's answer for the tile whose top-left pixel is ``origin``, as
    rows to be made columns with the other tiles of their batch.

    Raises:
        ModelResponseError: the answer is not a FeatureCollection, or a feature has no usable
            pixel geometry, bounding box or classes, or properties JSON cannot carry; the reason
            names the feature and key.
    """
    rows = DetectionRows(origin)
    features = collection_features(body)
    usual = _usual_tile(features)
    if usual is not None:
        rows.add_all(*usual)
        return rows
    for index, feature in enumerate(features):
        try:
            _add(rows, feature)
        except ValueError as error:
            raise ModelResponseError(f"features[{index}]{error}") from None
    return rows


_UNUSUAL_KEYS = frozenset({"bounds_imcoords", "geom_imcoords", "detection", "feature_types"})
"""Properties that change how a feature is read: their tiles take the checked way."""
_USUAL_KEYS = ("imageGeometry", "imageBBox", "featureClasses")
_LEFT_OUT = frozenset(_USUAL_KEYS) | frozenset(REMOVED_PROPERTIES)
"""Properties not among a detection's other properties: read apart, or left out of the output."""
_DICT, _LIST, _LISTS, _STR, _NUMBERS = {dict}, {list}, {list, tuple}, {str}, {int, float}


def _add(rows: DetectionRows, feature: object) -> None:
    skeleton, xy, extras, box, classes, rest = _checked_parts(feature)
    if box is None:
        box = _bounds(xy)
    properties = _properties_json(
        {name: value for name, value in rest.items() if name not in REMOVED_PROPERTIES}
    )
    rows.add(
        skeleton,
        xy,
        None if extras is None else compact_json(extras),
        box,
        _top(classes),
        _classes_json(classes),
        properties,
    )


Parts = tuple[
    str, list[float], list[Any] | None, Sequence[float] | None, list[tuple[str, float]], dict[str, Any]
]
"""What a detection adds: its skeleton key, x and y interleaved, further coordinates (if any),
box, classes (IRI, score) and other properties."""


def _checked_parts(feature: object) -> Parts:
    """Any feature's parts, every fault named (see :func:`feature_parts`)."""
    geometry, key, box, classes, rest = feature_parts(feature)
    try:
        skeleton, xy, extras = flatten_geometry(geometry)
    except InvalidFeatureError:
        raise bad_geometry(geometry, key) from None
    return skeleton, xy, extras, box, [(item.iri, item.score) for item in classes], rest


UsualTile = tuple[
    list[str],
    list[float],
    list[int],
    dict[int, str],
    list[Sequence[float]],
    list[tuple[int, str, float] | None],
    list[str],
    list[str],
]
"""A tile's detections as :meth:`DetectionRows.add_all` takes them."""


def _usual_tile(features: list[Any]) -> UsualTile | None:
    """The detections of a tile whose features all take the usual form (no key of the older
    forms), read column-wise; None if any feature does not, or has a fault."""
    if not features or not _DICT.issuperset(map(type, features)):
        return None
    properties = _values(features, "properties")
    if not _DICT.issuperset(map(type, properties)) or not all(map(_UNUSUAL_KEYS.isdisjoint, properties)):
        return None
    geometries = _usual_geometries(_values(properties, "imageGeometry"))
    classes = _usual_classes(_values(properties, "featureClasses"))
    if geometries is None or classes is None:
        return None
    keys, xy, counts, extras = geometries
    boxes = _usual_boxes(_values(properties, "imageBBox"), xy, counts)
    if boxes is None:
        return None
    try:
        others = [
            _properties_json({name: value for name, value in item.items() if name not in _LEFT_OUT})
            for item in properties
        ]
    except ValueError:
        return None
    return keys, xy, counts, extras, boxes, classes[0], classes[1], others


def _usual_geometries(
    geometries: list[Any],
) -> tuple[list[str], list[float], list[int], dict[int, str]] | None:
    """Skeleton keys, x and y of every position, positions of each, JSON of further coordinates.
    Polygons of plain rings of x, y (the usual detection) are checked all at once."""
    if not _DICT.issuperset(map(type, geometries)):
        return None
    kinds = _values(geometries, "type")
    if kinds.count("Polygon") == len(kinds):  # compared, not hashed: a kind may be any JSON value
        coordinates = _values(geometries, "coordinates")
        rings = list(chain.from_iterable(coordinates)) if _LIST.issuperset(map(type, coordinates)) else []
        positions = list(chain.from_iterable(rings)) if _LIST.issuperset(map(type, rings)) else []
        xy = list(chain.from_iterable(positions)) if _LIST.issuperset(map(type, positions)) else []
        if (
            all(coordinates)
            and all(rings)
            and _LIST.issuperset(map(type, positions))
            and len(xy) == 2 * len(positions)
            and set(map(len, positions)) == {2}
            and _NUMBERS.issuperset(map(type, xy))
            and all(map(math.isfinite, xy))
        ):
            if len(rings) == len(coordinates):  # one ring each
                counts = list(map(len, rings))
                return list(map("Polygon:[%d]".__mod__, counts)), xy, counts, {}
            lengths = [list(map(len, polygon)) for polygon in coordinates]
            keys = ["Polygon:[" + ",".join(map(str, each)) + "]" for each in lengths]
            return keys, xy, list(map(sum, lengths)), {}
    try:
        flat = [flatten_geometry(geometry) for geometry in geometries]
        extras = {row: compact_json(rest) for row, (_, _, rest) in enumerate(flat) if rest is not None}
    except (InvalidFeatureError, ValueError):
        return None
    keys = [key for key, _, _ in flat]
    counts = [len(xy) // 2 for _, xy, _ in flat]
    return keys, list(chain.from_iterable(xy for _, xy, _ in flat)), counts, extras


def _usual_classes(listed: list[Any]) -> tuple[list[tuple[int, str, float] | None], list[str]] | None:
    """Each detection's top class and the JSON of its classes, if all are plain IRIs and scores."""
    if not _LIST.issuperset(map(type, listed)):
        return None
    items = list(chain.from_iterable(listed))
    if not _DICT.issuperset(map(type, items)):
        return None
    iris = _values(items, "iri")
    scores = _values(items, "score")
    if not (
        _STR.issuperset(map(type, iris))
        and _NUMBERS.issuperset(map(type, scores))
        and all(map(math.isfinite, scores))
    ):
        return None
    counts = list(map(len, listed))
    if set(counts) == {1}:  # one class each: written all at once
        arguments = tuple(chain(*zip(map(_string_json, iris), scores, strict=True)))
        texts = ("[" + _CLASS_JSON + "]\n") * len(iris) % arguments
        return list(zip(repeat(0), iris, scores)), texts.split("\n")[:-1]
    pairs = list(zip(iris, scores, strict=True))
    each = [pairs[end - count : end] for count, end in zip(counts, accumulate(counts), strict=True)]
    return [_top(classes) for classes in each], [_classes_json(classes) for classes in each]


def _usual_boxes(boxes: list[Any], xy: list[float], counts: list[int]) -> list[Sequence[float]] | None:
    """Each detection's box: as given (four finite numbers, min before max), or its geometry's bounds."""
    given = [box for box in boxes if box is not None]
    if given:
        if not _LISTS.issuperset(map(type, given)):
            return None
        numbers = list(chain.from_iterable(given))
        if not (
            set(map(len, given)) == {4}
            and _NUMBERS.issuperset(map(type, numbers))
            and all(map(math.isfinite, numbers))
            and all(map(operator.le, numbers[0::4], numbers[2::4]))  # min x <= max x
            and all(map(operator.le, numbers[1::4], numbers[3::4]))  # min y <= max y
        ):
            return None
    if len(given) == len(boxes):
        return boxes
    return [
        _bounds(xy[2 * (end - count) : 2 * end]) if box is None else box
        for box, count, end in zip(boxes, counts, accumulate(counts), strict=True)
    ]


def _values(items: list[Any], key: str) -> list[Any]:
    """Each dict's value at ``key`` (None where it has none)."""
    get: Any = dict.get
    return list(map(get, items, repeat(key)))


def _bounds(xy: list[float]) -> tuple[float, float, float, float]:
    """The box of positions given as x and y interleaved."""
    xs, ys = xy[0::2], xy[1::2]
    return (min(xs), min(ys), max(xs), max(ys))


def _properties_json(properties: dict[str, Any]) -> str:
    """The compact JSON of a feature's other properties, as :func:`compact_json` writes it.

    The features of an answer mostly share their properties (a model's name and version): their
    orjson text (a fraction of json's cost) finds the JSON written before. orjson writes NaN and
    infinities as null, so a text holding ``null`` is not looked up (json refuses those numbers).
    """
    try:
        key = orjson.dumps(properties)
    except TypeError:  # integers beyond 64 bits, lone surrogates: json's own way
        key = b"null"
    try:
        return compact_json(properties) if b"null" in key else _json_of(key)
    except ValueError:
        raise ValueError(".properties: holds a number JSON cannot carry (NaN or infinity)") from None


@functools.lru_cache(maxsize=256)
def _json_of(key: bytes) -> str:
    """compact_json of the properties whose orjson text is ``key`` (read back as they were)."""
    return compact_json(json.loads(key))


def _top(classes: list[tuple[str, float]]) -> tuple[int, str, float] | None:
    """Position, IRI and score of the best class (the first of equals), if any."""
    if not classes:
        return None
    position = max(range(len(classes)), key=lambda index: classes[index][1])
    iri, score = classes[position]
    return position, iri, score


def _classes_json(classes: list[tuple[str, float]]) -> str:
    return "[" + ",".join([_class_json(iri, score) for iri, score in classes]) + "]"


_CLASS_JSON = '{"iri":%s,"score":%r}'
"""One class's JSON, from its IRI's JSON and its score: written alike one at a time or a tile at once."""


def _class_json(iri: str, score: float) -> str:
    return _CLASS_JSON % (_string_json(iri), score)


@functools.lru_cache(maxsize=1024)
def _string_json(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)
