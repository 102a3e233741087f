"""What every output sink offers: the protocol, its report and its error."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from model_runner.errors import ModelRunnerError, QueueAction
from model_runner.features.encoded_features import EncodedFeatures

Feature = Mapping[str, Any]
"""A geolocated GeoJSON Feature with a deterministic string ``id``."""


class FeatureSource(Protocol):
    """An image's output features, already JSON, streamed a chunk at a time: a sink never holds
    them all. Each call of :meth:`chunks` streams them anew, in the same order."""

    @property
    def count(self) -> int:
        """How many features there are."""
        ...

    @property
    def class_counts(self) -> Mapping[str, int]:
        """How many times each class IRI appears in the features' featureClasses."""
        ...

    def chunks(self) -> Iterator[EncodedFeatures]: ...


class SinkError(ModelRunnerError):
    """A sink could not write an image's features; ``str(error)`` is the reason for the user.

    The image is recorded FAILED (or PARTIAL when another sink succeeded) with that reason.
    """

    action = QueueAction.FAIL_JOB

    def __init__(self, reason: str, *, code: str | None = None) -> None:
        self.reason = reason
        self.code = code
        super().__init__(reason)


class SinkUnavailableError(SinkError):
    """A sink could not be reached now (timeouts, throttling that outlasted the retries, 5xx): the
    image is not failed; its completion is retried later."""

    action = QueueAction.RETRY


@dataclass(frozen=True)
class SinkReport:
    """What one sink wrote for one image."""

    sink: str
    """The sink, for people: ``S3 bucket 'results'``, ``Kinesis stream 'features'``."""
    features_written: int
    location: str
    """Where the features went: ``s3://bucket/key`` or the stream name."""


@dataclass(frozen=True)
class ImageMetadata:
    """What a sink may need to know about the image besides its id."""

    image_url: str | None = None
    """The image's location (``s3://bucket/path/name.tif`` or a local path); names the S3 object."""
    source_url: str | None = None
    """The image's location, for outputs that link to it (STAC); unlike ``image_url``, it does not
    change the S3 object's name."""
    footprint: Mapping[str, Any] | None = None
    """GeoJSON geometry (WGS84) of the processed area: the image, or its region of interest."""
    inference_time: str | None = None
    """ISO-8601 UTC time the image's processing started."""


class Sink(Protocol):
    """A destination of features; writing the same image twice replaces rather than duplicates
    where the destination allows it (S3), and never drops a feature silently."""

    @property
    def description(self) -> str:
        """The sink, for people and logs."""
        ...

    def write(
        self,
        job_id: str,
        image_id: str,
        features: FeatureSource,
        *,
        metadata: ImageMetadata | None = None,
    ) -> SinkReport:
        """Write every feature of one image (streamed from ``features``).

        Raises:
            SinkError: the features could not all be written; the reason names the resource.
        """
        ...
