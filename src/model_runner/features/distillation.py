"""Feature distillation: merge what overlapping tiles detected twice, with NMS or Soft-NMS."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal, get_args

import numpy as np
import numpy.typing as npt

from model_runner.errors import InvalidRequestError
from model_runner.features.array_types import FloatArray, IndexArray
from model_runner.features.nms import nms
from model_runner.features.soft_nms import soft_nms

Algorithm = Literal["NMS", "SOFT_NMS"]


@dataclass(frozen=True)
class Bounds:
    """The finite values an option may take: above ``low`` and below ``high``, each end included or not."""

    low: float
    high: float = math.inf
    low_included: bool = False
    high_included: bool = False

    def problem(self, value: float) -> str | None:
        """Why ``value`` is out of bounds, or None when it is within them."""
        if not math.isfinite(value):
            return "must be a finite number"
        if value < self.low or (value == self.low and not self.low_included):
            return f"must be greater than {'or equal to ' if self.low_included else ''}{self.low:g}"
        if value > self.high or (value == self.high and not self.high_included):
            return f"must be less than {'or equal to ' if self.high_included else ''}{self.high:g}"
        return None


IOU_THRESHOLD = Bounds(0.0, 1.0, high_included=True)
"""NMS suppresses a box overlapping a better one of its class by more than this IoU."""
SKIP_BOX_THRESHOLD = Bounds(0.0, 1.0, low_included=True)
"""Soft-NMS drops a box whose (decayed) score falls below this."""
SIGMA = Bounds(0.0)
"""Width of Soft-NMS's Gaussian decay."""


@dataclass(frozen=True)
class DistillationOptions:
    """The request's FEATURE_DISTILLATION step.

    NMS uses only ``iou_threshold``; Gaussian Soft-NMS uses only ``sigma`` and
    ``skip_box_threshold`` (as in the reference, where the IoU threshold serves only the linear
    variant, which is not offered).
    """

    algorithm: Algorithm = "NMS"
    iou_threshold: float = 0.75
    skip_box_threshold: float = 0.0001
    sigma: float = 0.1

    def __post_init__(self) -> None:
        problems = []
        if self.algorithm not in get_args(Algorithm):
            problems.append(f"algorithmType: must be NMS or SOFT_NMS, got {self.algorithm!r}")
        for key, value, bounds in (
            ("iouThreshold", self.iou_threshold, IOU_THRESHOLD),
            ("skipBoxThreshold", self.skip_box_threshold, SKIP_BOX_THRESHOLD),
            ("sigma", self.sigma, SIGMA),
        ):
            problem = bounds.problem(value)
            if problem is not None:
                problems.append(f"{key}: {problem}, got {value}")
        if problems:
            raise InvalidRequestError(problems)


POINT_EXTENT = 0.1
"""Pixels added to a box's zero width or height, so points and lines overlap what they touch."""


def surviving(
    boxes: FloatArray,
    scores: FloatArray,
    classes: IndexArray,
    origins: FloatArray,
    options: DistillationOptions,
) -> tuple[IndexArray, FloatArray]:
    """Positions (ascending) of the detections that survive ``options``, and their scores then.

    Only detections of different tiles (their tile's origin, ``origins``) merge: what overlapping
    tiles found twice is distilled, while a tile's own detections pass as the model returned them.
    Each class is distilled on its own, on its top-class score and box; a zero width or height
    counts as :data:`POINT_EXTENT` pixels, and a box repeated exactly by another tile (a point
    detected by two tiles) keeps only its best copy, as the reference does. Soft-NMS gives the
    decayed scores. Detections without a class are kept.
    """
    if not len(scores):
        return np.empty(0, np.intp), np.empty(0)
    tiles = tile_groups(origins)
    boxes = extended(boxes)
    unique = np.flatnonzero(~_repeated_by_another_tile(boxes, scores, classes, tiles))
    if options.algorithm == "NMS":
        kept = unique[
            nms(boxes[unique], scores[unique], classes[unique], options.iou_threshold, tiles[unique])
        ]
        return kept, scores[kept]
    chosen, decayed = soft_nms(
        boxes[unique],
        scores[unique],
        classes[unique],
        options.sigma,
        options.skip_box_threshold,
        tiles[unique],
    )
    return unique[chosen], decayed


def extended(boxes: FloatArray) -> FloatArray:
    """The boxes with a zero width or height counted as :data:`POINT_EXTENT` pixels."""
    result = np.array(boxes, np.float64)
    result[:, 2:] = np.maximum(result[:, 2:], result[:, :2] + POINT_EXTENT)
    return result


def tile_groups(origins: FloatArray) -> IndexArray:
    """One id per detection, equal for the detections of the same tile (same tile origin)."""
    return equal_rows(origins)


def equal_rows(values: FloatArray) -> IndexArray:
    """A label per row of ``values`` (N, K), equal for equal rows: the rank of the row among the
    distinct rows in lexicographic order (as ``np.unique(values, axis=0)`` numbers them, at a
    fraction of its cost: numeric sorts, one per column, not one sort of K-number records)."""
    labels = np.empty(len(values), np.intp)
    if not len(values):
        return labels
    order = np.lexsort(values.T[::-1])
    ranked = values[order]
    starts = np.empty(len(values), bool)
    starts[0] = True
    np.any(ranked[1:] != ranked[:-1], axis=1, out=starts[1:])
    labels[order] = np.cumsum(starts) - 1
    return labels


def _repeated_by_another_tile(
    boxes: FloatArray, scores: FloatArray, classes: IndexArray, tiles: IndexArray
) -> npt.NDArray[np.bool_]:
    """Detections whose class and box equal those of a better detection of another tile."""
    if not len(boxes):
        return np.zeros(0, bool)
    key = equal_rows(np.column_stack((classes, boxes)))
    order = np.lexsort((np.arange(len(key)), -scores, key))  # per key: best score, then first given
    leads = order[np.r_[True, key[order][1:] != key[order][:-1]]]
    best = np.empty(int(key.max()) + 1, np.intp)
    best[key[leads]] = leads
    repeated: npt.NDArray[np.bool_] = (tiles != tiles[best[key]]) & (classes >= 0)
    return repeated
