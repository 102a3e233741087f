"""The worker's wire models: the ImageRequest users send, the RegionRequest workers pass on, and
the FeatureCollection models answer with."""

from model_runner.api.distillation import (
    DistillationAlgorithm,
    DistillationAlgorithmType,
    PostProcessingStep,
    PostProcessingStepType,
)
from model_runner.api.ids import MAX_IMAGE_ID_BYTES, image_id_fits, image_id_for
from model_runner.api.image_request import ImageRequest
from model_runner.api.job_options import JobOptions
from model_runner.api.model_response import ModelResponseError, parse_model_response
from model_runner.api.parsing import parse_image_request
from model_runner.api.problems import format_problems
from model_runner.api.processor import SAGEMAKER_PARAMETERS, ImageProcessor, ModelInvocationType
from model_runner.api.region_request import PixelWindow, RegionRequest
from model_runner.api.request_body import request_identity
from model_runner.api.sinks import KinesisSink, S3Sink, Sink, StacSink
from model_runner.api.validate_file import validate_file
from model_runner.tiling.encodings import TileCompression, TileFormat

__all__ = [
    "MAX_IMAGE_ID_BYTES",
    "SAGEMAKER_PARAMETERS",
    "DistillationAlgorithm",
    "DistillationAlgorithmType",
    "ImageProcessor",
    "ImageRequest",
    "JobOptions",
    "KinesisSink",
    "ModelInvocationType",
    "ModelResponseError",
    "PixelWindow",
    "PostProcessingStep",
    "PostProcessingStepType",
    "RegionRequest",
    "S3Sink",
    "Sink",
    "StacSink",
    "TileCompression",
    "TileFormat",
    "format_problems",
    "image_id_fits",
    "image_id_for",
    "parse_image_request",
    "parse_model_response",
    "request_identity",
    "validate_file",
]
