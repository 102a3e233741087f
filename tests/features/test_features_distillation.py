"""Hand-made NMS and Soft-NMS cases, through the batch and the request's options."""

from __future__ import annotations

import math

import numpy as np
import pytest

from model_runner.errors import InvalidRequestError
from model_runner.features import (
    DetectionBatch,
    DistillationOptions,
    FeatureClass,
    PixelFeature,
    distill,
    translate_geometry,
)


def detection(box: tuple[float, float, float, float], iri: str, score: float) -> PixelFeature:
    min_x, min_y, max_x, max_y = box
    ring = [[min_x, min_y], [max_x, min_y], [max_x, max_y], [min_x, max_y], [min_x, min_y]]
    return PixelFeature.of({"type": "Polygon", "coordinates": [ring]}, [FeatureClass(iri, score)])


def tile(*detections: PixelFeature) -> DetectionBatch:
    """Each detection (in image pixels) from its own tile, as overlapping tiles see one object."""
    return DetectionBatch.concat(
        DetectionBatch.from_tile(
            [PixelFeature.of(translate_geometry(item.geometry, -index, 0), item.classes, item.properties)],
            (index, 0),
        )
        for index, item in enumerate(detections)
    )


def one_tile(*detections: PixelFeature) -> DetectionBatch:
    return DetectionBatch.from_tile(list(detections), (0, 0))


def top_scores(batch: DetectionBatch) -> list[tuple[str, float]]:
    return [(record.classes[0].iri, record.classes[0].score) for record in batch.records()]


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

    assert [record.bbox for record in kept.records()] == [(0, 0, 10, 10)]
    assert kept.features[0] is batch.features[0]


def test_nms_keeps_features_without_a_class() -> None:
    unclassified = PixelFeature.of(detection((0, 0, 10, 10), "x", 1).geometry)
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
    batch = DetectionBatch.concat(
        [one_tile(*own), DetectionBatch.from_tile([detection((-100, 0, -90, 10), "car", 0.7)], (100, 0))]
    )

    kept = distill(batch, DistillationOptions("NMS"))

    assert top_scores(kept) == [("car", 0.9), ("car", 0.8)]


@pytest.mark.parametrize("algorithm", ["NMS", "SOFT_NMS"])
def test_the_same_point_found_by_two_tiles_is_kept_once(algorithm: str) -> None:
    point = {"type": "Point", "coordinates": [5.0, 5.0]}
    seen_by_a = PixelFeature.of(point, [FeatureClass("car", 0.6)])
    seen_by_b = PixelFeature.of(translate_geometry(point, -512, 0), [FeatureClass("car", 0.9)])
    elsewhere = PixelFeature.of({"type": "Point", "coordinates": [50.0, 5.0]}, [FeatureClass("car", 0.3)])
    batch = DetectionBatch.concat(
        [
            DetectionBatch.from_tile([seen_by_a, seen_by_a, elsewhere], (0, 0)),
            DetectionBatch.from_tile([seen_by_b], (512, 0)),
        ]
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
    records = list(kept.records())

    decayed = 0.8 * math.exp(-(0.5**2) / 0.5)
    assert kept.scores.tolist() == pytest.approx([0.9, decayed, 0.3])
    assert records[1].classes[0].to_json() == {
        "iri": "car",
        "score": pytest.approx(0.4852, abs=1e-4),
        "originalScore": 0.8,
    }
    assert records[0].classes == (FeatureClass("car", 0.9),)


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
    empty = DetectionBatch.concat([])

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
