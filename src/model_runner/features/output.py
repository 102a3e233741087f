"""The GeoJSON features the worker writes: the model's detections, geolocated and annotated.

Each output feature keeps the model's own properties and adds, per the model contract: its WGS84
``geometry`` and ``bbox``, ``center_longitude``/``center_latitude``, ``imageGeometry`` and
``imageBBox`` in full-image pixels, ``featureClasses`` (decayed scores after Soft-NMS),
``inferenceMetadata`` and, for NITF sources, ``sourceMetadata``; then the request's
featureProperties are merged in. Its ``id`` is derived from the image and the detection, so a
redelivered region produces the same ids.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from model_runner.features.detection_batch import DetectedFeature


class Located(Protocol):
    """A geolocated shape: WGS84 GeoJSON geometry, its bbox and its centre."""

    @property
    def geometry(self) -> dict[str, Any]: ...
    @property
    def bbox(self) -> tuple[float, float, float, float]: ...
    @property
    def center(self) -> tuple[float, float]: ...


@dataclass(frozen=True)
class OutputContext:
    """What every feature of one image is annotated with."""

    job_id: str
    image_id: str
    inference_time: str
    """ISO-8601 UTC time the image's processing started."""
    feature_properties: Sequence[Mapping[str, Any]] = ()
    source_metadata: Sequence[Mapping[str, Any]] | None = None
    """For NITF sources, the ``sourceMetadata`` list (one entry per source image)."""


def feature_id(image_id: str, detection: DetectedFeature) -> str:
    """A deterministic id of one detection of one image."""
    top = max(detection.classes, key=lambda item: item.score).iri if detection.classes else ""
    digest = hashlib.sha256(
        json.dumps([image_id, top, [round(value, 3) for value in detection.bbox]]).encode()
    ).hexdigest()
    return digest[:32]


def output_features(
    detections: Sequence[DetectedFeature], shapes: Sequence[Located | None], context: OutputContext
) -> list[dict[str, Any]]:
    """One GeoJSON feature per detection; a detection its sensor model cannot locate is left out."""
    extra: dict[str, Any] = {}
    for extension in context.feature_properties:
        extra.update(extension)
    metadata = {"jobId": context.job_id, "inferenceDT": context.inference_time}
    features = []
    seen: dict[str, int] = {}
    for detection, shape in zip(detections, shapes, strict=True):
        if shape is None:
            continue
        identity = feature_id(context.image_id, detection)
        seen[identity] = seen.get(identity, 0) + 1
        if seen[identity] > 1:
            identity = f"{identity}-{seen[identity]}"
        properties: dict[str, Any] = {
            **detection.properties,
            "imageGeometry": detection.geometry,
            "imageBBox": list(detection.bbox),
            "featureClasses": [item.to_json() for item in detection.classes],
            "center_longitude": shape.center[0],
            "center_latitude": shape.center[1],
            "inferenceMetadata": metadata,
        }
        if context.source_metadata is not None:
            properties["sourceMetadata"] = context.source_metadata
        properties.update(extra)
        features.append(
            {
                "type": "Feature",
                "id": identity,
                "geometry": shape.geometry,
                "bbox": list(shape.bbox),
                "properties": properties,
            }
        )
    return features
