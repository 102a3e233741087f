"""Tile-to-image bookkeeping: geometry and boxes move by the tile origin; batches combine and select."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from model_runner.features import (
    DetectionBatch,
    FeatureClass,
    InvalidFeatureError,
    PixelFeature,
    geometry_bounds,
    translate_geometry,
)

ORIGIN = (1000.0, 2000.0)


def feature(geometry: dict[str, Any], *classes: tuple[str, float], **properties: Any) -> PixelFeature:
    return PixelFeature.of(geometry, [FeatureClass(iri, score) for iri, score in classes], properties)


@pytest.mark.parametrize(
    ("geometry", "expected"),
    [
        ({"type": "Point", "coordinates": [5, 7]}, [1005, 2007]),
        ({"type": "Point", "coordinates": [5, 7, 12.5]}, [1005, 2007, 12.5]),
        ({"type": "LineString", "coordinates": [[0, 0], [10, 20]]}, [[1000, 2000], [1010, 2020]]),
        (
            {"type": "Polygon", "coordinates": [[[0, 0], [4, 0], [4, 3], [0, 0]]]},
            [[[1000, 2000], [1004, 2000], [1004, 2003], [1000, 2000]]],
        ),
        (
            {
                "type": "MultiPolygon",
                "coordinates": [
                    [[[0, 0], [1, 0], [1, 1], [0, 0]]],
                    [[[8, 8], [9, 8], [9, 9], [8, 8]], [[8.5, 8.2], [8.8, 8.2], [8.8, 8.5], [8.5, 8.2]]],
                ],
            },
            [
                [[[1000, 2000], [1001, 2000], [1001, 2001], [1000, 2000]]],
                [
                    [[1008, 2008], [1009, 2008], [1009, 2009], [1008, 2008]],
                    [[1008.5, 2008.2], [1008.8, 2008.2], [1008.8, 2008.5], [1008.5, 2008.2]],
                ],
            ],
        ),
    ],
)
def test_geometry_moves_from_tile_to_image_pixels(geometry: dict[str, Any], expected: list[Any]) -> None:
    batch = DetectionBatch.from_tile([feature(geometry, ("car", 0.9))], ORIGIN)

    (record,) = batch.records()

    assert record.geometry == {"type": geometry["type"], "coordinates": expected}
    assert geometry["coordinates"] != expected, "the model's own geometry is left untouched"


def test_geometry_collection_moves_every_member() -> None:
    collection = {
        "type": "GeometryCollection",
        "geometries": [
            {"type": "Point", "coordinates": [1, 2]},
            {"type": "MultiPoint", "coordinates": [[3, 4]]},
        ],
    }

    moved = translate_geometry(collection, 10, 20)

    assert moved["geometries"] == [
        {"type": "Point", "coordinates": [11, 22]},
        {"type": "MultiPoint", "coordinates": [[13, 24]]},
    ]
    assert geometry_bounds(collection) == (1, 2, 3, 4)


def test_box_moves_with_the_tile_and_defaults_to_geometry_bounds() -> None:
    polygon = {"type": "Polygon", "coordinates": [[[2, 3], [12, 3], [12, 9], [2, 3]]]}
    given = PixelFeature.of(polygon, [FeatureClass("ship", 0.5)], bbox=(1, 2, 13, 10))
    derived = feature(polygon, ("ship", 0.5))

    batch = DetectionBatch.from_tile([given, derived], ORIGIN)

    assert batch.boxes.tolist() == [[1001, 2002, 1013, 2010], [1002, 2003, 1012, 2009]]
    assert [record.bbox for record in batch.records()] == [(1001, 2002, 1013, 2010), (1002, 2003, 1012, 2009)]


def test_top_class_gives_score_and_class_and_other_classes_and_properties_are_kept() -> None:
    detections = [
        feature({"type": "Point", "coordinates": [0, 0]}, ("car", 0.2), ("truck", 0.7), model="m1"),
        feature({"type": "Point", "coordinates": [1, 1]}, ("truck", 0.4), ("car", 0.4)),
        feature({"type": "Point", "coordinates": [2, 2]}),
    ]

    batch = DetectionBatch.from_tile(detections, (0, 0))
    records = list(batch.records())

    assert batch.scores.tolist() == [0.7, 0.4, 0.0]
    assert [batch.class_names[i] if i >= 0 else None for i in batch.class_ids] == ["truck", "truck", None]
    assert records[0].classes == (FeatureClass("car", 0.2), FeatureClass("truck", 0.7))
    assert records[0].properties == {"model": "m1"}
    assert records[2].classes == ()


def test_concat_merges_class_tables_and_take_selects_in_order() -> None:
    point = {"type": "Point", "coordinates": [0, 0]}
    left = DetectionBatch.from_tile([feature(point, ("car", 0.1)), feature(point, ("ship", 0.2))], (0, 0))
    right = DetectionBatch.from_tile(
        [feature(point, ("ship", 0.3)), feature(point), feature(point, ("plane", 0.4))], (512, 0)
    )

    both = DetectionBatch.concat([left, DetectionBatch.concat([]), right])
    names = [both.class_names[i] if i >= 0 else None for i in both.class_ids]
    picked = both.take([4, 0])

    assert names == ["car", "ship", "ship", None, "plane"]
    assert both.scores.tolist() == [0.1, 0.2, 0.3, 0.0, 0.4]
    assert [record.geometry["coordinates"] for record in picked.records()] == [[512, 0], [0, 0]]
    assert [record.classes[0].iri for record in picked.records()] == ["plane", "car"]


def test_rescored_top_class_reports_new_score_and_keeps_the_original() -> None:
    batch = DetectionBatch.from_tile(
        [feature({"type": "Point", "coordinates": [0, 0]}, ("car", 0.3), ("truck", 0.8))], (0, 0)
    )

    (record,) = batch.with_scores(np.array([0.25])).records()

    assert record.classes == (FeatureClass("car", 0.3), FeatureClass("truck", 0.25, original_score=0.8))
    assert [item.to_json() for item in record.classes] == [
        {"iri": "car", "score": 0.3},
        {"iri": "truck", "score": 0.25, "originalScore": 0.8},
    ]


def test_batch_arrays_cannot_be_changed_in_place() -> None:
    batch = DetectionBatch.from_tile(
        [feature({"type": "Point", "coordinates": [0, 0]}, ("car", 0.3))], (0, 0)
    )

    with pytest.raises(ValueError, match="read-only"):
        batch.scores[0] = 1.0


@pytest.mark.parametrize(
    "geometry",
    [
        {"type": "Circle", "coordinates": [0, 0]},
        {"type": "Point", "coordinates": [0]},
        {"type": "Point", "coordinates": ["1", 2]},
        {"type": "Point", "coordinates": [float("nan"), 2]},
        {"type": "LineString", "coordinates": [0, 1]},
        {"type": "Polygon", "coordinates": []},
        {"type": "GeometryCollection", "geometries": "none"},
    ],
)
def test_malformed_geometry_is_refused_with_a_reason(geometry: dict[str, Any]) -> None:
    with pytest.raises(InvalidFeatureError):
        feature(geometry, ("car", 0.5))


@pytest.mark.parametrize("bbox", [(5.0, 0.0, 1.0, 1.0), (0.0, 0.0, float("inf"), 1.0)])
def test_malformed_box_is_refused(bbox: tuple[float, float, float, float]) -> None:
    with pytest.raises(InvalidFeatureError, match="bounding box"):
        PixelFeature.of({"type": "Point", "coordinates": [0, 0]}, bbox=bbox)
