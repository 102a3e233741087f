"""The SageMaker real-time detector against recording fakes of the boto3 clients."""

from __future__ import annotations

import io
import random
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from types import SimpleNamespace
from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError
from botocore.hooks import HierarchicalEmitter
from pydantic import JsonValue

from model_runner.api import ImageProcessor
from model_runner.backoff import Backoff
from model_runner.errors import QueueAction
from model_runner.inference.invocation_error import ModelInvocationError
from model_runner.inference.sagemaker import (
    PAYLOAD_LIMIT_BYTES,
    SEND_EVENT,
    EndpointVariants,
    SageMakerDetectors,
    TileTooLargeError,
)
from model_runner.scheduling import PermitOnTheWire

ROLE = "arn:aws:iam::123456789012:role/model-invoker"
ANSWER = b'{"type": "FeatureCollection", "features": []}'


def client_error(code: str, status: int, message: str = "", **fields: Any) -> ClientError:
    response: Any = {
        "Error": {"Code": code, "Message": message},
        "ResponseMetadata": {"HTTPStatusCode": status},
        **fields,
    }
    return ClientError(response, "InvokeEndpoint")


class FakeRuntime:
    """invoke_endpoint that records its arguments, says it sends as botocore does (its event
    system, the ``before-send`` event), then raises the queued errors first."""

    def __init__(self, *errors: Exception, log: list[str] | None = None) -> None:
        self.calls: list[dict[str, Any]] = []
        self.errors = list(errors)
        self.meta = SimpleNamespace(events=HierarchicalEmitter())
        self.log = log if log is not None else []

    def invoke_endpoint(self, **arguments: Any) -> dict[str, Any]:
        self.calls.append(arguments)
        self.log.append("request built and signed")
        self.meta.events.emit(SEND_EVENT, request=arguments)
        self.log.append("sent")
        if self.errors:
            raise self.errors.pop(0)
        return {"Body": Answer(ANSWER, self.log), "ContentType": "application/json"}


class Answer(io.BytesIO):
    """An answer's body that logs when it was read."""

    def __init__(self, body: bytes, log: list[str]) -> None:
        super().__init__(body)
        self.log = log

    def read(self, size: int | None = -1) -> bytes:
        self.log.append("answer read")
        return super().read(size)


class FakeControlPlane:
    """describe_endpoint answering the given variants (name, weight), or raising."""

    def __init__(self, variants: Mapping[str, float], error: Exception | None = None) -> None:
        self.variants = variants
        self.error = error
        self.describes = 0

    def describe_endpoint(self, EndpointName: str) -> dict[str, Any]:  # noqa: N803 (boto3's name)
        self.describes += 1
        if self.error is not None:
            raise self.error
        return {
            "EndpointName": EndpointName,
            "ProductionVariants": [
                {"VariantName": name, "CurrentWeight": weight, "CurrentInstanceCount": 1}
                for name, weight in self.variants.items()
            ],
        }


class FakeClients:
    """AwsClients.client: records every (service, role) asked for."""

    def __init__(self, runtime: FakeRuntime, control: FakeControlPlane) -> None:
        self.services = {"sagemaker-runtime": runtime, "sagemaker": control}
        self.requests: list[tuple[str, str | None]] = []

    def __call__(self, service: str, *, role_arn: str | None = None) -> Any:
        self.requests.append((service, role_arn))
        return self.services[service]


def detect(
    runtime: FakeRuntime,
    parameters: Mapping[str, JsonValue] | None = None,
    *,
    variants: Mapping[str, float] | None = None,
    role: str | None = None,
    retries: int = 3,
) -> tuple[bytes, FakeClients]:
    clients = FakeClients(runtime, FakeControlPlane(variants or {"AllTraffic": 1.0}))
    factory = SageMakerDetectors(clients, Backoff(retries + 1, base_s=0.01, sleep=lambda _: None))
    processor = ImageProcessor.model_validate(
        {"name": "detector", "type": "SM_ENDPOINT", "assumedRole": role}
    )
    return factory(processor, parameters or {}).detect(b"tile", "image/png"), clients


def test_the_tile_goes_to_invoke_endpoint_and_the_answer_comes_back() -> None:
    runtime = FakeRuntime()

    answer, _ = detect(runtime)

    assert answer == ANSWER
    assert runtime.calls == [
        {
            "EndpointName": "detector",
            "Body": b"tile",
            "ContentType": "image/png",
            "TargetVariant": "AllTraffic",
        }
    ]


def test_only_invoke_endpoint_parameters_are_sent() -> None:
    runtime = FakeRuntime()
    parameters: dict[str, JsonValue] = {
        "CustomAttributes": "threshold=0.5",
        "Accept": "application/geo+json",
        "InferenceId": "job-1",
        "Foo": "bar",
        "RequestTTLSeconds": 60,
    }

    detect(runtime, parameters)

    (call,) = runtime.calls
    assert set(call) == {
        "EndpointName",
        "Body",
        "ContentType",
        "TargetVariant",
        "CustomAttributes",
        "Accept",
        "InferenceId",
    }
    assert call["CustomAttributes"] == "threshold=0.5"


def test_the_requests_content_type_overrides_the_tiles() -> None:
    runtime = FakeRuntime()

    detect(runtime, {"ContentType": "application/x-image"})

    assert runtime.calls[0]["ContentType"] == "application/x-image"


def test_the_requests_target_variant_is_honoured() -> None:
    runtime = FakeRuntime()

    detect(runtime, {"TargetVariant": "shadow"}, variants={"main": 1.0, "shadow": 0.0})

    assert runtime.calls[0]["TargetVariant"] == "shadow"


@pytest.mark.parametrize("parameter", ["InferenceComponentName", "SessionId"])
def test_calls_routed_by_sagemaker_name_no_variant(parameter: str) -> None:
    runtime = FakeRuntime()

    detect(runtime, {parameter: "x"}, variants={"main": 1.0})

    assert "TargetVariant" not in runtime.calls[0]


def test_variants_are_chosen_by_weight() -> None:
    control = FakeControlPlane({"a": 3.0, "b": 1.0, "off": 0.0})
    variants = EndpointVariants(FakeClients(FakeRuntime(), control), rng=random.Random(7))

    chosen = Counter(variants.choose("detector", None) for _ in range(4000))

    assert chosen["off"] == 0
    assert chosen["a"] / 4000 == pytest.approx(0.75, abs=0.03)
    assert control.describes == 1


def test_descriptions_are_cached_for_their_ttl() -> None:
    now = [0.0]
    control = FakeControlPlane({"a": 1.0})
    variants = EndpointVariants(FakeClients(FakeRuntime(), control), ttl_s=60, clock=lambda: now[0])

    variants.choose("detector", None)
    now[0] = 59.0
    variants.choose("detector", None)
    assert control.describes == 1
    now[0] = 61.0
    variants.choose("detector", None)
    assert control.describes == 2


def test_an_endpoint_that_cannot_be_described_is_called_without_a_variant() -> None:
    runtime = FakeRuntime()
    denied = client_error("AccessDeniedException", 403, "not authorized to DescribeEndpoint")
    clients = FakeClients(runtime, FakeControlPlane({}, error=denied))
    factory = SageMakerDetectors(clients, Backoff(2, sleep=lambda _: None))
    processor = ImageProcessor(name="detector")

    assert factory(processor, {}).detect(b"tile", "image/png") == ANSWER
    assert "TargetVariant" not in runtime.calls[0]


def test_the_assumed_role_makes_both_calls() -> None:
    _, clients = detect(FakeRuntime(), role=ROLE)

    assert set(clients.requests) == {("sagemaker-runtime", ROLE), ("sagemaker", ROLE)}


def test_throttling_and_transient_faults_are_retried_until_they_pass() -> None:
    runtime = FakeRuntime(
        client_error("ThrottlingException", 400, "Rate exceeded"),
        client_error("ServiceUnavailable", 503),
        client_error("InternalFailure", 500),
        EndpointConnectionError(endpoint_url="https://runtime.sagemaker"),
    )

    answer, _ = detect(runtime, retries=4)

    assert answer == ANSWER
    assert len(runtime.calls) == 5


def test_the_permits_are_taken_when_the_request_goes_out_and_kept_through_a_retry() -> None:
    log: list[str] = []
    runtime = FakeRuntime(client_error("ThrottlingException", 400, "Rate exceeded"), log=log)

    @contextmanager
    def permit() -> Iterator[None]:
        log.append("permit taken")
        yield
        log.append("permit given back")

    clients = FakeClients(runtime, FakeControlPlane({"AllTraffic": 1.0}))
    backoff = Backoff(3, base_s=0.01, sleep=lambda _: log.append("backoff"))
    detector = SageMakerDetectors(clients, backoff)(ImageProcessor(name="detector"), {})

    with PermitOnTheWire((permit,)) as hold:
        assert detector.detect_on_the_wire(b"tile", "image/png", hold) == ANSWER
        log.append("call ended")

    assert log == [
        "request built and signed", "permit taken", "sent",  # not held while the request is built
        "backoff",  # throttled: the permit is kept, so the region slows down with its endpoint
        "request built and signed", "sent", "answer read",
        "call ended", "permit given back",
    ]  # fmt: skip


def test_throttling_past_the_retries_fails_the_tile_saying_so() -> None:
    runtime = FakeRuntime(*(client_error("ThrottlingException", 400, "Rate exceeded") for _ in range(3)))

    with pytest.raises(
        ModelInvocationError, match="ThrottlingException after 2 retries: Rate exceeded"
    ) as raised:
        detect(runtime, retries=2)

    assert len(runtime.calls) == 3
    assert raised.value.action is QueueAction.RETRY


def test_a_model_error_fails_with_its_status_and_logs_the_models_own_message_and_is_not_retried(
    caplog: pytest.LogCaptureFixture,
) -> None:
    runtime = FakeRuntime(
        client_error(
            "ModelError",
            424,
            'Received server error (500) from primary with message "...".',
            OriginalStatusCode=500,
            OriginalMessage='{"error": "CUDA out of memory"}',
        )
    )

    with pytest.raises(ModelInvocationError) as raised:
        detect(runtime)

    assert str(raised.value) == (
        "model of detector answered HTTP 500 (ModelError): the model's message is in the worker log"
    )
    assert "CUDA out of memory" in caplog.text
    assert raised.value.status == 500
    assert len(runtime.calls) == 1


def test_a_validation_error_of_the_requests_variant_fails_at_once() -> None:
    runtime = FakeRuntime(client_error("ValidationError", 400, "Variant nope not found"))

    with pytest.raises(ModelInvocationError, match="ValidationError: Variant nope not found") as raised:
        detect(runtime, {"TargetVariant": "nope"})

    assert len(runtime.calls) == 1
    assert raised.value.action is QueueAction.FAIL_JOB


def test_a_variant_gone_since_the_description_is_left_to_sagemaker() -> None:
    runtime = FakeRuntime(client_error("ValidationError", 400, "Variant old not found"))

    answer, _ = detect(runtime, variants={"old": 1.0})

    assert answer == ANSWER
    assert [call.get("TargetVariant") for call in runtime.calls] == ["old", None]


def test_an_oversize_tile_is_refused_before_any_call() -> None:
    runtime = FakeRuntime()
    clients = FakeClients(runtime, FakeControlPlane({"a": 1.0}))
    detector = SageMakerDetectors(clients, Backoff(4))(ImageProcessor(name="detector"), {})

    with pytest.raises(TileTooLargeError, match=r"over SageMaker's 6291456-byte \(6 MB\) limit") as raised:
        detector.detect(b"x" * (PAYLOAD_LIMIT_BYTES + 1), "image/png")

    assert runtime.calls == []
    assert raised.value.action is QueueAction.FAIL_JOB
