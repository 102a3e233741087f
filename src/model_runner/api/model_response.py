"""Read a model's answer for one tile: a GeoJSON FeatureCollection of pixel-space detections.

Current models put ``imageGeometry``, ``imageBBox`` and ``featureClasses`` in each feature's
properties; older ones use ``geom_imcoords``, ``detection.pixelCoordinates``, ``bounds_imcoords``
and ``feature_types``. Both are read into :class:`~model_runner.features.PixelFeature`, whose
construction checks the geometry (see :func:`~model_runner.features.geometry_bounds`). A tile can
hold thousands of features, so this is a plain walk over the decoded JSON rather than a pydantic
model per feature.

A reason never quotes the answer's content (values, strings): an endpoint may answer anything, and
reasons reach statuses and events. Keys, indexes and our own words say what is wrong.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import orjson

from model_runner.errors import ModelRunnerError
from model_runner.features import FeatureClass, InvalidFeatureError, PixelFeature
from model_runner.features.pixel_geometry import COORDINATE_GEOMETRY_TYPES, Box, Geometry, checked_box

_GEOMETRY_TYPES = ", ".join(COORDINATE_GEOMETRY_TYPES)
_GEOJSON_TYPES = frozenset({"Feature", "FeatureCollection", "GeometryCollection", *COORDINATE_GEOMETRY_TYPES})
_JSON_TYPES = {
    list: "array",
    str: "string",
    int: "number",
    float: "number",
    bool: "boolean",
    type(None): "null",
}
_GEOMETRY_KEYS = "imageGeometry, geom_imcoords, detection.pixelCoordinates, bounds_imcoords or imageBBox"


class ModelResponseError(ModelRunnerError):
    """A model's answer for a tile cannot be read; ``reason`` becomes the tile's failure reason.

    The tile runner records it as a failed tile; it is not meant to reach the worker loop.
    """

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


def parse_model_response(body: bytes | str | Mapping[str, Any]) -> list[PixelFeature]:
    """The features of a model's FeatureCollection answer.

    Raises:
        ModelResponseError: the answer is not a FeatureCollection, or a feature has no usable
            pixel geometry, bounding box or classes; the reason names the feature and key.
    """
    parsed = []
    for index, feature in enumerate(collection_features(body)):
        try:
            parsed.append(_feature(feature))
        except ValueError as error:
            raise ModelResponseError(f"features[{index}]{error}") from None
    return parsed


def collection_features(body: bytes | str | Mapping[str, Any]) -> list[Any]:
    """The list of features of a FeatureCollection answer (each still to be read).

    Raises:
        ModelResponseError: the answer is not a FeatureCollection with a list of features.
    """
    features = _decode(body).get("features")
    if not isinstance(features, list):
        raise ModelResponseError("the FeatureCollection has no list of features")
    return features


def _decode(body: bytes | str | Mapping[str, Any]) -> Mapping[str, Any]:
    if isinstance(body, Mapping):
        collection = body
    else:
        try:
            collection = loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise ModelResponseError("the model's answer is not JSON") from None
    if not isinstance(collection, Mapping) or collection.get("type") != "FeatureCollection":
        raise ModelResponseError(
            f"the model's answer is not a GeoJSON FeatureCollection (got {_kind(collection)})"
        )
    return collection


def loads(body: bytes | str) -> Any:
    """JSON read as :func:`json.loads` reads it, by orjson (several times faster on a dense tile's
    answer); what orjson refuses but json accepts (NaN, integers beyond 64 bits, lone surrogates)
    is read by json, so no answer reads differently."""
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        return json.loads(body)


def _kind(collection: object) -> str:
    """What the answer is, in words that carry none of its content (it may come from anywhere)."""
    if not isinstance(collection, Mapping):
        return f"a JSON {_JSON_TYPES.get(type(collection), 'value')}"
    kind = collection.get("type")
    if kind in _GEOJSON_TYPES:
        return f"a GeoJSON {kind}"
    return "an object without a GeoJSON type"


def _feature(feature: object) -> PixelFeature:
    """The feature, or ValueError with the key path (from the feature) and reason of its fault."""
    geometry, key, box, classes, rest = feature_parts(feature)
    try:
        return PixelFeature(geometry, box, classes, rest)
    except InvalidFeatureError:
        raise bad_geometry(geometry, key) from None


def feature_parts(
    feature: object,
) -> tuple[Geometry, str, Box | None, tuple[FeatureClass, ...], dict[str, Any]]:
    """A feature's pixel geometry (unchecked) and its key, box, classes and other properties,
    or ValueError with the key path (from the feature) and reason of its fault."""
    if not isinstance(feature, dict):
        raise ValueError(": must be a GeoJSON Feature object")
    properties = feature.get("properties")
    if not isinstance(properties, dict):
        raise ValueError(".properties: must be an object")
    rest = dict(properties)
    image_bbox = _box(rest, "imageBBox")
    bounds = _box(rest, "bounds_imcoords")
    geometry, key = _geometry(rest, bounds, image_bbox)
    return geometry, key, image_bbox or bounds, _classes(rest), rest


def bad_geometry(geometry: Geometry, key: str) -> ValueError:
    """The fault of a feature whose geometry (of a known type) is not valid."""
    # The boxes and classes are checked before: only the geometry can be at fault.
    return ValueError(
        f".properties.{key}: the coordinates are not those of a {geometry['type']} of finite numbers"
    )


def _box(rest: dict[str, Any], key: str) -> Box | None:
    """Pop ``key`` from ``rest`` and return the box it gives, if any."""
    value = rest.pop(key, None)
    if value is None:
        return None
    try:
        return checked_box(value)
    except InvalidFeatureError:
        raise ValueError(
            f".properties.{key}: must be four finite numbers: min x, min y, max x, max y"
        ) from None


def _geometry(rest: dict[str, Any], bounds: Box | None, image_bbox: Box | None) -> tuple[Geometry, str]:
    """Pop the pixel geometry keys from ``rest``; return the geometry they give and its key.

    The geometry is checked only when the feature is built from it.
    """
    image_geometry = rest.pop("imageGeometry", None)
    points, key = rest.pop("geom_imcoords", None), "geom_imcoords"
    detection = rest.get("detection")
    if isinstance(detection, dict) and "pixelCoordinates" in detection:
        del rest["detection"]
        if points is None:
            points, key = detection["pixelCoordinates"], "detection.pixelCoordinates"
    if image_geometry is not None:
        kind = image_geometry.get("type") if isinstance(image_geometry, dict) else None
        if kind not in COORDINATE_GEOMETRY_TYPES:
            raise ValueError(f".properties.imageGeometry: must be a GeoJSON {_GEOMETRY_TYPES}")
        return {"type": kind, "coordinates": image_geometry.get("coordinates")}, "imageGeometry"
    if points is not None:
        return _from_points(points, key), key
    for box, box_key in ((bounds, "bounds_imcoords"), (image_bbox, "imageBBox")):
        if box is not None:
            min_x, min_y, max_x, max_y = box
            ring = [[min_x, min_y], [max_x, min_y], [max_x, max_y], [min_x, max_y], [min_x, min_y]]
            return {"type": "Polygon", "coordinates": [ring]}, box_key
    raise ValueError(f": no pixel geometry (expected {_GEOMETRY_KEYS} in its properties)")


def _from_points(points: object, key: str) -> Geometry:
    """A point list of the deprecated forms: one point, a line of two, or a polygon's ring."""
    if not isinstance(points, list) or not points:
        raise ValueError(f".properties.{key}: must be a non-empty list of [x, y]")
    if not isinstance(points[0], list):
        return {"type": "Point", "coordinates": points}
    if len(points) == 1:
        return {"type": "Point", "coordinates": points[0]}
    if len(points) == 2:
        return {"type": "LineString", "coordinates": points}
    ring = points if points[0] == points[-1] else [*points, points[0]]
    return {"type": "Polygon", "coordinates": [ring]}


def _classes(rest: dict[str, Any]) -> tuple[FeatureClass, ...]:
    """Pop the class keys from ``rest`` and return the classes they give."""
    feature_classes = rest.pop("featureClasses", None)
    feature_types = rest.pop("feature_types", None)
    if feature_classes is not None:
        if not isinstance(feature_classes, list):
            raise ValueError(".properties.featureClasses: must be a list of {iri, score}")
        return tuple([_class(index, item) for index, item in enumerate(feature_classes)])
    if feature_types is not None:
        message = ".properties.feature_types: must map each class IRI to a score"
        if not isinstance(feature_types, dict):
            raise ValueError(message)
        try:
            return tuple([FeatureClass(str(iri), score) for iri, score in feature_types.items()])
        except InvalidFeatureError:
            raise ValueError(message) from None
    return ()


def _class(index: int, item: object) -> FeatureClass:
    """The class ``item`` of featureClasses."""
    message = f".properties.featureClasses[{index}]: must be {{iri: string, score: number}}"
    if not isinstance(item, dict) or not isinstance(item.get("iri"), str):
        raise ValueError(message)
    score: Any = item.get("score")  # FeatureClass checks it
    try:
        return FeatureClass(item["iri"], score)
    except InvalidFeatureError:
        raise ValueError(message) from None
