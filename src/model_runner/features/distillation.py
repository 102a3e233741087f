"""Feature distillation: merge duplicate detections of a region or image with NMS or Soft-NMS."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal, get_args

from model_runner.errors import InvalidRequestError
from model_runner.features.detection_batch import DetectionBatch
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


def distill(batch: DetectionBatch, options: DistillationOptions) -> DetectionBatch:
    """The detections of ``batch`` that survive ``options``, in their original order.

    Each class is distilled on its own, on its top-class score and box. Soft-NMS leaves the
    decayed scores in the result, and so in its records. Detections without a class are kept.
    """
    if options.algorithm == "NMS":
        return batch.take(nms(batch.boxes, batch.scores, batch.class_ids, options.iou_threshold))
    kept, scores = soft_nms(
        batch.boxes, batch.scores, batch.class_ids, options.sigma, options.skip_box_threshold
    )
    return batch.take(kept).with_scores(scores)
