"""The SageMaker runtime emulator speaks InvokeEndpoint as boto3 sends and parses it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import urllib3
from botocore.exceptions import ClientError
from sagemaker_support import emulator_stats, runtime_client

from model_runner.errors import ConfigurationError
from model_runner.local import ModelSpec, ServerProcess
from model_runner.local.models import INVOCATIONS_PATH, model_server_command
from model_runner.local.processes import start_servers
from model_runner.local.sagemaker import (
    EmulatedEndpoint,
    EmulatedVariant,
    sagemaker_emulator_command,
    start_sagemaker_emulator,
)
from model_runner.local.sagemaker.endpoints import endpoints_from_json, endpoints_to_json

pytestmark = pytest.mark.e2e

SLOW_MS = 300


@pytest.fixture(scope="module")
def models() -> Iterator[dict[str, str]]:
    specs = {
        "centre": ModelSpec("centerpoint"),
        "flood": ModelSpec("flood", count=3),
        "broken": ModelSpec("failure"),
    }
    servers = start_servers([model_server_command(spec) for spec in specs.values()])
    yield {name: server.url + INVOCATIONS_PATH for name, server in zip(specs, servers, strict=True)}
    for server in servers:
        server.stop()


@pytest.fixture(scope="module")
def emulator(models: dict[str, str]) -> Iterator[ServerProcess]:
    endpoints = {
        "centre": EmulatedEndpoint.serving(models["centre"]),
        "broken": EmulatedEndpoint.serving(models["broken"]),
        "narrow": EmulatedEndpoint.serving(models["centre"], latency_ms=SLOW_MS, max_concurrency=1),
        "flaky": EmulatedEndpoint.serving(models["centre"], failure_rate=1.0),
        "split": EmulatedEndpoint(
            variants=(EmulatedVariant("a", models["centre"], weight=3), EmulatedVariant("b", models["flood"]))
        ),
    }
    with start_sagemaker_emulator(endpoints) as server:
        yield server


@pytest.fixture(scope="module")
def runtime(emulator: ServerProcess) -> Any:
    return runtime_client(emulator.url)


def test_invoke_endpoint_returns_the_models_answer(
    runtime: Any, models: dict[str, str], tile: Callable[..., bytes]
) -> None:
    body = tile()
    direct = urllib3.request("POST", models["centre"], body=body, headers={"Content-Type": "image/png"}).data

    answer = runtime.invoke_endpoint(
        EndpointName="centre", Body=body, ContentType="image/png", Accept="application/json"
    )

    assert answer["Body"].read() == direct
    assert answer["ContentType"] == "application/json"
    assert answer["InvokedProductionVariant"] == "AllTraffic"


def test_an_unknown_endpoint_is_a_validation_error(runtime: Any, tile: Callable[..., bytes]) -> None:
    with pytest.raises(runtime.exceptions.ValidationError, match="Endpoint missing of account"):
        runtime.invoke_endpoint(EndpointName="missing", Body=tile(), ContentType="image/png")


def test_a_model_error_carries_the_models_status_and_message(
    runtime: Any, tile: Callable[..., bytes]
) -> None:
    with pytest.raises(runtime.exceptions.ModelError) as raised:
        runtime.invoke_endpoint(EndpointName="broken", Body=tile(), ContentType="image/png")

    assert raised.value.response["OriginalStatusCode"] == 500
    assert "failure model (http_500)" in raised.value.response["OriginalMessage"]
    assert raised.value.response["LogStreamArn"].startswith("arn:aws:logs:")
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 424


def test_calls_past_the_concurrency_limit_are_throttled(
    emulator: ServerProcess, runtime: Any, tile: Callable[..., bytes]
) -> None:
    def call(seed: int) -> str:
        try:
            runtime.invoke_endpoint(EndpointName="narrow", Body=tile(seed=seed), ContentType="image/png")
        except ClientError as error:
            return str(error.response["Error"]["Code"])
        return "ok"

    with ThreadPoolExecutor(4) as pool:
        outcomes = list(pool.map(call, range(4)))

    assert outcomes.count("ok") >= 1
    assert outcomes.count("ThrottlingException") >= 1
    assert set(outcomes) <= {"ok", "ThrottlingException"}
    assert emulator_stats(emulator.url)["narrow"]["throttled"] == outcomes.count("ThrottlingException")


def test_injected_failures_are_service_unavailable(runtime: Any, tile: Callable[..., bytes]) -> None:
    with pytest.raises(ClientError) as raised:
        runtime.invoke_endpoint(EndpointName="flaky", Body=tile(), ContentType="image/png")

    assert raised.value.response["Error"]["Code"] == "ServiceUnavailable"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 503


def test_target_variant_routes_to_that_variant(runtime: Any, tile: Callable[..., bytes]) -> None:
    for _ in range(5):
        answer = runtime.invoke_endpoint(
            EndpointName="split", Body=tile(), ContentType="image/png", TargetVariant="b"
        )
        assert answer["InvokedProductionVariant"] == "b"
    with pytest.raises(runtime.exceptions.ValidationError, match="Variant c not found"):
        runtime.invoke_endpoint(EndpointName="split", Body=tile(), ContentType="image/png", TargetVariant="c")


def test_calls_without_target_variant_follow_the_weights(runtime: Any, tile: Callable[..., bytes]) -> None:
    seen = [
        runtime.invoke_endpoint(EndpointName="split", Body=tile(), ContentType="image/png")[
            "InvokedProductionVariant"
        ]
        for _ in range(80)
    ]

    assert 0.55 < seen.count("a") / len(seen) < 0.92


def test_a_body_over_six_megabytes_is_refused(runtime: Any) -> None:
    with pytest.raises(ClientError) as raised:
        runtime.invoke_endpoint(
            EndpointName="centre", Body=b"x" * (6 * 1024 * 1024 + 1), ContentType="image/png"
        )

    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 413
    assert "content length exceeded 6291456" in raised.value.response["Error"]["Message"]


def test_endpoints_survive_the_round_trip_through_json() -> None:
    endpoints = {
        "e": EmulatedEndpoint(
            variants=(EmulatedVariant("a", "http://127.0.0.1:1/invocations", weight=2.0, instance_count=3),),
            latency_ms=5,
            max_concurrency=2,
            failure_rate=0.1,
            failure_error="InternalFailure",
        )
    }

    assert endpoints_from_json(endpoints_to_json(endpoints)) == endpoints


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ('{"e": {"variants": []}}', "at least one"),
        ('{"e": {"variants": [{"name": "a", "model": "centre"}]}}', "http"),
        ('{"e": {"variants": [{"name": "a", "model": "http://h/i", "weight": 0}]}}', "positive"),
        ('{"e": {"variants": [{"name": "a", "model": "http://h/i"}], "failure_rate": 2}}', "failure_rate"),
        ('{"e": {"variants": [{"name": "a", "model": "http://h/i", "colour": 1}]}}', "colour"),
        ("not json", "SageMaker emulator endpoints"),
    ],
)
def test_invalid_endpoints_are_refused_with_the_reason(text: str, reason: str) -> None:
    with pytest.raises(ConfigurationError, match=reason):
        endpoints_from_json(text)


def test_a_variant_model_that_is_no_url_is_refused_before_starting() -> None:
    with pytest.raises(ConfigurationError, match="must be an http"):
        sagemaker_emulator_command({"e": EmulatedEndpoint.serving("centre")})
