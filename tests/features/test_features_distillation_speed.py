"""Distilling 100k detections takes well under a second (bound generous for a slow shared core)."""

from __future__ import annotations

import time

import numpy as np

from model_runner.features import nms, soft_nms
from model_runner.features.array_types import FloatArray, IndexArray

COUNT = 100_000
BOUND_S = 2.0


def region_of_detections() -> tuple[FloatArray, FloatArray, IndexArray]:
    """100k boxes over a 20k-pixel square: ~35k objects, each found 1 to 5 times by overlapping tiles."""
    rng = np.random.default_rng(7)
    objects = rng.uniform(0, 20_000, size=(35_000, 2))
    sizes = rng.uniform(8, 80, size=(35_000, 2))
    picks = rng.integers(0, len(objects), COUNT)
    jitter = rng.normal(0, 2, size=(COUNT, 4))
    boxes = np.hstack([objects[picks] - sizes[picks] / 2, objects[picks] + sizes[picks] / 2]) + jitter
    return boxes, rng.uniform(0.05, 1, COUNT), rng.integers(0, 5, COUNT).astype(np.intp)


def test_nms_of_100k_boxes_is_fast() -> None:
    boxes, scores, classes = region_of_detections()

    started = time.perf_counter()
    kept = nms(boxes, scores, classes, 0.75)
    elapsed = time.perf_counter() - started

    print(f"NMS of {COUNT} boxes: {elapsed:.3f} s, {len(kept)} kept")
    assert elapsed < BOUND_S
    assert len(kept) < COUNT


def test_soft_nms_of_100k_boxes_is_fast() -> None:
    boxes, scores, classes = region_of_detections()

    started = time.perf_counter()
    kept, decayed = soft_nms(boxes, scores, classes, 0.1, 0.0001)
    elapsed = time.perf_counter() - started

    print(f"Soft-NMS of {COUNT} boxes: {elapsed:.3f} s, {len(kept)} kept")
    assert elapsed < BOUND_S
    assert np.any(decayed < scores[kept])
