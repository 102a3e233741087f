"""The sinks of a request, built from its outputs with clients from the injected factory."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from model_runner.api import KinesisSink as KinesisOutput
from model_runner.api import S3Sink as S3Output
from model_runner.api import Sink as Output
from model_runner.api import StacSink as StacOutput
from model_runner.aws.client_factory import ClientFactory
from model_runner.backoff import Backoff
from model_runner.sinks.base import Sink
from model_runner.sinks.kinesis import MAX_RECORDS_PER_CALL, KinesisSink
from model_runner.sinks.s3 import S3Sink
from model_runner.sinks.stac import StacSink


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


@dataclass(frozen=True)
class StacSinkSpec:
    """A STAC output of a request: ``{"type": "STAC", "bucket", "prefix", "role"?}``."""

    bucket: str
    prefix: str = ""
    role_arn: str | None = None


SinkSpec = S3SinkSpec | KinesisSinkSpec | StacSinkSpec


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
        elif isinstance(spec, StacSinkSpec):
            sinks.append(StacSink(client("s3", role_arn=spec.role_arn), spec.bucket, spec.prefix))
        else:
            sinks.append(
                KinesisSink(client("kinesis", role_arn=spec.role_arn), spec.stream, spec.batch_size, backoff)
            )
    return sinks


class RequestSinks:
    """Builds the sinks a request's ``outputs`` name (the handlers' sink factory port)."""

    def __init__(self, client: ClientFactory, *, backoff: Backoff | None = None) -> None:
        self._client = client
        self._backoff = backoff

    def __call__(self, outputs: Sequence[Output]) -> list[Sink]:
        return build_sinks([_spec(output) for output in outputs], self._client, backoff=self._backoff)


def _spec(output: Output) -> SinkSpec:
    if isinstance(output, S3Output):
        return S3SinkSpec(bucket=output.bucket, prefix=output.prefix, role_arn=output.role)
    if isinstance(output, StacOutput):
        return StacSinkSpec(bucket=output.bucket, prefix=output.prefix, role_arn=output.role)
    if isinstance(output, KinesisOutput):
        return KinesisSinkSpec(
            stream=output.stream,
            batch_size=output.batch_size or KinesisSinkSpec.batch_size,
            role_arn=output.assumed_role,
        )
    raise TypeError(f"unknown output {output!r}")
