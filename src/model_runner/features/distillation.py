"""Feature distillation: merge duplicate detections of a region or image with NMS or Soft-NMS."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from model_runner.errors import InvalidRequestError
from model_runner.features.detection_batch import DetectionBatch
from model_runner.features.nms import nms
from model_runner.features.soft_nms import soft_nms

Algorithm = Literal["NMS", "SOFT_NMS"]


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
        if self.algorithm not in ("NMS", "SOFT_NMS"):
            problems.append(f"algorithmType must be NMS or SOFT_NMS, got {self.algorithm!r}")
        if not (math.isfinite(self.iou_threshold) and 0.0 <= self.iou_threshold <= 1.0):
            problems.append(f"iouThreshold must be between 0 and 1, got {self.iou_threshold}")
        if not (math.isfinite(self.skip_box_threshold) and self.skip_box_threshold >= 0.0):
            problems.append(f"skipBoxThreshold must be 0 or more, got {self.skip_box_threshold}")
        if not (math.isfinite(self.sigma) and self.sigma > 0.0):
            problems.append(f"sigma must be greater than 0, got {self.sigma}")
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
