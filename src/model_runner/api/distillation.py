"""Post-processing steps: feature distillation (NMS or Soft-NMS) of duplicate detections."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from model_runner.api.wire import WireEnum, WireModel


class DistillationAlgorithmType(WireEnum):
    """How overlapping detections of the same class are merged."""

    NMS = "NMS"
    SOFT_NMS = "SOFT_NMS"


class PostProcessingStepType(WireEnum):
    """The kinds of post-processing step."""

    FEATURE_DISTILLATION = "FEATURE_DISTILLATION"


class DistillationAlgorithm(WireModel):
    """The distillation algorithm and its parameters."""

    algorithm_type: DistillationAlgorithmType
    iou_threshold: Annotated[float, Field(gt=0, le=1)] = 0.75
    skip_box_threshold: Annotated[float, Field(ge=0, lt=1)] = 0.0001
    sigma: Annotated[float, Field(gt=0)] = 0.1


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
