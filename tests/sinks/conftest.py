"""Fixtures of the sink tests: moto-backed clients, features and a call-recording client wrapper."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

REGION = "us-east-1"


class RecordingClient:
    """Delegates to a real client and records every call as (method name, keyword arguments)."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.client, name)

        def call(**kwargs: Any) -> Any:
            self.calls.append((name, kwargs))
            return method(**kwargs)

        return call

    def names(self) -> list[str]:
        return [name for name, _ in self.calls]

    def kwargs_of(self, name: str) -> list[dict[str, Any]]:
        return [kwargs for called, kwargs in self.calls if called == name]


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every boto3 client made inside the test talks to moto's in-process mock."""
    for variable in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.setenv(variable, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        yield


@pytest.fixture
def s3(aws: None) -> Any:
    return boto3.client("s3", region_name=REGION)


@pytest.fixture
def kinesis(aws: None) -> Any:
    return boto3.client("kinesis", region_name=REGION)


@pytest.fixture
def make_features() -> Callable[..., list[dict[str, Any]]]:
    """``make_features(count, pad=0)``: Point features with ids f-0, f-1, ... and ``pad`` bytes of text."""

    def make(count: int, pad: int = 0) -> list[dict[str, Any]]:
        return [
            {
                "type": "Feature",
                "id": f"f-{index}",
                "geometry": {"type": "Point", "coordinates": [10.0 + index * 1e-4, 50.0]},
                "properties": {"featureClasses": [{"iri": "car", "score": 0.9}], "pad": "x" * pad},
            }
            for index in range(count)
        ]

    return make


@pytest.fixture
def recording() -> Callable[[Any], RecordingClient]:
    return RecordingClient
