"""The GeoJSON features the worker writes: the model's detections, geolocated and annotated.

Each output feature keeps the model's own properties, less those the reference removes
(:data:`REMOVED_PROPERTIES`), and adds, per the model contract: its WGS84 ``geometry`` and
``bbox``, ``center_longitude``/``center_latitude``, ``imageGeometry`` and ``imageBBox`` in
full-image pixels, ``featureClasses`` (decayed scores after Soft-NMS) and ``inferenceMetadata``;
then the request's featureProperties are merged in, and, for NITF sources, ``sourceMetadata``.
An image without georeferencing gives features in pixels only: ``geometry`` null (an unlocated
feature, RFC 7946 section 3.2), no ``bbox`` and no centre. Its ``id`` is derived from the image
and the detection, so a redelivered region produces the same ids.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from model_runner.features.detected_feature import DetectedFeature


@dataclass(frozen=True)
class Located:
    """A geometry in WGS84: GeoJSON [lon, lat, height] positions, its bounding box and its centre."""

    geometry: dict[str, Any]
    bbox: tuple[float, float, float, float]
    """West, south, east, north per RFC 7946: west > east across the antimeridian."""
    center: tuple[float, float]
    """(longitude, latitude) of the pixel geometry's centroid (as the reference computes it)."""


REMOVED_PROPERTIES = (
    "image_id",
    "inferenceTime",
    "detection_score",
    "feature_types",
    "adjusted_feature_types",
    "bounds_imcoords",
    "geom_imcoords",
)
"""Model properties the reference leaves out of its output (its own bookkeeping and the
deprecated keys it converted)."""


@dataclass(frozen=True)
class OutputContext:
    """What every feature of one image is annotated with."""

    job_id: str
    image_id: str
    inference_time: str
    """ISO-8601 UTC time, to the second (``2025-10-22T17:16:41Z``, the reference's form)."""
    feature_properties: Sequence[Mapping[str, Any]] = ()
    source_metadata: Sequence[Mapping[str, Any]] | None = None
    """For NITF sources, the ``sourceMetadata`` list (one entry per source image)."""


def feature_id(image_id: str, detection: DetectedFeature) -> str:
    """A deterministic id of one detection of one image."""
    top = max(detection.classes, key=lambda item: item.score).iri if detection.classes else ""
    return identity_of(image_id, top, detection.bbox)


def identity_of(image_id: str, top_class: str, bbox: Sequence[float]) -> str:
    """The id of a detection of ``image_id`` whose best class is ``top_class`` ('' for none) and
    whose full-image pixel box is ``bbox``: its position to a thousandth of a pixel."""
    digest = hashlib.sha256(json.dumps([image_id, top_class, [round(value, 3) for value in bbox]]).encode())
    return digest.hexdigest()[:32]


def output_feature(
    detection: DetectedFeature, shape: Located | None, context: OutputContext, identity: str
) -> dict[str, Any]:
    """The GeoJSON feature of one detection whose id is ``identity``; ``shape`` its geolocated form,
    None when the image has no georeferencing (the feature stays in pixels)."""
    extra: dict[str, Any] = {}
    for extension in context.feature_properties:
        extra.update(extension)
    if context.source_metadata is not None:
        extra["sourceMetadata"] = context.source_metadata
    properties: dict[str, Any] = {
        key: value for key, value in detection.properties.items() if key not in REMOVED_PROPERTIES
    }
    properties["imageGeometry"] = detection.geometry
    properties["imageBBox"] = list(detection.bbox)
    properties["featureClasses"] = [item.to_json() for item in detection.classes]
    if shape is not None:
        properties["center_longitude"], properties["center_latitude"] = shape.center
    properties["inferenceMetadata"] = {"jobId": context.job_id, "inferenceDT": context.inference_time}
    properties.update(extra)
    feature: dict[str, Any] = {"type": "Feature", "id": identity}
    if shape is None:
        feature["geometry"] = None
    else:
        feature["geometry"], feature["bbox"] = shape.geometry, list(shape.bbox)
    feature["properties"] = properties
    return feature
