"""One answer against the model contract: refused as the worker refuses it, or accepted with
warnings for what the worker tolerates; and the job progress line of ``submit --wait``."""

from __future__ import annotations

import json
from typing import Any

from model_runner.tools.model_contract import check_answer
from model_runner.tools.progress import ProgressBar


def answer(*features: dict[str, Any]) -> bytes:
    return json.dumps({"type": "FeatureCollection", "features": list(features)}).encode()


def feature(**properties: Any) -> dict[str, Any]:
    return {"type": "Feature", "geometry": None, "properties": properties}


BOX = {"type": "Polygon", "coordinates": [[[1, 1], [9, 1], [9, 9], [1, 9], [1, 1]]]}
CLASSES = [{"iri": "car", "score": 0.9}]


def test_a_contract_answer_passes_without_warnings() -> None:
    findings = check_answer("PNG 256", 200, answer(feature(imageGeometry=BOX, featureClasses=CLASSES)), 256)

    assert [(finding.level, finding.detail) for finding in findings] == [("PASS", "1 feature(s)")]


def test_refusals_name_the_status_or_the_key() -> None:
    assert check_answer("x", 503, b"overloaded", 256)[0].detail == "HTTP 503 (expected 200): overloaded"
    (refused,) = check_answer("x", 200, answer(feature(imageGeometry=BOX, featureClasses=[{"iri": 1}])), 256)
    assert (refused.level, refused.detail) == (
        "FAIL",
        "features[0].properties.featureClasses[0]: must be {iri: string, score: number}",
    )
    (no_json,) = check_answer("x", 200, b"<html>", 256)
    assert no_json.level == "FAIL" and "not JSON" in no_json.detail


def test_deprecated_forms_outside_coordinates_and_missing_classes_are_warnings() -> None:
    old = feature(bounds_imcoords=[1, 1, 9, 9], feature_types={"car": 0.5})
    outside = {
        **feature(imageGeometry={"type": "Point", "coordinates": [300, 5]}),
        "geometry": {"type": "Point"},
    }

    findings = check_answer("GTIFF 256", 200, answer(old, outside), 256)

    assert findings[0].level == "PASS"
    assert [finding.detail for finding in findings[1:]] == [
        "features[0].properties.bounds_imcoords: deprecated, use imageBBox",
        "features[0].properties.feature_types: deprecated, use featureClasses",
        "features[1].properties.featureClasses: missing or empty; the feature has no class",
        "features[1].geometry: should be null; the runner sets it when it geolocates the feature",
        "features[1].properties.imageGeometry: reaches outside the 256 x 256 tile "
        "(bounds [300, 5, 300, 5]; tile pixels run from 0 to 256)",
    ]


class Image:
    def __init__(self, finished: bool, done: int, count: int, tiles: int, failed: int) -> None:
        self.finished, self.regions_done, self.region_count = finished, done, count
        self.tiles, self.failed_tiles = tiles, failed


def test_the_progress_line_counts_images_regions_and_tiles() -> None:
    line = ProgressBar.line([Image(True, 4, 4, 100, 2), Image(False, 1, 4, 25, 0), Image(False, 0, 0, 0, 0)])

    assert line == "[##########--------------]  42%  images 1/3  regions 5/8  tiles 125 (2 failed)"
