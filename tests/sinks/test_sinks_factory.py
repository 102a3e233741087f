"""Building a request's sinks from their specs, and the backoff between Kinesis attempts."""

from __future__ import annotations

from typing import Any

import pytest

from model_runner.backoff import Backoff
from model_runner.sinks import KinesisSinkSpec, S3SinkSpec, build_sinks

ROLE = "arn:aws:iam::123456789012:role/results-writer"


class RecordingFactory:
    """A client factory that hands out a marker object and records what was asked for."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str | None]] = []

    def __call__(self, service: str, *, role_arn: str | None = None) -> Any:
        self.requests.append((service, role_arn))
        return object()


def test_each_sink_gets_a_client_for_its_own_role() -> None:
    factory = RecordingFactory()

    sinks = build_sinks(
        [
            S3SinkSpec(bucket="results", prefix="out", role_arn=ROLE),
            KinesisSinkSpec(stream="features", batch_size=100),
        ],
        factory,
    )

    assert factory.requests == [("s3", ROLE), ("kinesis", None)]
    assert [sink.description for sink in sinks] == ["S3 bucket 'results'", "Kinesis stream 'features'"]


def test_invalid_kinesis_batch_size_is_refused() -> None:
    with pytest.raises(ValueError, match="batch_size"):
        build_sinks([KinesisSinkSpec(stream="features", batch_size=0)], RecordingFactory())


@pytest.mark.parametrize(
    ("jitter", "expected"), [(1.0, [0.2, 0.4, 0.8, 1.0, 1.0]), (0.0, [0.1, 0.2, 0.4, 0.5, 0.5])]
)
def test_backoff_doubles_up_to_its_cap(jitter: float, expected: list[float]) -> None:
    waits: list[float] = []
    backoff = Backoff(base_s=0.2, cap_s=1.0, sleep=waits.append, jitter=lambda: jitter)

    for retry in range(1, 6):
        backoff.wait(retry)

    assert waits == pytest.approx(expected)
