"""Post-processing steps: feature distillation (NMS or Soft-NMS) of duplicate detections."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator

from model_runner.api.wire import WireEnum, WireModel
from model_runner.features.distillation import (
    IOU_THRESHOLD,
    SIGMA,
    SKIP_BOX_THRESHOLD,
    Bounds,
    DistillationOptions,
)


class DistillationAlgorithmType(WireEnum):
    """How overlapping detections of the same class are merged."""

    NMS = "NMS"
    SOFT_NMS = "SOFT_NMS"


class PostProcessingStepType(WireEnum):
    """The kinds of post-processing step."""

    FEATURE_DISTILLATION = "FEATURE_DISTILLATION"


def _within(bounds: Bounds) -> AfterValidator:
    """A check that a number is within ``bounds``."""

    def check(value: float) -> float:
        problem = bounds.problem(value)
        if problem is not None:
            raise ValueError(problem)
        return value

    return AfterValidator(check)


_DEFAULTS = DistillationOptions()


class DistillationAlgorithm(WireModel):
    """The distillation algorithm and its parameters; bounds and defaults are those of the features."""

    algorithm_type: DistillationAlgorithmType
    iou_threshold: Annotated[float, _within(IOU_THRESHOLD)] = _DEFAULTS.iou_threshold
    skip_box_threshold: Annotated[float, _within(SKIP_BOX_THRESHOLD)] = _DEFAULTS.skip_box_threshold
    sigma: Annotated[float, _within(SIGMA)] = _DEFAULTS.sigma

    def options(self) -> DistillationOptions:
        """The algorithm as :func:`~model_runner.features.distillation.surviving` takes it."""
        return DistillationOptions(
            self.algorithm_type.value, self.iou_threshold, self.skip_box_threshold, self.sigma
        )


class PostProcessingStep(WireModel):
    """One step applied to a region's features before they are written."""

    step: PostProcessingStepType
    algorithm: DistillationAlgorithm


DEFAULT_POST_PROCESSING = (
    PostProcessingStep(
        step=PostProcessingStepType.FEATURE_DISTILLATION,
        algorithm=DistillationAlgorithm(algorithm_type=DistillationAlgorithmType.NMS),
    ),
)
"""What a request without postProcessing gets: NMS with the default thresholds."""
