"""The sinks of a request, built from their specs with clients from the injected factory."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from model_runner.sinks.backoff import Backoff
from model_runner.sinks.base import ClientFactory, Sink
from model_runner.sinks.kinesis import MAX_RECORDS_PER_CALL, KinesisSink
from model_runner.sinks.s3 import S3Sink


@dataclass(frozen=True)
class S3SinkSpec:
    """An S3 output of a request: ``{"type": "S3", "bucket", "prefix", "role"?}``."""

    bucket: str
    prefix: str = ""
    role_arn: str | None = None


@dataclass(frozen=True)
class KinesisSinkSpec:
    """A Kinesis output of a request: ``{"type": "Kinesis", "stream", "batchSize"?, "assumedRole"?}``."""

    stream: str
    batch_size: int = MAX_RECORDS_PER_CALL
    role_arn: str | None = None


SinkSpec = S3SinkSpec | KinesisSinkSpec


def build_sinks(
    specs: Sequence[SinkSpec], client: ClientFactory, *, backoff: Backoff | None = None
) -> list[Sink]:
    """One sink per spec, in order, each with a client for its own role.

    Raises:
        ValueError: a Kinesis batch size below 1.
    """
    sinks: list[Sink] = []
    for spec in specs:
        if isinstance(spec, S3SinkSpec):
            sinks.append(S3Sink(client("s3", role_arn=spec.role_arn), spec.bucket, spec.prefix))
        else:
            sinks.append(
                KinesisSink(client("kinesis", role_arn=spec.role_arn), spec.stream, spec.batch_size, backoff)
            )
    return sinks
