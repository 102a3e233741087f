"""What a built-in model answers for one tile: pure functions of the spec and the tile bytes."""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass
from typing import Any

import numpy as np
import orjson

from model_runner.local.models.spec import ModelSpec
from model_runner.local.models.tiles import TileDecodeError, tile_pixel_digest, tile_size

CENTER_BOX_HALF_SIZE = 5.0
FLOOD_MAX_BOX_SIZE = 64.0
FLOOD_CLASSES = ("vehicle", "building", "vessel", "aircraft")
MALFORMED_JSON = b'{"type": "FeatureCollection", "features": [{"type": "Feature", '

Feature = dict[str, Any]
Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class Answer:
    """An HTTP answer to send after ``delay_s`` seconds."""

    status: int
    body: bytes
    delay_s: float = 0.0


def answer(spec: ModelSpec, body: bytes) -> Answer:
    """The answer of the model ``spec`` to a POST /invocations carrying ``body``."""
    latency_s = spec.latency_ms / 1000
    try:
        if spec.kind == "replay":
            return _replay(spec, tile_pixel_digest(body), latency_s)
        width, height = tile_size(body)
    except TileDecodeError as error:
        return Answer(400, _json({"error": str(error)}), latency_s)
    digest = hashlib.sha256(body).hexdigest()
    if spec.kind == "flood":
        return Answer(200, _collection(_flood(spec, digest, width, height)), latency_s)
    if spec.kind == "failure":
        return _failure(spec, digest, width, height, latency_s)
    return Answer(200, _collection([_centerpoint(spec, digest, width, height)]), latency_s)


def fails_in_mixed_mode(digest: str, fraction: float) -> bool:
    """Whether the tile with this SHA-256 hex digest is one of the ``fraction`` that fail."""
    return int(digest[:16], 16) / 16**16 < fraction


def _failure(spec: ModelSpec, digest: str, width: int, height: int, latency_s: float) -> Answer:
    if spec.failure_mode == "malformed_json":
        return Answer(200, MALFORMED_JSON, latency_s)
    if spec.failure_mode in ("invalid_features", "deprecated_keys"):
        feature = _centerpoint(spec, digest, width, height)
        properties = feature["properties"]
        if spec.failure_mode == "invalid_features":
            properties["featureClasses"] = [{"iri": "centerpoint", "score": "high"}]
            no_geometry = {
                **feature,
                "properties": {"featureClasses": [{"iri": "centerpoint", "score": 1.0}]},
            }
            return Answer(200, _collection([feature, no_geometry]), latency_s)
        ring = properties.pop("imageGeometry")["coordinates"][0]
        properties["bounds_imcoords"] = properties.pop("imageBBox")
        properties["geom_imcoords"] = ring
        properties["feature_types"] = {
            item["iri"]: item["score"] for item in properties.pop("featureClasses")
        }
        return Answer(200, _collection([feature]), latency_s)
    if spec.failure_mode == "http_500" or (
        spec.failure_mode == "mixed" and fails_in_mixed_mode(digest, spec.failure_fraction)
    ):
        return Answer(500, _json({"error": f"failure model ({spec.failure_mode})"}), latency_s)
    delay_s = latency_s + (spec.slow_s if spec.failure_mode == "slow" else 0.0)
    return Answer(200, _collection([_centerpoint(spec, digest, width, height)]), delay_s)


def _replay(spec: ModelSpec, digest: str, latency_s: float) -> Answer:
    recorded = _recorded_answers(spec.answers).get(digest)
    if recorded is None:
        return Answer(
            404, _json({"error": f"no recorded answer for the tile with pixels {digest}"}), latency_s
        )
    return Answer(200, _collection(recorded), latency_s)


@functools.cache
def _recorded_answers(path: str) -> dict[str, list[Feature]]:
    with open(path, encoding="utf-8") as answers:
        recorded: dict[str, list[Feature]] = json.load(answers)
    return recorded


def _centerpoint(spec: ModelSpec, digest: str, width: int, height: int) -> Feature:
    half = min(CENTER_BOX_HALF_SIZE, width / 2, height / 2)
    box = (width / 2 - half, height / 2 - half, width / 2 + half, height / 2 + half)
    return _feature(spec, f"{digest[:16]}-0", box, "centerpoint", 1.0)


def _flood(spec: ModelSpec, digest: str, width: int, height: int) -> list[Feature]:
    """``spec.count`` boxes of random sizes, places, classes and scores, the same for the same tile
    and seed; drawn as arrays, so that a dense answer costs the emulator little of the CPU it
    shares with the worker under test."""
    seed = hashlib.sha256(f"{spec.seed}:{digest}".encode()).digest()
    rng = np.random.default_rng(int.from_bytes(seed[:8], "big"))
    count = spec.count
    box_width = rng.uniform(1.0, max(1.0, min(FLOOD_MAX_BOX_SIZE, width / 4)), count)
    box_height = rng.uniform(1.0, max(1.0, min(FLOOD_MAX_BOX_SIZE, height / 4)), count)
    x = rng.uniform(0.0, 1.0, count) * np.maximum(0.0, width - box_width)
    y = rng.uniform(0.0, 1.0, count) * np.maximum(0.0, height - box_height)
    right, bottom = np.minimum(float(width), x + box_width), np.minimum(float(height), y + box_height)
    boxes = np.stack([x, y, right, bottom], axis=1).tolist()
    classes = rng.integers(0, len(FLOOD_CLASSES), count).tolist()
    scores = rng.uniform(0.05, 1.0, count).tolist()
    return [
        _feature(spec, f"{digest[:16]}-{index}", tuple(box), FLOOD_CLASSES[kind], score)
        for index, (box, kind, score) in enumerate(zip(boxes, classes, scores, strict=True))
    ]


def _feature(spec: ModelSpec, feature_id: str, box: Box, iri: str, score: float) -> Feature:
    min_x, min_y, max_x, max_y = (round(value, 2) for value in box)
    ring = [[min_x, min_y], [max_x, min_y], [max_x, max_y], [min_x, max_y], [min_x, min_y]]
    return {
        "type": "Feature",
        "id": f"{spec.kind}-{feature_id}",
        "geometry": None,
        "properties": {
            "imageGeometry": {"type": "Polygon", "coordinates": [ring]},
            "imageBBox": [min_x, min_y, max_x, max_y],
            "featureClasses": [{"iri": iri, "score": round(score, 4)}],
            "modelMetadata": {"modelName": spec.kind, "modelVersion": "local"},
        },
    }


def _collection(features: list[Feature]) -> bytes:
    return _json({"type": "FeatureCollection", "features": features})


def _json(document: dict[str, Any]) -> bytes:
    return orjson.dumps(document)
