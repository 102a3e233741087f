"""SageMaker in the local stack: endpoints described by moto, invoked through the emulator, and
the real-time detector calling them as the worker would."""

from __future__ import annotations

import random
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
import pytest
from sagemaker_support import emulator_stats, runtime_client

from model_runner.api import ImageProcessor
from model_runner.backoff import Backoff
from model_runner.inference.invocation_error import ModelInvocationError
from model_runner.inference.sagemaker import (
    PAYLOAD_LIMIT_BYTES,
    SageMakerDetectors,
    TileTooLargeError,
)
from model_runner.local import LocalStack
from model_runner.scheduling import CallPermits, PermitOnTheWire

pytestmark = pytest.mark.e2e

ROLE = "arn:aws:iam::123456789012:role/model-invoker"


@pytest.fixture(scope="module")
def emulator(stack: LocalStack) -> str:
    """The emulator's URL."""
    assert stack.sagemaker_runtime_url is not None
    return stack.sagemaker_runtime_url


class StackClients:
    """AwsClients.client for the stack: sagemaker-runtime at the emulator, sagemaker at moto."""

    def __init__(self, stack: LocalStack) -> None:
        assert stack.sagemaker_runtime_url is not None
        self.runtime = runtime_client(stack.sagemaker_runtime_url)
        self.control = boto3.client(
            "sagemaker",
            endpoint_url=stack.endpoint_url,
            region_name=stack.region,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        self.roles: set[str | None] = set()

    def __call__(self, service: str, *, role_arn: str | None = None) -> Any:
        self.roles.add(role_arn)
        return self.runtime if service == "sagemaker-runtime" else self.control


@pytest.fixture(scope="module")
def detectors(stack: LocalStack) -> SageMakerDetectors:
    return SageMakerDetectors(StackClients(stack), Backoff(11, base_s=0.05, cap_s=0.5), rng=random.Random(3))


def processor(name: str) -> ImageProcessor:
    return ImageProcessor.model_validate({"name": name, "type": "SM_ENDPOINT", "assumedRole": ROLE})


def test_the_worker_environment_sends_runtime_calls_to_the_emulator(
    stack: LocalStack, monkeypatch: pytest.MonkeyPatch, tile: Callable[..., bytes]
) -> None:
    for name, value in stack.env.items():
        monkeypatch.setenv(name, value)

    runtime, control = boto3.client("sagemaker-runtime"), boto3.client("sagemaker")

    answer = runtime.invoke_endpoint(EndpointName="detector", Body=tile(), ContentType="image/png")
    assert answer["InvokedProductionVariant"] == "AllTraffic"
    described = control.describe_endpoint(EndpointName="sm-split")
    assert [
        (variant["VariantName"], variant["CurrentWeight"], variant["CurrentInstanceCount"])
        for variant in described["ProductionVariants"]
    ] == [("a", 3.0, 2), ("b", 1.0, 1)]
    queued = control.describe_endpoint_config(
        EndpointConfigName=described["EndpointConfigName"].replace("sm-split", "sm-queued")
    )
    assert queued["AsyncInferenceConfig"]["OutputConfig"]["S3OutputPath"] == "s3://mr-results/async"


def test_the_detector_spreads_tiles_over_the_described_weights(
    detectors: SageMakerDetectors, emulator: str, tile: Callable[..., bytes]
) -> None:
    detector = detectors(processor("sm-split"), {})
    before = emulator_stats(emulator)["sm-split"]["variants"]

    for seed in range(60):
        assert b"FeatureCollection" in detector.detect(tile(seed=seed), "image/png")

    after = emulator_stats(emulator)["sm-split"]["variants"]
    sent = {name: after.get(name, 0) - before.get(name, 0) for name in ("a", "b")}
    assert sent["a"] + sent["b"] == 60
    assert sent["a"] > sent["b"] > 0


def test_the_detector_honours_the_requests_target_variant(
    detectors: SageMakerDetectors, emulator: str, tile: Callable[..., bytes]
) -> None:
    detector = detectors(processor("sm-split"), {"TargetVariant": "b"})
    before = emulator_stats(emulator)["sm-split"]["variants"]

    for seed in range(10):
        detector.detect(tile(seed=seed), "image/png")

    after = emulator_stats(emulator)["sm-split"]["variants"]
    assert after["b"] - before.get("b", 0) == 10
    assert after.get("a", 0) == before.get("a", 0)


def test_retries_absorb_throttling(
    detectors: SageMakerDetectors, emulator: str, tile: Callable[..., bytes]
) -> None:
    detector = detectors(processor("sm-narrow"), {})

    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda seed: detector.detect(tile(seed=seed), "image/png"), range(12)))

    assert all(b"FeatureCollection" in answer for answer in answers)
    assert emulator_stats(emulator)["sm-narrow"]["throttled"] > 0


def test_calls_holding_one_permit_on_the_wire_never_exceed_an_endpoint_of_capacity_one(
    detectors: SageMakerDetectors, emulator: str, tile: Callable[..., bytes]
) -> None:
    detector = detectors(processor("sm-narrow"), {})
    permits = CallPermits(1)
    before = emulator_stats(emulator)["sm-narrow"]

    def call(seed: int) -> bytes:
        with PermitOnTheWire((permits.call,)) as hold:
            return detector.detect_on_the_wire(tile(seed=seed), "image/png", hold)

    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(call, range(12)))

    after = emulator_stats(emulator)["sm-narrow"]
    assert all(b"FeatureCollection" in answer for answer in answers)
    assert after["answered"] - before.get("answered", 0) == 12
    assert after.get("throttled", 0) == before.get("throttled", 0)  # the permit was held as each was sent


def test_a_model_error_becomes_the_tiles_failure_reason_and_its_message_goes_to_the_log(
    detectors: SageMakerDetectors, tile: Callable[..., bytes], caplog: pytest.LogCaptureFixture
) -> None:
    answered = r"model of sm-broken answered HTTP 500 \(ModelError\)"
    with pytest.raises(ModelInvocationError, match=answered) as failed:
        detectors(processor("sm-broken"), {}).detect(tile(), "image/png")
    assert "failure model" not in str(failed.value)
    assert "failure model (http_500)" in caplog.text


def test_an_oversize_tile_never_reaches_the_emulator(detectors: SageMakerDetectors, emulator: str) -> None:
    before = emulator_stats(emulator)["detector"].get("invocations", 0)

    with pytest.raises(TileTooLargeError):
        detectors(processor("detector"), {}).detect(b"\0" * (PAYLOAD_LIMIT_BYTES + 1), "image/png")

    assert emulator_stats(emulator)["detector"].get("invocations", 0) == before
