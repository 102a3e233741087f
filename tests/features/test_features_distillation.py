"""Hand-made NMS and Soft-NMS cases, on detections read as a model answers them, with the
request's options."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from model_runner.api.tile_detections import parse_tile_detections
from model_runner.errors import InvalidRequestError
from model_runner.features import DistillationOptions
from model_runner.features.detection_columns import DetectionColumns
from model_runner.features.distillation import equal_rows, surviving
from model_runner.features.feature_json import full_image_positions, render_features
from model_runner.features.output import OutputContext

Feature = dict[str, Any]


def detection(box: tuple[float, float, float, float], iri: str | None, score: float = 0.0) -> Feature:
    """A model's feature: the box as a polygon, one class (none when ``iri`` is None)."""
    min_x, min_y, max_x, max_y = box
    ring = [[min_x, min_y], [max_x, min_y], [max_x, max_y], [min_x, max_y], [min_x, min_y]]
    classes = [] if iri is None else [{"iri": iri, "score": score}]
    geometry = {"type": "Polygon", "coordinates": [ring]}
    return {
        "type": "Feature",
        "geometry": None,
        "properties": {"imageGeometry": geometry, "featureClasses": classes},
    }


def point(x: float, y: float, iri: str, score: float) -> Feature:
    geometry = {"type": "Point", "coordinates": [x, y]}
    return {
        "type": "Feature",
        "geometry": None,
        "properties": {"imageGeometry": geometry, "featureClasses": [{"iri": iri, "score": score}]},
    }


def from_tile(features: list[Feature], origin: tuple[float, float]) -> DetectionColumns:
    return parse_tile_detections({"type": "FeatureCollection", "features": features}, origin)


def moved(feature: Feature, dx: float) -> Feature:
    """The feature as a tile ``dx`` pixels to the right of the first one sees it."""
    geometry = feature["properties"]["imageGeometry"]
    coordinates = np.array(geometry["coordinates"], np.float64)
    coordinates[..., 0] += dx
    moved_geometry = {"type": geometry["type"], "coordinates": coordinates.tolist()}
    return {**feature, "properties": {**feature["properties"], "imageGeometry": moved_geometry}}


def tile(*detections: Feature) -> DetectionColumns:
    """Each detection (in image pixels) from its own tile, as overlapping tiles see one object."""
    return DetectionColumns.concat(
        from_tile([moved(item, -index)], (index, 0)) for index, item in enumerate(detections)
    )


def one_tile(*detections: Feature) -> DetectionColumns:
    return from_tile(list(detections), (0, 0))


def distill(columns: DetectionColumns, options: DistillationOptions) -> DetectionColumns:
    """The survivors of ``options``, with their scores then."""
    kept, scores = surviving(columns.boxes, columns.scores, columns.class_ids, columns.tiles, options)
    return columns.take(kept).with_scores(scores)


def top_scores(columns: DetectionColumns) -> list[tuple[str, float]]:
    return [
        (columns.class_names[index], score)
        for index, score in zip(columns.class_ids, columns.scores.tolist(), strict=True)
    ]


def written_classes(columns: DetectionColumns) -> list[Any]:
    """Each detection's featureClasses as the output writes them."""
    context = OutputContext(job_id="j", image_id="i", inference_time="2026-01-01T00:00:00Z")
    features = render_features(columns, full_image_positions(columns), None, context)
    return [json.loads(text)["properties"]["featureClasses"] for text in features.texts()]


def test_nms_collapses_overlapping_same_class_boxes_to_the_best() -> None:
    batch = tile(
        detection((0, 0, 10, 10), "car", 0.6),
        detection((0, 0, 10, 9.5), "car", 0.9),  # IoU 0.95 with both others
        detection((0.5, 0, 10, 10), "car", 0.7),
        detection((50, 50, 60, 60), "car", 0.1),
    )

    kept = distill(batch, DistillationOptions("NMS", iou_threshold=0.75))

    assert top_scores(kept) == [("car", 0.9), ("car", 0.1)]


def test_nms_does_not_suppress_across_classes() -> None:
    batch = tile(detection((0, 0, 10, 10), "car", 0.9), detection((0, 0, 10, 10), "truck", 0.5))

    kept = distill(batch, DistillationOptions("NMS"))

    assert top_scores(kept) == [("car", 0.9), ("truck", 0.5)]


@pytest.mark.parametrize(("threshold", "survivors"), [(0.5, 2), (0.4999, 1)])
def test_nms_keeps_a_box_whose_iou_is_exactly_the_threshold(threshold: float, survivors: int) -> None:
    batch = tile(detection((0, 0, 10, 10), "car", 0.9), detection((0, 0, 10, 5), "car", 0.8))  # IoU 0.5

    kept = distill(batch, DistillationOptions("NMS", iou_threshold=threshold))

    assert len(kept) == survivors


def test_nms_breaks_score_ties_by_input_order() -> None:
    batch = tile(detection((0, 0, 10, 10), "car", 0.5), detection((0, 0, 10, 10), "car", 0.5))

    kept = distill(batch, DistillationOptions("NMS"))

    assert kept.boxes.tolist() == [[0, 0, 10, 10]]
    assert kept.tiles.tolist() == [[0, 0]], "the first of the two"


def test_nms_keeps_features_without_a_class() -> None:
    unclassified = detection((0, 0, 10, 10), None)
    batch = tile(detection((0, 0, 10, 10), "car", 0.9), unclassified, unclassified)

    assert len(distill(batch, DistillationOptions("NMS", iou_threshold=0.01))) == 3


@pytest.mark.parametrize("algorithm", ["NMS", "SOFT_NMS"])
def test_a_tiles_own_detections_pass_as_the_model_returned_them(algorithm: str) -> None:
    # A flood model: 100 identical boxes on one tile; the reference's flood suite expects all 100.
    batch = one_tile(*[detection((0, 0, 10, 10), "car", 0.5) for _ in range(100)])

    kept = distill(batch, DistillationOptions(algorithm, sigma=0.1))  # type: ignore[arg-type]

    assert len(kept) == 100
    assert kept.scores.tolist() == [0.5] * 100


def test_only_detections_of_different_tiles_merge() -> None:
    own = [detection((0, 0, 10, 10), "car", 0.9), detection((0, 0, 10, 9.5), "car", 0.8)]
    batch = DetectionColumns.concat(
        [one_tile(*own), from_tile([detection((-100, 0, -90, 10), "car", 0.7)], (100, 0))]
    )

    kept = distill(batch, DistillationOptions("NMS"))

    assert top_scores(kept) == [("car", 0.9), ("car", 0.8)]


@pytest.mark.parametrize("algorithm", ["NMS", "SOFT_NMS"])
def test_the_same_point_found_by_two_tiles_is_kept_once(algorithm: str) -> None:
    seen_by_a = point(5.0, 5.0, "car", 0.6)
    seen_by_b = point(5.0 - 512, 5.0, "car", 0.9)
    elsewhere = point(50.0, 5.0, "car", 0.3)
    batch = DetectionColumns.concat(
        [from_tile([seen_by_a, seen_by_a, elsewhere], (0, 0)), from_tile([seen_by_b], (512, 0))]
    )

    kept = distill(batch, DistillationOptions(algorithm, sigma=10.0, skip_box_threshold=0.0))  # type: ignore[arg-type]

    assert sorted(kept.scores.tolist()) == [0.3, 0.9]


def test_soft_nms_decays_overlapping_scores_by_the_gaussian_and_reports_the_decayed_score() -> None:
    batch = tile(
        detection((0, 0, 10, 10), "car", 0.9),
        detection((0, 0, 10, 5), "car", 0.8),  # IoU 0.5 with the first
        detection((0, 0, 10, 10), "ship", 0.3),  # another class: untouched
    )

    kept = distill(batch, DistillationOptions("SOFT_NMS", sigma=0.5, skip_box_threshold=0.01))
    classes = written_classes(kept)

    decayed = 0.8 * math.exp(-(0.5**2) / 0.5)
    assert kept.scores.tolist() == pytest.approx([0.9, decayed, 0.3])
    assert classes[1] == [{"iri": "car", "score": pytest.approx(0.4852, abs=1e-4), "originalScore": 0.8}]
    assert classes[0] == [{"iri": "car", "score": 0.9}]


def test_soft_nms_selects_by_decayed_score_and_decays_repeatedly() -> None:
    # B overlaps A and C; C overlaps only B. After A decays B below C, C is selected and decays B again.
    batch = tile(
        detection((0, 0, 10, 10), "car", 0.9),  # A
        detection((0, 0, 20, 10), "car", 0.85),  # B: IoU 0.5 with A and with C
        detection((10, 0, 20, 10), "car", 0.55),  # C
    )

    kept = distill(batch, DistillationOptions("SOFT_NMS", sigma=0.5, skip_box_threshold=0.0))

    factor = math.exp(-(0.5**2) / 0.5)
    assert kept.scores.tolist() == pytest.approx([0.9, 0.85 * factor * factor, 0.55])


def test_soft_nms_drops_boxes_below_the_skip_threshold() -> None:
    batch = tile(
        detection((0, 0, 10, 10), "car", 0.9),
        detection((0, 0, 10, 10), "car", 0.8),  # IoU 1: decayed to 0.8 * e^-10
        detection((30, 30, 40, 40), "car", 0.00005),  # below the threshold from the start
        detection((60, 60, 70, 70), "car", 0.0001),  # exactly at it: kept
    )

    kept = distill(batch, DistillationOptions("SOFT_NMS", sigma=0.1, skip_box_threshold=0.0001))

    assert kept.scores.tolist() == [0.9, 0.0001]


def test_empty_batch_distills_to_empty() -> None:
    empty = DetectionColumns.empty()

    assert len(distill(empty, DistillationOptions("NMS"))) == 0
    assert len(distill(empty, DistillationOptions("SOFT_NMS"))) == 0
    assert np.asarray(distill(empty, DistillationOptions("NMS")).boxes).shape == (0, 4)


@pytest.mark.parametrize(
    ("options", "key"),
    [
        ({"algorithm": "WBF"}, "algorithmType"),
        ({"iou_threshold": 1.5}, "iouThreshold"),
        ({"iou_threshold": 0.0}, "iouThreshold"),
        ({"skip_box_threshold": -0.1}, "skipBoxThreshold"),
        ({"skip_box_threshold": 1.0}, "skipBoxThreshold"),
        ({"sigma": float("inf")}, "sigma"),
        ({"sigma": 0.0}, "sigma"),
        ({"sigma": float("nan")}, "sigma"),
    ],
)
def test_bad_options_are_refused_naming_the_request_key(options: dict[str, object], key: str) -> None:
    with pytest.raises(InvalidRequestError, match=key):
        DistillationOptions(**options)  # type: ignore[arg-type]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.lists(st.sampled_from([0.0, -0.0, 1.5, -2.0, 7.25, 1e300]), min_size=3, max_size=3), max_size=40
    )
)
def test_equal_rows_labels_rows_as_numpy_unique_does(rows: list[list[float]]) -> None:
    """Repeated boxes and tile origins are told apart by these labels: equal rows (0.0 and -0.0
    alike) share one, distinct rows never do, numbered in the rows' sorted order."""
    values = np.array(rows, np.float64).reshape(-1, 3)
    expected = np.unique(values, axis=0, return_inverse=True)[1].reshape(-1) if len(values) else []
    assert equal_rows(values).tolist() == list(expected)
