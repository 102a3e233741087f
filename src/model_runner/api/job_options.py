"""What a job asks for, shared by the image request and each region request made from it."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field, JsonValue, model_validator

from model_runner.api.distillation import (
    DEFAULT_POST_PROCESSING,
    DistillationAlgorithm,
    PostProcessingStep,
    PostProcessingStepType,
)
from model_runner.api.processor import ImageProcessor, parameter_problems
from model_runner.api.region_of_interest import RegionOfInterestWkt
from model_runner.api.sinks import Sink, Sinks
from model_runner.api.tiles import AnyCaseTileCompression, AnyCaseTileFormat
from model_runner.api.wire import RoleArn, WireModel, keyed_error
from model_runner.tiling.encodings import TileCompression, TileFormat, compression_problem

MIN_TILE_SIZE = 64
MAX_TILE_SIZE = 8192


def _check_job_id(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    return value


JobId = Annotated[str, AfterValidator(_check_job_id)]


def _check_one_distillation(steps: tuple[PostProcessingStep, ...]) -> tuple[PostProcessingStep, ...]:
    if sum(step.step is PostProcessingStepType.FEATURE_DISTILLATION for step in steps) > 1:
        raise ValueError("at most one FEATURE_DISTILLATION step")
    return steps


class JobOptions(WireModel):
    """The model, tiling, post-processing and outputs of a job, with their cross-key checks."""

    job_id: JobId
    image_read_role: RoleArn | None = None
    image_processor: ImageProcessor
    image_processor_parameters: dict[str, JsonValue] = Field(default_factory=dict)
    image_processor_tile_size: Annotated[int, Field(ge=MIN_TILE_SIZE, le=MAX_TILE_SIZE)] = 1024
    image_processor_tile_overlap: Annotated[int, Field(ge=0)] = 50
    image_processor_tile_format: AnyCaseTileFormat = TileFormat.NITF
    image_processor_tile_compression: AnyCaseTileCompression = TileCompression.NONE
    region_of_interest: RegionOfInterestWkt | None = None
    feature_properties: tuple[dict[str, JsonValue], ...] = ()
    post_processing: Annotated[tuple[PostProcessingStep, ...], AfterValidator(_check_one_distillation)] = (
        DEFAULT_POST_PROCESSING
    )
    outputs: Sinks

    @model_validator(mode="after")
    def _check_tiling(self) -> JobOptions:
        if self.image_processor_tile_overlap >= self.image_processor_tile_size:
            raise keyed_error(
                "imageProcessorTileOverlap",
                f"must be less than imageProcessorTileSize ({self.image_processor_tile_size})",
            )
        problem = compression_problem(self.image_processor_tile_format, self.image_processor_tile_compression)
        if problem is not None:
            raise keyed_error("imageProcessorTileCompression", problem)
        return self

    @model_validator(mode="after")
    def _check_parameters(self) -> JobOptions:
        problems = parameter_problems(self.image_processor.type, self.image_processor_parameters)
        if problems:
            key, reason = problems[0]
            raise keyed_error(f"imageProcessorParameters.{key}", reason)
        return self

    @property
    def tile_size(self) -> int:
        """Tile edge in pixels."""
        return self.image_processor_tile_size

    @property
    def overlap(self) -> int:
        """Minimum overlap of neighbouring tiles in pixels."""
        return self.image_processor_tile_overlap

    @property
    def distillation(self) -> DistillationAlgorithm | None:
        """The feature distillation to apply, or None when the request asks for none."""
        for step in self.post_processing:
            if step.step is PostProcessingStepType.FEATURE_DISTILLATION:
                return step.algorithm
        return None

    @property
    def sinks(self) -> tuple[Sink, ...]:
        """Where features are written (legacy outputBucket/outputPrefix already resolved)."""
        return self.outputs
