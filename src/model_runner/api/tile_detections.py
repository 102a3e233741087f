"""A model's answer for one tile read straight into columns (no object per detection).

Each feature is checked as :func:`~model_runner.api.parse_model_response` checks it (the same
reasons name the same keys); what the output needs of it is kept as text and numbers in a
:class:`~model_runner.features.DetectionColumns`. Its properties must be JSON the output can
carry: a NaN or an infinity among them fails the tile, naming the feature.

A dense tile holds thousands of features, most of one usual form (an ``imageGeometry``,
``featureClasses`` of plain IRIs and scores): those are read without the copies and objects of the
checked way; any other feature, or one with a fault, takes the checked way, which names it.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Mapping, Sequence
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
from model_runner.features.pixel_geometry import checked_box


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
    for index, feature in enumerate(collection_features(body)):
        try:
            _add(rows, feature)
        except ValueError as error:
            raise ModelResponseError(f"features[{index}]{error}") from None
    return rows


Parts = tuple[
    str, list[float], list[Any] | None, Sequence[float] | None, list[tuple[str, float]], dict[str, Any]
]
"""What a detection adds: its skeleton key, x and y interleaved, further coordinates (if any),
box, classes (IRI, score) and other properties."""

_UNUSUAL_KEYS = frozenset({"bounds_imcoords", "geom_imcoords", "detection", "feature_types"})
"""Properties that change how a feature is read: their features take the checked way."""
_USUAL_KEYS = ("imageGeometry", "imageBBox", "featureClasses")
_NUMBERS = {int, float}


def _add(rows: DetectionRows, feature: object) -> None:
    skeleton, xy, extras, box, classes, rest = _usual_parts(feature) or _checked_parts(feature)
    if box is None:
        xs, ys = xy[0::2], xy[1::2]
        box = (min(xs), min(ys), max(xs), max(ys))
    properties = _properties_json(
        {name: value for name, value in rest.items() if name not in REMOVED_PROPERTIES}
    )
    rows.add(
        skeleton,
        xy,
        None if extras is None else compact_json(extras),
        box,
        _top(classes),
        "[" + ",".join([_class_json(iri, score) for iri, score in classes]) + "]",
        properties,
    )


def _checked_parts(feature: object) -> Parts:
    """Any feature's parts, every fault named (see :func:`feature_parts`)."""
    geometry, key, box, classes, rest = feature_parts(feature)
    try:
        skeleton, xy, extras = flatten_geometry(geometry)
    except InvalidFeatureError:
        raise bad_geometry(geometry, key) from None
    return skeleton, xy, extras, box, [(item.iri, item.score) for item in classes], rest


def _usual_parts(feature: object) -> Parts | None:
    """The parts of the usual detection (an imageGeometry, an optional imageBBox, featureClasses
    of plain IRIs and scores, no key of the older forms), read without the checked way's copies
    and objects; None for any other feature, or one with a fault: the checked way names it."""
    properties = feature.get("properties") if type(feature) is dict else None
    if type(properties) is not dict or not _UNUSUAL_KEYS.isdisjoint(properties):
        return None
    geometry, box, listed = (properties.get(key) for key in _USUAL_KEYS)
    if type(geometry) is not dict or type(listed) is not list:
        return None
    classes: list[Any] = [(item.get("iri"), item.get("score")) for item in listed if type(item) is dict]
    if len(classes) != len(listed) or not all(
        type(iri) is str and type(score) in _NUMBERS and math.isfinite(score) for iri, score in classes
    ):
        return None
    try:
        skeleton, xy, extras = flatten_geometry(geometry)
        checked = None if box is None else checked_box(box)
    except InvalidFeatureError:
        return None
    rest = {name: value for name, value in properties.items() if name not in _USUAL_KEYS}
    return skeleton, xy, extras, checked, classes, rest


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


def _class_json(iri: str, score: float) -> str:
    return '{"iri":%s,"score":%r}' % (_string_json(iri), score)  # noqa: UP031


@functools.lru_cache(maxsize=1024)
def _string_json(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)
