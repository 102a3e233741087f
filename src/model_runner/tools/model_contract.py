"""The model contract, checked on one answer: what the worker would refuse (a failed tile) and
what it accepts but should not have to (deprecated keys, coordinates outside the tile, no class).

What is refused is exactly what the worker refuses: the answer goes through the worker's own
parser (:func:`~model_runner.api.parse_model_response`), so its reasons name the same keys.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from model_runner.api import ModelResponseError, parse_model_response
from model_runner.features import PixelFeature

Level = Literal["PASS", "WARN", "FAIL"]

DEPRECATED_KEYS = {
    "bounds_imcoords": "imageBBox",
    "geom_imcoords": "imageGeometry",
    "feature_types": "featureClasses",
}
"""Deprecated property -> the property that replaces it (detection.pixelCoordinates is checked apart)."""
WARNINGS_PER_ANSWER = 5


@dataclass(frozen=True)
class Finding:
    """One check's outcome: its level, what was checked, and the detail (key names included)."""

    level: Level
    check: str
    detail: str


def check_answer(check: str, status: int, body: bytes, tile_size: int) -> list[Finding]:
    """Findings for one answer to a ``tile_size`` square tile: one FAIL, or a PASS and warnings."""
    if status != 200:
        return [Finding("FAIL", check, f"HTTP {status} (expected 200): {_excerpt(body)}")]
    try:
        features = parse_model_response(body)
    except ModelResponseError as error:
        return [Finding("FAIL", check, error.reason)]
    document = json.loads(body)
    warnings = list(_warnings(document.get("features", []), features, tile_size))
    shown = [Finding("WARN", check, text) for text in warnings[:WARNINGS_PER_ANSWER]]
    if len(warnings) > WARNINGS_PER_ANSWER:
        shown.append(Finding("WARN", check, f"... and {len(warnings) - WARNINGS_PER_ANSWER} more warnings"))
    return [Finding("PASS", check, f"{len(features)} feature(s)"), *shown]


def _warnings(raw: list[Any], parsed: list[PixelFeature], tile_size: int) -> Iterator[str]:
    for index, (feature, detection) in enumerate(zip(raw, parsed, strict=True)):
        properties: Mapping[str, Any] = feature.get("properties") or {}
        where = f"features[{index}]"
        for key, replacement in DEPRECATED_KEYS.items():
            if key in properties:
                yield f"{where}.properties.{key}: deprecated, use {replacement}"
        if isinstance(properties.get("detection"), dict) and "pixelCoordinates" in properties["detection"]:
            yield f"{where}.properties.detection.pixelCoordinates: deprecated, use imageGeometry"
        if not detection.classes:
            yield f"{where}.properties.featureClasses: missing or empty; the feature has no class"
        if feature.get("geometry") is not None:
            yield f"{where}.geometry: should be null; the runner sets it when it geolocates the feature"
        min_x, min_y, max_x, max_y = detection.bbox
        if min_x < 0 or min_y < 0 or max_x > tile_size or max_y > tile_size:
            yield (
                f"{where}.properties.imageGeometry: reaches outside the {tile_size} x {tile_size} tile "
                f"(bounds {[min_x, min_y, max_x, max_y]}; tile pixels run from 0 to {tile_size})"
            )


def _excerpt(body: bytes, limit: int = 160) -> str:
    text = body.decode("utf-8", "replace").strip().replace("\n", " ")
    return (text[:limit] + "...") if len(text) > limit else text or "(empty body)"
