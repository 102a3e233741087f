"""Where a job's features are written: S3 objects, a Kinesis stream, or S3 objects with STAC Items."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BeforeValidator, Field

from model_runner.api.wire import RoleArn, WireModel, non_empty


def _matching(pattern: str, description: str) -> AfterValidator:
    compiled = re.compile(pattern)

    def check(value: str) -> str:
        if not compiled.match(value):
            raise ValueError(f"must be {description} (got {value!r})")
        return value

    return AfterValidator(check)


BucketName = Annotated[
    str,
    _matching(
        r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$",
        "an S3 bucket name: 3 to 63 lowercase letters, digits, dots and hyphens",
    ),
]
StreamName = Annotated[
    str,
    _matching(r"^[a-zA-Z0-9_.-]{1,128}$", "a Kinesis stream name: 1 to 128 letters, digits, _ . and -"),
]


class S3Sink(WireModel):
    """Features written as GeoJSON objects under ``s3://bucket/prefix``."""

    type: Literal["S3"] = "S3"
    bucket: BucketName
    prefix: str = ""
    role: RoleArn | None = None


class KinesisSink(WireModel):
    """Features written as records of a Kinesis data stream."""

    type: Literal["Kinesis"] = "Kinesis"
    stream: StreamName
    batch_size: Annotated[int, Field(ge=1, le=500)] | None = None
    assumed_role: RoleArn | None = None


class StacSink(WireModel):
    """Features written as GeoJSON objects under ``s3://bucket/prefix``, each with a STAC Item
    (label extension) beside it that describes the processed area, the classes and the source image."""

    type: Literal["STAC"] = "STAC"
    bucket: BucketName
    prefix: str = ""
    role: RoleArn | None = None


SINK_TYPES = ("S3", "Kinesis", "STAC")
"""The sink "type" values, as written; any letter case is accepted on input."""
_CANONICAL_TYPES = {name.casefold(): name for name in SINK_TYPES}


def _canonical_types(value: object) -> object:
    if not isinstance(value, list | tuple):
        return value
    return [
        {**item, "type": _CANONICAL_TYPES.get(item["type"].casefold(), item["type"])}
        if isinstance(item, dict) and isinstance(item.get("type"), str)
        else item
        for item in value
    ]


Sink = Annotated[S3Sink | KinesisSink | StacSink, Field(discriminator="type")]
Sinks = Annotated[tuple[Sink, ...], BeforeValidator(_canonical_types), non_empty("output")]
"""A non-empty list of sinks, discriminated by their case-insensitive "type"."""
