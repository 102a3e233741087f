"""Read a model's answer for one tile: a GeoJSON FeatureCollection of pixel-space detections.

Current models put ``imageGeometry``, ``imageBBox`` and ``featureClasses`` in each feature's
properties; older ones use ``geom_imcoords``, ``detection.pixelCoordinates``, ``bounds_imcoords``
and ``feature_types``. Both are read into :class:`DetectedFeature`. A tile can hold thousands of
features, so this is a plain walk over the decoded JSON rather than a pydantic model per feature.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from model_runner.errors import ModelRunnerError

Bbox = tuple[float, float, float, float]

_NESTING = {
    "Point": 0,
    "MultiPoint": 1,
    "LineString": 1,
    "MultiLineString": 2,
    "Polygon": 2,
    "MultiPolygon": 3,
}
_GEOMETRY_KEYS = "imageGeometry, geom_imcoords, detection.pixelCoordinates, bounds_imcoords or imageBBox"


class ModelResponseError(ModelRunnerError):
    """A model's answer for a tile cannot be read; ``reason`` becomes the tile's failure reason.

    The tile runner records it as a failed tile; it is not meant to reach the worker loop.
    """

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


class FeatureClass(NamedTuple):
    """A class the model assigns to a feature, with its score."""

    iri: str
    score: float


@dataclass(frozen=True, slots=True)
class PixelGeometry:
    """A GeoJSON geometry in tile pixel coordinates (x = column, y = row)."""

    type: str
    coordinates: Any


@dataclass(frozen=True, slots=True)
class DetectedFeature:
    """One detection of a tile, in its normalised form."""

    geometry: PixelGeometry
    bbox: Bbox
    classes: tuple[FeatureClass, ...]
    properties: dict[str, Any]
    """The feature's other properties, as the model gave them."""


def parse_model_response(body: bytes | str | Mapping[str, Any]) -> list[DetectedFeature]:
    """The features of a model's FeatureCollection answer.

    Raises:
        ModelResponseError: the answer is not a FeatureCollection, or a feature has no usable
            pixel geometry, bounding box or classes; the reason names the feature and key.
    """
    collection = _decode(body)
    features = collection.get("features")
    if not isinstance(features, list):
        raise ModelResponseError("the FeatureCollection has no list of features")
    parsed = []
    for index, feature in enumerate(features):
        try:
            parsed.append(_feature(feature))
        except ValueError as error:
            raise ModelResponseError(f"features[{index}]{error}") from None
    return parsed


def _decode(body: bytes | str | Mapping[str, Any]) -> Mapping[str, Any]:
    if isinstance(body, Mapping):
        collection = body
    else:
        try:
            collection = json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise ModelResponseError(f"the model's answer is not JSON: {error}") from None
    if not isinstance(collection, Mapping) or collection.get("type") != "FeatureCollection":
        got = collection.get("type") if isinstance(collection, Mapping) else type(collection).__name__
        raise ModelResponseError(f"the model's answer is not a GeoJSON FeatureCollection (got {got!r})")
    return collection


def _feature(feature: object) -> DetectedFeature:
    if not isinstance(feature, dict):
        raise ValueError(": must be a GeoJSON Feature object")
    properties = feature.get("properties")
    if not isinstance(properties, dict):
        raise ValueError(".properties: must be an object")
    rest = dict(properties)
    image_bbox = _box(rest.pop("imageBBox", None), "imageBBox")
    bounds = _box(rest.pop("bounds_imcoords", None), "bounds_imcoords")
    geometry = _geometry(rest, bounds or image_bbox)
    extent = _bounds(geometry)
    return DetectedFeature(geometry, image_bbox or bounds or extent, _classes(rest), rest)


def _geometry(rest: dict[str, Any], box: Bbox | None) -> PixelGeometry:
    """Pop the pixel geometry keys from ``rest`` and return the geometry they give."""
    image_geometry = rest.pop("imageGeometry", None)
    points = rest.pop("geom_imcoords", None)
    detection = rest.get("detection")
    if isinstance(detection, dict) and "pixelCoordinates" in detection:
        del rest["detection"]
        points = points if points is not None else detection["pixelCoordinates"]
    if image_geometry is not None:
        if not isinstance(image_geometry, dict) or image_geometry.get("type") not in _NESTING:
            raise ValueError(f".properties.imageGeometry: must be a GeoJSON {', '.join(_NESTING)}")
        geometry = PixelGeometry(image_geometry["type"], image_geometry.get("coordinates"))
    elif points is not None:
        geometry = _from_points(points)
    elif box is not None:
        min_x, min_y, max_x, max_y = box
        ring = [[min_x, min_y], [max_x, min_y], [max_x, max_y], [min_x, max_y], [min_x, min_y]]
        geometry = PixelGeometry("Polygon", [ring])
    else:
        raise ValueError(f": no pixel geometry (expected {_GEOMETRY_KEYS} in its properties)")
    return geometry


def _from_points(points: object) -> PixelGeometry:
    """A point list of the deprecated forms: one point, a line of two, or a polygon's ring."""
    if not isinstance(points, list) or not points:
        raise ValueError(".properties: the pixel coordinates must be a non-empty list of [x, y]")
    if not isinstance(points[0], list):
        return PixelGeometry("Point", points)
    if len(points) == 1:
        return PixelGeometry("Point", points[0])
    if len(points) == 2:
        return PixelGeometry("LineString", points)
    ring = points if points[0] == points[-1] else [*points, points[0]]
    return PixelGeometry("Polygon", [ring])


def _box(value: object, key: str) -> Bbox | None:
    if value is None:
        return None
    if not isinstance(value, list) or len(value) != 4 or not all(map(_is_number, value)):
        raise ValueError(f".properties.{key}: must be [minx, miny, maxx, maxy] (got {value!r})")
    min_x, min_y, max_x, max_y = value
    if min_x > max_x or min_y > max_y:
        raise ValueError(f".properties.{key}: minimums exceed maximums (got {value!r})")
    return (min_x, min_y, max_x, max_y)


def _bounds(geometry: PixelGeometry) -> Bbox:
    """The bounding box of ``geometry``, checking that its coordinates are nested as its type says."""
    positions = [geometry.coordinates]
    try:
        for _ in range(_NESTING[geometry.type]):
            if not all(positions):
                raise TypeError
            positions = [child for part in positions for child in part]
        xs = [position[0] for position in positions]
        ys = [position[1] for position in positions]
        finite = math.isfinite(sum(xs) + sum(ys))
    except (TypeError, IndexError, KeyError):
        finite = False
    if not finite:
        raise ValueError(f": the coordinates are not those of a {geometry.type} of finite numbers")
    return (min(xs), min(ys), max(xs), max(ys))


def _classes(rest: dict[str, Any]) -> tuple[FeatureClass, ...]:
    """Pop the class keys from ``rest`` and return the classes they give."""
    feature_classes = rest.pop("featureClasses", None)
    feature_types = rest.pop("feature_types", None)
    if feature_classes is not None:
        if not isinstance(feature_classes, list):
            raise ValueError(".properties.featureClasses: must be a list of {iri, score}")
        return tuple([_class(index, item) for index, item in enumerate(feature_classes)])
    if feature_types is not None:
        if not isinstance(feature_types, dict) or not all(map(_is_number, feature_types.values())):
            raise ValueError(".properties.feature_types: must map each class IRI to a score")
        return tuple(FeatureClass(str(iri), score) for iri, score in feature_types.items())
    return ()


def _class(index: int, item: object) -> FeatureClass:
    if (
        not isinstance(item, dict)
        or not isinstance(item.get("iri"), str)
        or not _is_number(item.get("score"))
    ):
        raise ValueError(f".properties.featureClasses[{index}]: must be {{iri: string, score: number}}")
    return FeatureClass(item["iri"], item["score"])


def _is_number(value: object) -> bool:
    return type(value) in (int, float) and math.isfinite(value)  # type: ignore[arg-type]
