"""Detectors of SageMaker real-time endpoints: one InvokeEndpoint call per tile.

Each call goes through the sagemaker-runtime client of the request's imageProcessor.assumedRole,
with only the InvokeEndpoint parameters a request may set. A request that names no TargetVariant
(nor an inference component or session, which route by themselves) goes to a variant chosen by
the weights DescribeEndpoint reports, described once per TTL. Throttling and transient faults are
retried with backoff and jitter; a model's own error fails the tile (its message is logged). A
call takes its permits only when botocore sends the signed request
(:mod:`model_runner.scheduling.on_the_wire`).
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError, HTTPClientError, SSLError
from botocore.exceptions import ConnectionError as BotoConnectionError
from pydantic import JsonValue

from model_runner.api import ImageProcessor, ModelInvocationType
from model_runner.api.processor import SAGEMAKER_PARAMETERS
from model_runner.aws.client_factory import ClientFactory
from model_runner.aws.service_errors import error_code
from model_runner.backoff import Backoff
from model_runner.errors import QueueAction
from model_runner.inference.http_client import _after
from model_runner.inference.invocation_error import ModelInvocationError, withheld_model_message
from model_runner.scheduling import PermitOnTheWire

logger = logging.getLogger(__name__)

PAYLOAD_LIMIT_BYTES = 6 * 1024 * 1024
"""SageMaker's limit on an InvokeEndpoint request body."""
DESCRIPTION_TTL_S = 300.0
RETRIED_CODES = frozenset(
    {"ThrottlingException", "ServiceUnavailable", "InternalFailure", "ModelNotReadyException"}
)
RETRIED_STATUSES = frozenset({500, 502, 503, 504})
SELF_ROUTING_PARAMETERS = ("TargetVariant", "InferenceComponentName", "SessionId")
"""Parameters with which SageMaker, not the weights, decides where a call goes."""
INVOKE_PARAMETERS = tuple(SAGEMAKER_PARAMETERS[ModelInvocationType.SM_ENDPOINT])


class TileTooLargeError(ModelInvocationError):
    """An encoded tile over SageMaker's payload limit: no call can succeed, so none is made."""

    action = QueueAction.FAIL_JOB


INSTANCE_CONCURRENCY_TAG = "osml:instance-concurrency"
"""Tag of an instance-backed endpoint: the calls one of its instances serves at once."""


@dataclass(frozen=True)
class VariantCapacity:
    """What a production variant runs on: instances, or a serverless MaxConcurrency."""

    name: str
    instances: int
    max_concurrency: int | None = None


@dataclass(frozen=True)
class EndpointDescription:
    """A described endpoint: its variants and the per-instance concurrency its tag names."""

    capacities: tuple[VariantCapacity, ...]
    instance_concurrency: int | None


@dataclass(frozen=True)
class _Described:
    variants: tuple[tuple[str, float], ...]
    capacities: tuple[VariantCapacity, ...] | None
    arn: str | None
    expires: float


class EndpointVariants:
    """The production variants (name, weight) of endpoints, from DescribeEndpoint, cached for a TTL.

    A description that fails (no permission, throttled) is logged and cached as "no variants",
    so calls go on with SageMaker's own routing instead of describing the endpoint per tile. An
    endpoint is described (and its tags listed) by one caller at a time: a caller that comes
    meanwhile (the scheduling cycle, while its capacity is being learned ahead) takes that answer
    instead of asking again.
    """

    def __init__(
        self,
        clients: ClientFactory,
        ttl_s: float = DESCRIPTION_TTL_S,
        *,
        rng: random.Random | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._clients = clients
        self._ttl_s = ttl_s
        self._rng = rng or random.Random()
        self._clock = clock
        self._cache: dict[tuple[str, str | None], _Described] = {}
        self._tags: dict[tuple[str, str | None], tuple[int | None, float]] = {}
        self._asking: dict[tuple[str, str | None], threading.Lock] = {}
        self._lock = threading.Lock()

    def choose(self, endpoint: str, role_arn: str | None) -> str | None:
        """A variant of ``endpoint`` drawn by weight; None when none has a positive weight."""
        weighted = [(name, weight) for name, weight in self._variants(endpoint, role_arn) if weight > 0]
        if not weighted:
            return None
        with self._lock:
            return self._rng.choices([name for name, _ in weighted], weights=[w for _, w in weighted])[0]

    def description(self, endpoint: str, role_arn: str | None) -> EndpointDescription | None:
        """The endpoint's variants' capacities and concurrency tag; None when it cannot be described.
        The tags are listed once per description (only the scheduler needs them)."""
        described = self._described(endpoint, role_arn)
        if described.capacities is None:
            return None
        key = (endpoint, role_arn)
        tagged = self._tags_of(key, described)
        if tagged is None:
            with self._asking_about(key):
                tagged = self._tags_of(key, described)
                if tagged is None:
                    tagged = (self._concurrency_tag(endpoint, role_arn, described.arn), described.expires)
                    with self._lock:
                        self._tags[key] = tagged
        return EndpointDescription(described.capacities, tagged[0])

    def _tags_of(self, key: tuple[str, str | None], described: _Described) -> tuple[int | None, float] | None:
        """The tag listed with ``described`` (None when not listed yet)."""
        with self._lock:
            tagged = self._tags.get(key)
        return tagged if tagged is not None and tagged[1] == described.expires else None

    def forget(self, endpoint: str, role_arn: str | None) -> None:
        """Drop the cached description, so the next call describes the endpoint again."""
        with self._lock:
            self._cache.pop((endpoint, role_arn), None)

    def _variants(self, endpoint: str, role_arn: str | None) -> tuple[tuple[str, float], ...]:
        return self._described(endpoint, role_arn).variants

    def _described(self, endpoint: str, role_arn: str | None) -> _Described:
        key = (endpoint, role_arn)
        cached = self._fresh(key)
        if cached is not None:
            return cached
        with self._asking_about(key):
            cached = self._fresh(key)
            if cached is not None:
                return cached
            described = self._describe(endpoint, role_arn)
            with self._lock:
                self._cache[key] = described
            return described

    def _fresh(self, key: tuple[str, str | None]) -> _Described | None:
        with self._lock:
            cached = self._cache.get(key)
        return cached if cached is not None and cached.expires > self._clock() else None

    def _asking_about(self, key: tuple[str, str | None]) -> threading.Lock:
        """Held while the endpoint of ``key`` is described or its tags listed (each call bounded by
        the client's timeouts)."""
        with self._lock:
            return self._asking.setdefault(key, threading.Lock())

    def _describe(self, endpoint: str, role_arn: str | None) -> _Described:
        expires = self._clock() + self._ttl_s
        try:
            described = self._clients("sagemaker", role_arn=role_arn).describe_endpoint(EndpointName=endpoint)
        except (ClientError, BotoCoreError) as error:
            logger.warning(
                "cannot describe SageMaker endpoint %s (%s): calls use its own routing", endpoint, error
            )
            return _Described((), None, None, expires)
        variants = described.get("ProductionVariants", ())
        capacities = tuple(
            VariantCapacity(
                variant["VariantName"],
                int(variant.get("CurrentInstanceCount", 0)),
                _serverless(variant),
            )
            for variant in variants
        )
        return _Described(
            tuple((variant["VariantName"], _weight(variant)) for variant in variants),
            capacities,
            described.get("EndpointArn"),
            expires,
        )

    def _concurrency_tag(self, endpoint: str, role_arn: str | None, arn: str | None) -> int | None:
        """The endpoint's per-instance concurrency tag, if it has a valid one."""
        if arn is None:
            return None
        try:
            tags = self._clients("sagemaker", role_arn=role_arn).list_tags(ResourceArn=arn).get("Tags", ())
        except (ClientError, BotoCoreError) as error:
            logger.warning("cannot list the tags of SageMaker endpoint %s (%s)", endpoint, error)
            return None
        value = next((tag["Value"] for tag in tags if tag.get("Key") == INSTANCE_CONCURRENCY_TAG), None)
        if value is None:
            return None
        if not value.strip().isdigit() or int(value) < 1:
            logger.warning(
                "endpoint %s: tag %s=%r is not a positive integer", endpoint, INSTANCE_CONCURRENCY_TAG, value
            )
            return None
        return int(value)


def _serverless(variant: Mapping[str, Any]) -> int | None:
    config = variant.get("CurrentServerlessConfig") or variant.get("DesiredServerlessConfig") or {}
    concurrency = config.get("MaxConcurrency")
    return int(concurrency) if concurrency else None


def _weight(variant: Mapping[str, Any]) -> float:
    return float(variant.get("CurrentWeight", variant.get("DesiredWeight", 0.0)))


SEND_EVENT = "before-send.sagemaker-runtime.InvokeEndpoint"
"""botocore's event just before a signed InvokeEndpoint request goes out (each attempt)."""
SEND_HANDLER_ID = "model-runner-permit-on-the-wire"
_SENDING: ContextVar[PermitOnTheWire | None] = ContextVar("sagemaker_sending", default=None)
"""The hold of the call this thread is making (botocore sends on the caller's thread)."""


@contextmanager
def _sending_under(hold: PermitOnTheWire) -> Iterator[None]:
    token = _SENDING.set(hold)
    try:
        yield
    finally:
        _SENDING.reset(token)


def _request_going_out(**_: Any) -> None:
    """Take the calling thread's permits as its request goes out; returns None, so botocore sends it."""
    hold = _SENDING.get()
    if hold is not None:
        hold.sending()


class SageMakerDetector:
    """A SageMaker real-time endpoint (the request's imageProcessor.name is its name)."""

    def __init__(
        self,
        runtime: Any,
        name: str,
        parameters: Mapping[str, JsonValue],
        choose_variant: Callable[[], str | None],
        forget_variants: Callable[[], None],
        backoff: Backoff,
    ) -> None:
        self._runtime = runtime
        self._name = name
        self._parameters = {key: str(parameters[key]) for key in INVOKE_PARAMETERS if key in parameters}
        self._choose_variant = choose_variant
        self._forget_variants = forget_variants
        self._backoff = backoff
        runtime.meta.events.register(SEND_EVENT, _request_going_out, unique_id=SEND_HANDLER_ID)

    @property
    def endpoint(self) -> str:
        return self._name

    def detect(self, tile: bytes, content_type: str) -> bytes:
        with PermitOnTheWire(()) as nothing_held:
            return self.detect_on_the_wire(tile, content_type, nothing_held)

    def detect_on_the_wire(self, tile: bytes, content_type: str, hold: PermitOnTheWire) -> bytes:
        """The answer for ``tile``; ``hold``'s permits are taken when botocore sends the request
        (signed, its body ready)."""
        if len(tile) > PAYLOAD_LIMIT_BYTES:
            raise TileTooLargeError(
                f"the encoded tile is {len(tile)} bytes, over SageMaker's {PAYLOAD_LIMIT_BYTES}-byte "
                f"(6 MB) limit for {self._name}: use a smaller tile size or a compressed tile format",
                endpoint=self._name,
            )
        arguments: dict[str, Any] = {"ContentType": content_type, **self._parameters}
        chosen = None
        if not any(key in arguments for key in SELF_ROUTING_PARAMETERS):
            chosen = self._choose_variant()
        retry = 0
        while True:
            variant = {"TargetVariant": chosen} if chosen is not None else {}
            try:
                with _sending_under(hold):
                    answer = self._runtime.invoke_endpoint(
                        EndpointName=self._name, Body=tile, **arguments, **variant
                    )
                    return bytes(answer["Body"].read())
            except ClientError as error:
                if chosen is not None and error_code(error) == "ValidationError":
                    # The variant we chose may be gone (the endpoint was updated): describe again.
                    self._forget_variants()
                    chosen = None
                    continue
                if not _retried(error) or retry == self._backoff.max_retries:
                    raise self._failure(error, retry) from error
            except (BotoConnectionError, HTTPClientError) as error:
                if isinstance(error, SSLError) or retry == self._backoff.max_retries:
                    raise ModelInvocationError(
                        f"call to {self._name} failed{_after(retry)}: {error}", endpoint=self._name
                    ) from error
            except BotoCoreError as error:
                raise ModelInvocationError(
                    f"call to {self._name} failed: {error}", endpoint=self._name
                ) from error
            retry += 1
            logger.debug("retrying SageMaker endpoint %s (retry %d)", self._name, retry)
            self._backoff.wait(retry)

    def _failure(self, error: ClientError, retries: int) -> ModelInvocationError:
        """The failure a user reads. A ModelError's message is the model container's own answer:
        it goes to the log, not to the status (docs/security.md)."""
        code = error_code(error)
        response: Mapping[str, Any] = error.response
        message = response.get("Error", {}).get("Message", "")
        if code == "ModelError":
            status = response.get("OriginalStatusCode")
            original = str(response.get("OriginalMessage") or message)
            answered = f" HTTP {status}" if status is not None else ""
            said = withheld_model_message(f"model of {self._name}", original)
            return ModelInvocationError(
                f"model of {self._name} answered{answered} (ModelError): {said}",
                endpoint=self._name,
                status=status,
            )
        status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if code == "ThrottlingException":
            status = 429
        return ModelInvocationError(
            f"SageMaker endpoint {self._name}: {code}{_after(retries)}: {message}",
            endpoint=self._name,
            status=status,
        )


class SageMakerDetectors:
    """The :class:`~model_runner.inference.detectors.DetectorFactory` of SM_ENDPOINT requests.

    Shares the endpoint descriptions between the detectors it builds; each detector calls as the
    request's imageProcessor.assumedRole (the worker's own credentials when it has none).
    """

    def __init__(
        self,
        clients: ClientFactory,
        backoff: Backoff,
        *,
        description_ttl_s: float = DESCRIPTION_TTL_S,
        rng: random.Random | None = None,
    ) -> None:
        self._clients = clients
        self._backoff = backoff
        self.variants = EndpointVariants(clients, description_ttl_s, rng=rng)

    def __call__(self, processor: ImageProcessor, parameters: Mapping[str, JsonValue]) -> SageMakerDetector:
        role = processor.assumed_role
        name = processor.name
        return SageMakerDetector(
            self._clients("sagemaker-runtime", role_arn=role),
            name,
            parameters,
            lambda: self.variants.choose(name, role),
            lambda: self.variants.forget(name, role),
            self._backoff,
        )


def _retried(error: ClientError) -> bool:
    status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return error_code(error) in RETRIED_CODES or (
        error_code(error) != "ModelError" and status in RETRIED_STATUSES
    )
