"""Endpoint capacity from SageMaker's descriptions (in-process moto): serverless MaxConcurrency,
instances times the concurrency tag or the default, per variant or summed, cached for its TTL and
described by one caller at a time."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from model_runner.api import ImageProcessor, ModelInvocationType
from model_runner.inference.endpoint_capacity import EndpointCapacities
from model_runner.inference.sagemaker import EndpointVariants
from model_runner.local.sagemaker import EmulatedEndpoint, EmulatedVariant
from model_runner.local.sagemaker.control_plane import _create


@pytest.fixture
def sagemaker(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        yield boto3.client("sagemaker", region_name="us-east-1")


class CountingClients:
    def __init__(self, client: Any) -> None:
        self.client = client
        self.calls = 0

    def __call__(self, service: str, *, role_arn: str | None = None) -> Any:
        self.calls += 1
        return self.client


def capacities(sagemaker: Any, **endpoints: EmulatedEndpoint) -> tuple[EndpointCapacities, CountingClients]:
    for name, endpoint in endpoints.items():
        _create(sagemaker, name, endpoint)
    clients = CountingClients(sagemaker)
    estimator = EndpointCapacities(EndpointVariants(clients), instance_concurrency=2, http_concurrency=10)
    return estimator, clients


def test_capacity_follows_each_kind_of_endpoint(sagemaker: Any) -> None:
    estimator, _ = capacities(
        sagemaker,
        serverless=EmulatedEndpoint(
            variants=(EmulatedVariant("AllTraffic", "http://m", serverless_max_concurrency=7),)
        ),
        tagged=EmulatedEndpoint(
            variants=(EmulatedVariant("AllTraffic", "http://m", instance_count=3),), instance_concurrency=5
        ),
        untagged=EmulatedEndpoint(variants=(EmulatedVariant("AllTraffic", "http://m", instance_count=3),)),
        mixed=EmulatedEndpoint(
            variants=(
                EmulatedVariant("a", "http://m", instance_count=2),
                EmulatedVariant("b", "http://m", serverless_max_concurrency=4),
            )
        ),
    )

    def of(name: str, variant: str | None = None) -> int:
        return estimator.concurrency(ImageProcessor(name=name), variant)

    assert of("serverless") == 7
    assert of("tagged") == 15
    assert of("untagged") == 6  # 3 instances x DEFAULT_INSTANCE_CONCURRENCY
    assert (of("mixed"), of("mixed", "a"), of("mixed", "b")) == (8, 4, 4)
    assert of("missing") == 2  # cannot be described: the default
    http = ImageProcessor(name="http://127.0.0.1:9/m", type=ModelInvocationType.HTTP_ENDPOINT)
    assert estimator.concurrency(http) == 10


def test_an_endpoint_is_described_once_per_ttl_not_per_call(sagemaker: Any) -> None:
    estimator, clients = capacities(
        sagemaker, ep=EmulatedEndpoint(variants=(EmulatedVariant("AllTraffic", "http://m"),))
    )
    for _ in range(20):
        assert estimator.concurrency(ImageProcessor(name="ep")) == 2

    assert clients.calls == 2  # DescribeEndpoint and ListTags, once


class SlowSageMaker:
    """The moto client, each DescribeEndpoint and ListTags taking a while, counted."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.asked: list[str] = []

    def describe_endpoint(self, **arguments: Any) -> Any:
        self.asked.append("DescribeEndpoint")
        time.sleep(0.2)
        return self.client.describe_endpoint(**arguments)

    def list_tags(self, **arguments: Any) -> Any:
        self.asked.append("ListTags")
        time.sleep(0.2)
        return self.client.list_tags(**arguments)


def test_callers_asking_while_an_endpoint_is_described_take_that_answer(sagemaker: Any) -> None:
    """The capacity learned ahead (while the image is taken in) and the cycle that needs it meanwhile
    make one DescribeEndpoint and one ListTags, not one each."""
    _create(
        sagemaker,
        "ep",
        EmulatedEndpoint(
            variants=(EmulatedVariant("AllTraffic", "http://m", instance_count=3),), instance_concurrency=5
        ),
    )
    slow = SlowSageMaker(sagemaker)
    estimator = EndpointCapacities(
        EndpointVariants(CountingClients(slow)), instance_concurrency=2, http_concurrency=10
    )
    answers: list[int] = []
    askers = [
        threading.Thread(target=lambda: answers.append(estimator.concurrency(ImageProcessor(name="ep"))))
        for _ in range(4)
    ]

    for asker in askers:
        asker.start()
        time.sleep(0.05)  # the later ones come while the first is describing, then listing tags
    for asker in askers:
        asker.join(10)

    assert answers == [15] * 4
    assert slow.asked == ["DescribeEndpoint", "ListTags"]
