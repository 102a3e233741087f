"""Output sinks: where an image's geolocated features are written (S3 objects, Kinesis records,
S3 objects with STAC Items)."""

from model_runner.sinks.base import Feature, ImageMetadata, Sink, SinkError, SinkReport, SinkUnavailableError
from model_runner.sinks.factory import KinesisSinkSpec, RequestSinks, S3SinkSpec, SinkSpec, build_sinks
from model_runner.sinks.kinesis import KinesisSink
from model_runner.sinks.s3 import S3Sink, object_key
from model_runner.sinks.stac import StacSink

__all__ = [
    "Feature",
    "ImageMetadata",
    "KinesisSink",
    "KinesisSinkSpec",
    "RequestSinks",
    "S3Sink",
    "S3SinkSpec",
    "Sink",
    "SinkError",
    "SinkReport",
    "SinkSpec",
    "SinkUnavailableError",
    "StacSink",
    "build_sinks",
    "object_key",
]
