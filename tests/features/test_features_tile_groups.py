"""NMS and Soft-NMS with tile groups agree with naive all-pairs versions in which only boxes of
different tiles suppress or decay each other, on sparse boxes and on piles (crowded cells)."""

from __future__ import annotations

import numpy as np
import pytest

from model_runner.features import nms, soft_nms
from model_runner.features.array_types import FloatArray, IndexArray


def iou(box: FloatArray, others: FloatArray) -> FloatArray:
    width = np.clip(np.minimum(box[2], others[:, 2]) - np.maximum(box[0], others[:, 0]), 0, None)
    height = np.clip(np.minimum(box[3], others[:, 3]) - np.maximum(box[1], others[:, 1]), 0, None)
    inter = width * height
    union = (box[2] - box[0]) * (box[3] - box[1]) + (others[:, 2] - others[:, 0]) * (
        others[:, 3] - others[:, 1]
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(union - inter > 0, inter / np.where(union - inter > 0, union - inter, 1), 0.0)


def naive_nms(
    boxes: FloatArray, scores: FloatArray, classes: IndexArray, groups: IndexArray, t: float
) -> list[int]:
    order = np.argsort(-scores, kind="stable")
    suppressed = np.zeros(len(scores), bool)
    for box in order:
        if suppressed[box] or classes[box] < 0:
            continue
        rivals = (classes == classes[box]) & (groups != groups[box]) & ~suppressed
        rivals[box] = False
        candidates = np.flatnonzero(rivals)
        suppressed[candidates[iou(boxes[box], boxes[candidates]) > t]] = True
    return np.flatnonzero(~suppressed).tolist()


def naive_soft_nms(
    boxes: FloatArray, scores: FloatArray, classes: IndexArray, groups: IndexArray, sigma: float, t: float
) -> dict[int, float]:
    score = scores.astype(np.float64)
    alive = ~((score < t) & (classes >= 0))
    kept: dict[int, float] = {int(box): float(score[box]) for box in np.flatnonzero(alive & (classes < 0))}
    alive &= classes >= 0
    while alive.any():
        candidates = np.flatnonzero(alive)
        best = candidates[np.argmax(score[candidates])]
        kept[int(best)] = float(score[best])
        alive[best] = False
        others = np.flatnonzero(alive & (classes == classes[best]) & (groups != groups[best]))
        score[others] *= np.exp(-(iou(boxes[best], boxes[others]) ** 2) / sigma)
        alive[others[score[others] < t]] = False
    return kept


def tiled_boxes(seed: int, piles: int) -> tuple[FloatArray, FloatArray, IndexArray, IndexArray]:
    """Objects seen by 1 to 3 tiles, jittered, plus ``piles`` spots where one tile reports 100 boxes."""
    rng = np.random.default_rng(seed)
    centres = rng.uniform(0, 2000, size=(600, 2))
    picks = rng.integers(0, len(centres), 1500)
    centre = centres[picks] + rng.normal(0, 2, size=(1500, 2))
    sizes = rng.uniform(10, 40, size=(1500, 2))
    boxes = np.hstack([centre - sizes / 2, centre + sizes / 2])
    groups = rng.integers(0, 4, 1500)
    for spot in range(piles):
        pile = np.tile([spot * 50.0, 3000, spot * 50 + 20, 3020], (100, 1)) + rng.normal(
            0, 0.5, size=(100, 4)
        )
        boxes = np.vstack([boxes, pile, pile[:30] + 1.0])
        groups = np.concatenate([groups, np.full(100, 7), np.full(30, 8)])
    count = len(boxes)
    scores = np.round(rng.uniform(0, 1, count), 3)
    classes = rng.integers(0, 2, count).astype(np.intp)
    return boxes, scores, classes, groups.astype(np.intp)


@pytest.mark.parametrize(("seed", "piles"), [(1, 0), (2, 3)])
@pytest.mark.parametrize("threshold", [0.3, 0.75])
def test_grouped_nms_matches_the_naive_version(seed: int, piles: int, threshold: float) -> None:
    boxes, scores, classes, groups = tiled_boxes(seed, piles)

    kept = nms(boxes, scores, classes, threshold, groups)

    assert kept.tolist() == naive_nms(boxes, scores, classes, groups, threshold)
    assert len(kept) > len(nms(boxes, scores, classes, threshold))  # a tile's own boxes stay


@pytest.mark.parametrize(("seed", "piles"), [(3, 0), (4, 2)])
def test_grouped_soft_nms_matches_the_naive_version(seed: int, piles: int) -> None:
    boxes, scores, classes, groups = tiled_boxes(seed, piles)

    kept, decayed = soft_nms(boxes, scores, classes, 0.1, 0.0001, groups)
    expected = naive_soft_nms(boxes, scores, classes, groups, 0.1, 0.0001)

    assert kept.tolist() == sorted(expected)
    assert decayed.tolist() == pytest.approx([expected[index] for index in kept.tolist()], rel=1e-9)
