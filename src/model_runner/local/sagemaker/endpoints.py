"""What the emulator serves: endpoints, their production variants, and their faults, as JSON values."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Literal, get_args
from urllib.parse import urlsplit

from model_runner.errors import ConfigurationError

TransientError = Literal["ServiceUnavailable", "InternalFailure"]


@dataclass(frozen=True)
class EmulatedVariant:
    """One production variant: its model and its share of the endpoint's traffic.

    Attributes:
        name: the VariantName (answered in ``x-Amzn-Invoked-Production-Variant``).
        model: the model's invocations URL; in ``start_local_stack`` also the name of one of the
            stack's models, replaced by its URL.
        weight: relative share of the requests that name no TargetVariant.
        instance_count: instances behind the variant (reported by DescribeEndpoint).
        serverless_max_concurrency: makes the variant serverless with this MaxConcurrency
            (DescribeEndpoint's CurrentServerlessConfig) instead of instance-backed.
    """

    name: str
    model: str
    weight: float = 1.0
    instance_count: int = 1
    serverless_max_concurrency: int | None = None


@dataclass(frozen=True)
class EmulatedAsyncConfig:
    """Where an asynchronous endpoint writes its answers and whom it notifies (InvokeEndpointAsync).

    Created in the control plane (DescribeEndpointConfig shows it) and served by the emulator: it
    reads the input object, writes the answer under ``output_s3_path`` (a failure under
    ``failure_s3_path``, or the output path) and publishes SageMaker's ``InferenceResult``
    notification to the success or error topic. In ``start_local_stack`` a topic may be the name
    of one of the stack's settings (ASYNC_SUCCESS_TOPIC), replaced by its ARN.

    Attributes:
        notification_copies: how many times each notification is published (2 or more: the
            duplicates SNS may deliver).
    """

    output_s3_path: str
    failure_s3_path: str | None = None
    success_topic: str | None = None
    error_topic: str | None = None
    notification_copies: int = 1

    def with_addresses(self, addresses: Mapping[str, str]) -> EmulatedAsyncConfig:
        """This configuration with each topic found in ``addresses`` (settings) replaced by its value."""
        return replace(
            self,
            success_topic=addresses.get(self.success_topic or "", self.success_topic),
            error_topic=addresses.get(self.error_topic or "", self.error_topic),
        )


@dataclass(frozen=True)
class EmulatedEndpoint:
    """A SageMaker endpoint served by the emulator.

    Attributes:
        variants: the production variants; a request with no TargetVariant goes to one chosen by
            weight.
        latency_ms: added to every invocation before the model is called.
        max_concurrency: invocations in flight at once; one more answers ThrottlingException.
            None: unlimited.
        failure_rate: share of invocations (0 to 1) answered ``failure_error`` without calling
            the model.
        failure_error: the transient error of those invocations.
        model_timeout_s: how long the model may take before the call is a ModelError.
        seed: fixes the variant choices and the injected failures.
        async_config: makes the endpoint asynchronous; ``max_concurrency`` then bounds the
            invocations accepted and not yet answered, and an injected failure is reported by
            an error notification.
        instance_concurrency: the endpoint's ``osml:instance-concurrency`` tag (calls one
            instance serves at once, for the scheduler); None: no tag.
    """

    variants: tuple[EmulatedVariant, ...]
    latency_ms: float = 0.0
    max_concurrency: int | None = None
    failure_rate: float = 0.0
    failure_error: TransientError = "ServiceUnavailable"
    model_timeout_s: float = 60.0
    seed: int = 0
    async_config: EmulatedAsyncConfig | None = field(default=None)
    instance_concurrency: int | None = None

    def __post_init__(self) -> None:
        problems = []
        if not self.variants:
            problems.append("variants: an endpoint needs at least one")
        if len({variant.name for variant in self.variants}) != len(self.variants):
            problems.append("variants: names must be unique")
        if any(variant.weight < 0 for variant in self.variants):
            problems.append("variants: weights must not be negative")
        if self.variants and not any(variant.weight > 0 for variant in self.variants):
            problems.append("variants: at least one weight must be positive")
        if any(variant.instance_count < 1 for variant in self.variants):
            problems.append("variants: instance_count must be at least 1")
        if self.latency_ms < 0:
            problems.append(f"latency_ms: must not be negative (got {self.latency_ms})")
        if self.max_concurrency is not None and self.max_concurrency < 1:
            problems.append(f"max_concurrency: must be at least 1 (got {self.max_concurrency})")
        if not 0 <= self.failure_rate <= 1:
            problems.append(f"failure_rate: must be between 0 and 1 (got {self.failure_rate})")
        if self.failure_error not in get_args(TransientError):
            problems.append(f"failure_error: expected one of {get_args(TransientError)}")
        if self.model_timeout_s <= 0:
            problems.append(f"model_timeout_s: must be positive (got {self.model_timeout_s})")
        if problems:
            raise ConfigurationError(problems)

    @classmethod
    def serving(cls, model: str, **options: Any) -> EmulatedEndpoint:
        """An endpoint with one variant, ``AllTraffic``, serving ``model``."""
        return cls(variants=(EmulatedVariant("AllTraffic", model),), **options)

    def with_models(self, urls: Mapping[str, str]) -> EmulatedEndpoint:
        """This endpoint with each variant's model name found in ``urls`` replaced by its URL."""
        return replace(
            self,
            variants=tuple(
                replace(variant, model=urls.get(variant.model, variant.model)) for variant in self.variants
            ),
        )

    def with_addresses(self, addresses: Mapping[str, str]) -> EmulatedEndpoint:
        """This endpoint with its asynchronous topics resolved (see :class:`EmulatedAsyncConfig`)."""
        if self.async_config is None:
            return self
        return replace(self, async_config=self.async_config.with_addresses(addresses))

    def url_problems(self, name: str) -> list[str]:
        """The variants whose model is not an http(s) URL."""
        return [
            f"{name}.{variant.name}: model must be an http(s) URL (got {variant.model!r})"
            for variant in self.variants
            if urlsplit(variant.model).scheme not in ("http", "https")
        ]


def endpoints_to_json(endpoints: Mapping[str, EmulatedEndpoint]) -> str:
    """The JSON form of ``endpoints`` that :func:`endpoints_from_json` reads."""
    return json.dumps({name: asdict(endpoint) for name, endpoint in endpoints.items()})


def endpoints_from_json(text: str) -> dict[str, EmulatedEndpoint]:
    """Endpoints from ``{"name": {"variants": [{"name", "model", ...}], ...}, ...}``.

    Raises:
        ConfigurationError: the JSON is malformed or describes an invalid endpoint.
    """
    try:
        raw = json.loads(text)
        return {name: _endpoint(name, fields) for name, fields in raw.items()}
    except (ValueError, TypeError, AttributeError) as error:
        raise ConfigurationError([f"SageMaker emulator endpoints: {error}"]) from error


def _endpoint(name: str, fields: Mapping[str, Any]) -> EmulatedEndpoint:
    options = dict(fields)
    variants = tuple(EmulatedVariant(**variant) for variant in options.pop("variants", ()))
    async_config = options.pop("async_config", None)
    endpoint = EmulatedEndpoint(
        variants=variants,
        async_config=EmulatedAsyncConfig(**async_config) if async_config is not None else None,
        **options,
    )
    if problems := endpoint.url_problems(name):
        raise ConfigurationError(problems)
    return endpoint
