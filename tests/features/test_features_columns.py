"""A model's answer read into columns: geometry and boxes move by the tile origin, the top class
gives the score, columns combine and select, and what the output writes of them."""

from __future__ import annotations

import json
from typing import Any
from unittest import mock

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from model_runner.api import ModelResponseError, tile_detections
from model_runner.api.tile_detections import parse_tile_detections, read_tile_detections
from model_runner.features.detection_columns import DetectionColumns, DetectionRows
from model_runner.features.feature_json import compact_json, full_image_positions, render_features
from model_runner.features.output import OutputContext

ORIGIN = (1000.0, 2000.0)
CONTEXT = OutputContext(job_id="j", image_id="i", inference_time="2026-01-01T00:00:00Z")


def feature(geometry: dict[str, Any], *classes: tuple[str, float], **properties: Any) -> dict[str, Any]:
    """A model's feature with its pixel geometry, classes and other properties."""
    return {
        "type": "Feature",
        "geometry": None,
        "properties": {
            "imageGeometry": geometry,
            "featureClasses": [{"iri": iri, "score": score} for iri, score in classes],
            **properties,
        },
    }


def read(features: list[dict[str, Any]], origin: tuple[float, float] = (0.0, 0.0)) -> DetectionColumns:
    return parse_tile_detections({"type": "FeatureCollection", "features": features}, origin)


def written(columns: DetectionColumns) -> list[dict[str, Any]]:
    """The output features of ``columns`` (an image without georeferencing: in pixels)."""
    features = render_features(columns, full_image_positions(columns), None, CONTEXT)
    return [json.loads(text) for text in features.texts()]


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
    (output,) = written(read([feature(geometry, ("car", 0.9))], ORIGIN))

    assert output["properties"]["imageGeometry"] == {"type": geometry["type"], "coordinates": expected}


def test_box_moves_with_the_tile_and_defaults_to_geometry_bounds() -> None:
    polygon = {"type": "Polygon", "coordinates": [[[2, 3], [12, 3], [12, 9], [2, 3]]]}
    given = feature(polygon, ("ship", 0.5), imageBBox=[1, 2, 13, 10])
    derived = feature(polygon, ("ship", 0.5))

    columns = read([given, derived], ORIGIN)

    assert columns.boxes.tolist() == [[1001, 2002, 1013, 2010], [1002, 2003, 1012, 2009]]
    assert [output["properties"]["imageBBox"] for output in written(columns)] == [
        [1001, 2002, 1013, 2010],
        [1002, 2003, 1012, 2009],
    ]


def test_top_class_gives_score_and_class_and_other_classes_and_properties_are_kept() -> None:
    detections = [
        feature({"type": "Point", "coordinates": [0, 0]}, ("car", 0.2), ("truck", 0.7), model="m1"),
        feature({"type": "Point", "coordinates": [1, 1]}, ("truck", 0.4), ("car", 0.4)),
        feature({"type": "Point", "coordinates": [2, 2]}),
    ]

    columns = read(detections)
    outputs = written(columns)

    assert columns.scores.tolist() == [0.7, 0.4, 0.0]
    assert [columns.class_names[i] if i >= 0 else None for i in columns.class_ids] == ["truck", "truck", None]
    assert outputs[0]["properties"]["featureClasses"] == [
        {"iri": "car", "score": 0.2},
        {"iri": "truck", "score": 0.7},
    ]
    assert outputs[0]["properties"]["model"] == "m1"
    assert "model" not in outputs[1]["properties"]
    assert outputs[2]["properties"]["featureClasses"] == []


def test_concat_merges_class_tables_and_take_selects_in_order() -> None:
    point = {"type": "Point", "coordinates": [0, 0]}
    left = read([feature(point, ("car", 0.1)), feature(point, ("ship", 0.2))])
    right = read([feature(point, ("ship", 0.3)), feature(point), feature(point, ("plane", 0.4))], (512, 0))

    both = DetectionColumns.concat([left, DetectionColumns.empty(), right])
    names = [both.class_names[i] if i >= 0 else None for i in both.class_ids]
    picked = written(both.take([4, 0]))

    assert names == ["car", "ship", "ship", None, "plane"]
    assert both.scores.tolist() == [0.1, 0.2, 0.3, 0.0, 0.4]
    assert [output["properties"]["imageGeometry"]["coordinates"] for output in picked] == [[512, 0], [0, 0]]
    assert [output["properties"]["featureClasses"][0]["iri"] for output in picked] == ["plane", "car"]


def test_rescored_top_class_reports_new_score_and_keeps_the_original() -> None:
    columns = read([feature({"type": "Point", "coordinates": [0, 0]}, ("car", 0.3), ("truck", 0.8))])

    (output,) = written(columns.with_scores(np.array([0.25])))

    assert output["properties"]["featureClasses"] == [
        {"iri": "car", "score": 0.3},
        {"iri": "truck", "score": 0.25, "originalScore": 0.8},
    ]


@pytest.mark.parametrize(
    "geometry",
    [
        {"type": "Circle", "coordinates": [0, 0]},
        {"type": "Point", "coordinates": [0]},
        {"type": "Point", "coordinates": ["1", 2]},
        {"type": "Point", "coordinates": [float("nan"), 2]},
        {"type": "LineString", "coordinates": [0, 1]},
        {"type": "Polygon", "coordinates": []},
        {"type": "Polygon", "coordinates": [[1, 2], [3, 4]]},
        {"type": "Polygon", "coordinates": [[[1, 2], 3]]},
        {"type": ["Polygon"], "coordinates": [[[1, 2], [3, 4], [1, 2]]]},
        {"type": "GeometryCollection", "geometries": "none"},
    ],
)
def test_malformed_geometry_is_refused_with_a_reason(geometry: dict[str, Any]) -> None:
    with pytest.raises(ModelResponseError, match="imageGeometry"):
        read([feature(geometry, ("car", 0.5))])


BOX_RING = {"type": "Polygon", "coordinates": [[[0, 0], [2, 0], [2, 2], [0, 2], [0, 0]]]}


@pytest.mark.parametrize(
    "bbox",
    [
        (5.0, 0.0, 1.0, 1.0),
        (0.0, 5.0, 1.0, 1.0),
        (0.0, 0.0, float("inf"), 1.0),
        (0.0, 0.0, 1.0),
        5,
        "0,0,1,1",
    ],
)
@pytest.mark.parametrize("geometry", [{"type": "Point", "coordinates": [0, 0]}, BOX_RING])
def test_malformed_box_is_refused_naming_the_feature(bbox: object, geometry: dict[str, Any]) -> None:
    usual = feature(BOX_RING, ("car", 0.5), imageBBox=[0, 0, 2, 2])
    box = list(bbox) if isinstance(bbox, tuple) else bbox
    with pytest.raises(ModelResponseError, match=r"features\[1\]\.properties\.imageBBox"):
        read([usual, feature(geometry, ("car", 0.5), imageBBox=box), usual])


@pytest.mark.parametrize(
    "rows",
    [[0, 1, 2, 3, 4, 5], [5, 4, 3, 2, 1, 0], [1, 2, 4, 5], [0, 0, 1, 1], [3], [], [2, 3, 0, 1, 5]],
)
def test_taking_rows_gives_their_texts_and_features_in_that_order(rows: list[int]) -> None:
    box = {"type": "Polygon", "coordinates": [[[0, 0], [5, 0], [5, 5], [0, 0]]]}
    columns = read([feature(box, (f"class-{index}", 0.5), note="x" * index) for index in range(6)], ORIGIN)
    features = render_features(columns, full_image_positions(columns), None, CONTEXT)
    chosen = np.array(rows, np.intp)

    taken = columns.take(chosen)

    assert taken.classes.texts() == [columns.classes.texts()[row] for row in rows]
    everything = list(features.texts())
    assert list(features.take(chosen).texts()) == [everything[row] for row in rows]


NAMES = st.text('abc\u00e9"\\\n', max_size=5)
JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(NAMES, children, max_size=3) | st.text()
    ),
    max_leaves=8,
)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.dictionaries(NAMES, JSON_VALUES, max_size=3), min_size=1, max_size=4))
def test_other_properties_are_kept_as_json_writes_them(properties: list[dict[str, Any]]) -> None:
    point = {"type": "Point", "coordinates": [0, 0]}
    answers = [feature(point, ("car", 0.5), **extra) for extra in properties * 2]  # each set twice

    columns = read(answers)

    texts = [columns.property_texts[index] for index in columns.property_ids.tolist()]
    assert texts == [compact_json(extra) for extra in properties * 2]


@pytest.mark.parametrize("number", [float("nan"), float("inf"), -float("inf")])
def test_properties_json_cannot_carry_fail_the_feature(number: float) -> None:
    point = {"type": "Point", "coordinates": [0, 0]}

    with pytest.raises(
        ModelResponseError, match=r"features\[1\]\.properties: holds a number JSON cannot carry"
    ):
        read([feature(point, ("car", 0.5), note=None), feature(point, ("car", 0.5), note=number)])


NUMBER = st.integers(-5, 600) | st.floats(-5, 600) | st.sampled_from([True, "1", None, float("nan")])
POSITION = st.lists(NUMBER, min_size=0, max_size=3)
RING = st.lists(POSITION, min_size=0, max_size=5)
GEOMETRY = st.fixed_dictionaries(
    {
        "type": st.sampled_from(["Polygon", "Point", "LineString", "MultiPolygon", "Circle"]),
        "coordinates": st.one_of(
            POSITION, RING, st.lists(RING, max_size=2), st.lists(st.lists(RING, max_size=2))
        ),
    }
)
COORDINATE = st.integers(0, 512) | st.floats(0, 512)
PLAIN_RING = st.lists(st.lists(COORDINATE, min_size=2, max_size=2), min_size=1, max_size=5)
USUAL_GEOMETRY = st.fixed_dictionaries(
    {"type": st.just("Polygon"), "coordinates": st.lists(PLAIN_RING, min_size=1, max_size=2)}
) | st.fixed_dictionaries(
    {"type": st.just("Point"), "coordinates": st.lists(COORDINATE, min_size=2, max_size=2)}
)
BOX = st.tuples(COORDINATE, COORDINATE, COORDINATE, COORDINATE).map(
    lambda box: [min(box[0], box[2]), min(box[1], box[3]), max(box[0], box[2]), max(box[1], box[3])]
)
CLASS = st.fixed_dictionaries({"iri": st.sampled_from(["car", "ship", 7]), "score": NUMBER})
USUAL_CLASS = st.fixed_dictionaries(
    {
        "iri": st.sampled_from(["car", "ship"]),
        "score": st.floats(0, 1) | st.sampled_from([float("inf"), True]),
    }
)
PROPERTIES = st.fixed_dictionaries(
    {},
    optional={
        "imageGeometry": USUAL_GEOMETRY | GEOMETRY | st.none(),
        "imageBBox": BOX | st.lists(NUMBER, min_size=3, max_size=5) | st.none(),
        "featureClasses": st.lists(USUAL_CLASS, max_size=3)
        | st.lists(CLASS, max_size=3)
        | st.none()
        | st.just("car"),
        "bounds_imcoords": st.lists(NUMBER, min_size=4, max_size=4),
        "detection": st.fixed_dictionaries({"pixelCoordinates": RING}) | st.just("x"),
        "feature_types": st.dictionaries(st.sampled_from(["car", "ship"]), NUMBER, max_size=2),
        "inferenceTime": st.just("then"),
        "note": st.text(max_size=3),
    },
)


USUAL_PROPERTIES = st.fixed_dictionaries(
    {"imageGeometry": USUAL_GEOMETRY, "featureClasses": st.lists(USUAL_CLASS, max_size=3)},
    optional={
        "imageBBox": BOX | st.none() | st.sampled_from([[5, 5, 1, 1], [1, 5, 3, 1], [1, 2, 3], (1, 2, 3, 4)]),
        "inferenceTime": st.just("then"),
        "note": st.text(max_size=3),
    },
)


@settings(max_examples=400, deadline=None)
@given(
    st.lists(
        st.fixed_dictionaries({"type": st.just("Feature"), "properties": USUAL_PROPERTIES | PROPERTIES}),
        max_size=4,
    )
)
def test_usual_features_read_quickly_as_the_checked_way_reads_them(features: list[dict[str, Any]]) -> None:
    quick, checked = read_both_ways(features)

    assert quick == checked


def read_both_ways(features: list[dict[str, Any]]) -> tuple[object, object]:
    """What reading a tile of ``features`` gives (its output, scores and tables, or the reason it
    fails), the quick way when the tile takes the usual form and the checked way."""

    def outcome() -> object:
        try:
            columns = read(features, ORIGIN)
        except ModelResponseError as error:
            return str(error)
        return written(columns), columns.scores.tolist(), columns.property_texts, columns.class_names

    quick = outcome()
    with mock.patch.object(tile_detections, "_usual_tile", lambda features: None):
        return quick, outcome()


SCALAR = st.none() | st.booleans() | st.integers(-3, 600) | st.floats(-3, 600) | st.sampled_from(["Polygon"])
JSON = st.recursive(
    SCALAR,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(["type", "score"]), inner),
    max_leaves=12,
)
"""Any JSON value, shaped like what the usual keys hold often enough to get far into reading them."""
ANY_USUAL_VALUES = st.fixed_dictionaries(
    {
        "imageGeometry": st.fixed_dictionaries(
            {"type": st.sampled_from(["Polygon", "Point"]) | JSON, "coordinates": JSON}
        )
        | JSON,
        "featureClasses": st.lists(st.fixed_dictionaries({"iri": JSON, "score": JSON}), max_size=2) | JSON,
    },
    optional={"imageBBox": JSON},
)


@settings(max_examples=400, deadline=None)
@given(
    st.lists(st.fixed_dictionaries({"type": st.just("Feature"), "properties": ANY_USUAL_VALUES}), max_size=3)
)
def test_any_json_in_the_usual_keys_reads_as_the_checked_way_reads_it(features: list[dict[str, Any]]) -> None:
    quick, checked = read_both_ways(features)

    assert quick == checked


TILE_FEATURE = st.builds(
    lambda geometry, classes, note: feature(geometry, *classes, **({"note": note} if note else {})),
    st.sampled_from(
        [
            {"type": "Point", "coordinates": [3, 4]},
            {"type": "Point", "coordinates": [3, 4, 9.5]},
            {"type": "LineString", "coordinates": [[0, 0], [10, 20]]},
            {"type": "Polygon", "coordinates": [[[0, 0], [4, 0], [4, 3], [0, 0]]]},
        ]
    ),
    st.lists(st.tuples(st.sampled_from(["car", "ship", "plane"]), st.floats(0, 1)), max_size=2),
    st.sampled_from(["", "a", "b"]),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(TILE_FEATURE, max_size=4), max_size=4))
def test_tiles_made_columns_together_read_as_each_tile_alone(tiles: list[list[dict[str, Any]]]) -> None:
    origins = [(512.0 * index, 256.0 * (index % 2)) for index in range(len(tiles))]
    rows = [
        read_tile_detections({"type": "FeatureCollection", "features": features}, origin)
        for features, origin in zip(tiles, origins, strict=True)
    ]

    together = DetectionRows.columns_of(rows)
    alone = DetectionColumns.concat(part.columns() for part in rows)

    def seen(columns: DetectionColumns) -> object:
        names = [columns.class_names[i] if i >= 0 else None for i in columns.class_ids]
        skeletons = [columns.skeleton_keys[i] for i in columns.skeleton_ids]
        texts = [columns.property_texts[i] for i in columns.property_ids]
        arrays = (columns.boxes, columns.tiles, columns.ranks, columns.scores, columns.top_classes)
        return written(columns), [array.tolist() for array in arrays], names, skeletons, texts, columns.extras

    assert seen(together) == seen(alone)
