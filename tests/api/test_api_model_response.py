"""Model responses: current and deprecated feature forms, normalised; unreadable answers rejected."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from model_runner.api import ModelResponseError, parse_model_response
from model_runner.features import FeatureClass, PixelFeature

SQUARE = [[[1, 2], [5, 2], [5, 6], [1, 6], [1, 2]]]


def geometry(kind: str, coordinates: Any) -> dict[str, Any]:
    return {"type": kind, "coordinates": coordinates}


def collection(*properties: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "FeatureCollection",
        "features": [{"type": "Feature", "geometry": None, "properties": p} for p in properties],
    }


def test_current_form_is_read_and_other_properties_kept() -> None:
    body = collection(
        {
            "imageGeometry": {"type": "Polygon", "coordinates": SQUARE},
            "imageBBox": [0, 0, 10, 10],
            "featureClasses": [{"iri": "ship", "score": 0.9}, {"iri": "boat", "score": 0.4}],
            "modelMetadata": {"version": "2"},
        }
    )

    [feature] = parse_model_response(json.dumps(body))

    assert isinstance(feature, PixelFeature)
    assert feature.geometry == geometry("Polygon", SQUARE)
    assert feature.bbox == (0, 0, 10, 10)
    assert feature.classes == (FeatureClass("ship", 0.9), FeatureClass("boat", 0.4))
    assert feature.properties == {"modelMetadata": {"version": "2"}}


def test_bbox_is_derived_from_the_geometry_when_missing() -> None:
    body = collection(
        {"imageGeometry": {"type": "Polygon", "coordinates": SQUARE}},
        {"imageGeometry": {"type": "Point", "coordinates": [3.5, 4]}},
        {
            "imageGeometry": {
                "type": "MultiPolygon",
                "coordinates": [SQUARE, [[[7, 8], [9, 8], [9, 9], [7, 8]]]],
            }
        },
    )

    assert [f.bbox for f in parse_model_response(body)] == [(1, 2, 5, 6), (3.5, 4, 3.5, 4), (1, 2, 9, 9)]


def test_deprecated_bounds_become_a_box_polygon() -> None:
    [feature] = parse_model_response(collection({"bounds_imcoords": [1, 2, 5, 6], "score": 0.5}))

    assert feature.geometry == geometry("Polygon", SQUARE)
    assert feature.bbox == (1, 2, 5, 6)
    assert feature.properties == {"score": 0.5}


def test_deprecated_geom_imcoords_ring_is_closed_and_bounds_kept_as_bbox() -> None:
    [feature] = parse_model_response(
        collection({"geom_imcoords": [[1, 2], [5, 2], [5, 6], [1, 6]], "bounds_imcoords": [0, 0, 9, 9]})
    )

    assert feature.geometry == geometry("Polygon", SQUARE)
    assert feature.bbox == (0, 0, 9, 9)


@pytest.mark.parametrize("points", [[7, 8], [[7, 8]]], ids=["flat", "nested"])
def test_deprecated_geom_imcoords_single_point(points: list[Any]) -> None:
    [feature] = parse_model_response(collection({"geom_imcoords": points}))
    assert (feature.geometry, feature.bbox) == (geometry("Point", [7, 8]), (7, 8, 7, 8))


def test_deprecated_detection_pixel_coordinates() -> None:
    ring = [[1, 2], [5, 2], [5, 6], [1, 6], [1, 2]]
    [feature] = parse_model_response(collection({"detection": {"pixelCoordinates": ring}, "id": "d1"}))

    assert feature.geometry == geometry("Polygon", [ring])
    assert feature.properties == {"id": "d1"}


def test_deprecated_feature_types_become_classes() -> None:
    [feature] = parse_model_response(
        collection({"bounds_imcoords": [1, 2, 5, 6], "feature_types": {"ship": 0.8, "buoy": 0.1}})
    )
    assert feature.classes == (FeatureClass("ship", 0.8), FeatureClass("buoy", 0.1))


def test_feature_without_classes_has_none() -> None:
    [feature] = parse_model_response(collection({"imageBBox": [1, 2, 5, 6]}))
    assert (feature.classes, feature.geometry) == ((), geometry("Polygon", SQUARE))


def test_empty_collection_has_no_features() -> None:
    assert parse_model_response(b'{"type": "FeatureCollection", "features": []}') == []


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"<html>502</html>", "not JSON"),
        ('{"type": "Feature", "properties": {}}', "not a GeoJSON FeatureCollection (got a GeoJSON Feature)"),
        ("[1]", "not a GeoJSON FeatureCollection (got a JSON array)"),
        ('{"type": "secret-from-the-answer"}', "(got an object without a GeoJSON type)"),
        ('{"type": "FeatureCollection"}', "no list of features"),
        (collection({"score": 1}), "features[0]: no pixel geometry"),
        ({"type": "FeatureCollection", "features": [7]}, "features[0]: must be a GeoJSON Feature"),
        (collection({"imageGeometry": {"type": "Circle"}}), "features[0].properties.imageGeometry: must be"),
        (
            collection({"imageGeometry": {"type": "GeometryCollection", "geometries": []}}),
            "features[0].properties.imageGeometry: must be a GeoJSON Point",
        ),
        (
            collection({"imageGeometry": {"type": "Polygon", "coordinates": [[1, 2]]}}),
            "features[0].properties.imageGeometry: the coordinates are not those of a Polygon",
        ),
        (
            collection({"imageGeometry": {"type": "MultiPolygon", "coordinates": [SQUARE, []]}}),
            "features[0].properties.imageGeometry: the coordinates are not those of a MultiPolygon",
        ),
        (collection({"imageGeometry": {"type": "Point", "coordinates": ["a", 1]}}), "not those of a Point"),
        (collection({"imageBBox": [1, 2, 3]}), "features[0].properties.imageBBox: must be four finite"),
        (
            collection({"bounds_imcoords": [5, 5, 1, 1]}),
            "features[0].properties.bounds_imcoords: must be four finite numbers: min x, min y, max x, max y",
        ),
        (collection({"imageBBox": [0, 0, 1, 1], "featureClasses": [{"iri": "x"}]}), "featureClasses[0]"),
        (collection({"imageBBox": [0, 0, 1, 1], "feature_types": {"x": "high"}}), "feature_types"),
        (
            collection({"imageBBox": [0, 0, 1, 1]}, {"geom_imcoords": []}),
            "features[1].properties.geom_imcoords: must be a non-empty list",
        ),
        (
            collection({"geom_imcoords": [[1, 2], [3]], "bounds_imcoords": [0, 0, 4, 4]}),
            "features[0].properties.geom_imcoords: the coordinates are not those of a LineString",
        ),
        (
            collection({"detection": {"pixelCoordinates": [[1, 2], [3, None], [5, 6]]}}),
            "features[0].properties.detection.pixelCoordinates: the coordinates are not those of a Polygon",
        ),
    ],
)
def test_unreadable_answers_are_rejected_with_a_reason(body: Any, reason: str) -> None:
    with pytest.raises(ModelResponseError) as caught:
        parse_model_response(body)
    assert reason in caught.value.reason


PLANTED = "internal-service-secret"


@pytest.mark.parametrize(
    "body",
    [
        {"type": PLANTED},
        {"type": "FeatureCollection", "features": PLANTED},
        f'["{PLANTED}"]',
        f'{{"type": "{PLANTED}", '.encode(),
        collection({"imageBBox": [PLANTED, 1, 2, 3]}),
        collection({"bounds_imcoords": [5, 5, 1, PLANTED]}),
        collection({"imageGeometry": {"type": "Point", "coordinates": [PLANTED, 1]}}),
        collection({"imageGeometry": {"type": PLANTED}}),
        collection({"imageBBox": [0, 0, 1, 1], "feature_types": {PLANTED: PLANTED}}),
        collection({"imageBBox": [0, 0, 1, 1], "featureClasses": [{"iri": PLANTED, "score": PLANTED}]}),
    ],
)
def test_a_reason_never_quotes_the_answer(body: Any) -> None:
    """An endpoint may answer anything (an internal service's secrets): reasons reach statuses."""
    with pytest.raises(ModelResponseError) as caught:
        parse_model_response(body)
    assert PLANTED not in caught.value.reason


def test_ten_thousand_features_parse_quickly() -> None:
    feature = {
        "imageGeometry": {"type": "Polygon", "coordinates": SQUARE},
        "featureClasses": [{"iri": "ship", "score": 0.9}],
        "modelMetadata": {"version": "2"},
    }
    body = json.dumps(collection(*[feature] * 10_000)).encode()

    started = time.perf_counter()
    features = parse_model_response(body)
    elapsed = time.perf_counter() - started

    assert len(features) == 10_000
    assert elapsed < 2.0  # about 50 ms on an idle laptop; generous for a shared CI runner
