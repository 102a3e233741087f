"""Choosing and building the handler pair: priority, USE_EXTENSIONS, fallback, injection errors."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from model_runner.handlers import ImageRequestHandler, RegionRequestHandler
from osml_extensions.errors import ExtensionError, InjectionError, UnknownRequestTypeError
from osml_extensions.injection import construct
from osml_extensions.registry import HandlerType, get_registry, register_handler
from osml_extensions.sagemaker import SageMakerImageHandler, SageMakerRegionHandler
from osml_extensions.selection import HandlerSelector, select_request_type


def register_pair(request_type: str, region: type, image: type = ImageRequestHandler) -> None:
    register_handler(request_type, HandlerType.REGION_REQUEST_HANDLER, f"{request_type}_region")(region)
    register_handler(request_type, HandlerType.IMAGE_REQUEST_HANDLER, f"{request_type}_image")(image)


class NeedsGpu(RegionRequestHandler):
    def __init__(self, config: Any, gpu: Any) -> None:
        raise AssertionError("not reached: gpu is not provided")


class Exploding(RegionRequestHandler):
    def __init__(self, config: Any) -> None:
        raise RuntimeError("licence server unreachable")


@pytest.mark.parametrize(
    ("explicit", "requested", "configured", "chosen"),
    [
        ("explicit", "sm_endpoint", "configured", "explicit"),
        (None, "sm_endpoint", "configured", "sm_endpoint"),
        (None, None, "configured", "configured"),
        (None, None, None, "http"),
    ],
)
def test_priority_is_explicit_then_request_then_setting_then_http(
    explicit: str | None, requested: str | None, configured: str | None, chosen: str
) -> None:
    assert select_request_type(explicit=explicit, requested=requested, configured=configured) == chosen


def test_one_selector_serves_each_request_type_with_its_own_pair(providers: dict[str, Any]) -> None:
    selector = HandlerSelector(get_registry(), providers)

    base, sagemaker = selector.pair("http"), selector.pair("sm_endpoint")

    assert type(base.region_handler) is RegionRequestHandler
    assert isinstance(sagemaker.region_handler, SageMakerRegionHandler)
    assert isinstance(sagemaker.image_handler, SageMakerImageHandler)
    assert sagemaker.image_handler.region_request_handler is sagemaker.region_handler
    assert selector.pair("sm_endpoint") is sagemaker  # built once


def test_async_sagemaker_is_a_built_in_pair_for_asynchronous_endpoints(providers: dict[str, Any]) -> None:
    registry = get_registry()

    region = registry.handler("async_sm_endpoint", HandlerType.REGION_REQUEST_HANDLER)
    image = registry.handler("async_sm_endpoint", HandlerType.IMAGE_REQUEST_HANDLER)

    assert region.supported_endpoints == image.supported_endpoints == ("SM_ENDPOINT_ASYNC",)
    assert issubclass(region.handler_class, RegionRequestHandler)


def test_use_extensions_false_gives_every_request_type_the_base_pair(providers: dict[str, Any]) -> None:
    selector = HandlerSelector(get_registry(), providers, use_extensions=False)

    assert type(selector.pair("sm_endpoint").region_handler) is RegionRequestHandler


def test_a_missing_required_provider_names_the_handler_and_parameter(providers: dict[str, Any]) -> None:
    register_pair("gpu", NeedsGpu)

    with pytest.raises(InjectionError, match=r"cannot build .*NeedsGpu: its constructor needs 'gpu'"):
        HandlerSelector(get_registry(), providers).pair("gpu")


def test_optional_parameters_keep_their_defaults() -> None:
    class Tuned:
        def __init__(self, config: Any, batch: int = 8) -> None:
            self.config, self.batch = config, batch

    built = construct(Tuned, {"config": "<config>"})

    assert (built.config, built.batch) == ("<config>", 8)


def test_fallback_on_uses_the_base_pair_loudly(
    providers: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    register_pair("broken", Exploding)
    fallbacks: list[tuple[str, ExtensionError]] = []
    selector = HandlerSelector(
        get_registry(),
        providers,
        fallback_enabled=True,
        on_fallback=lambda request_type, error: fallbacks.append((request_type, error)),
    )

    with caplog.at_level(logging.WARNING):
        pair = selector.pair("broken")

    assert pair.fell_back
    assert type(pair.region_handler) is RegionRequestHandler
    assert [request_type for request_type, _ in fallbacks] == ["broken"]
    assert "RuntimeError: licence server unreachable" in str(fallbacks[0][1])
    assert "falling back to the base handlers" in caplog.text


def test_fallback_off_raises_the_cause(providers: dict[str, Any]) -> None:
    register_pair("broken", Exploding)

    with pytest.raises(InjectionError, match=r"constructing .*Exploding failed: RuntimeError: licence"):
        HandlerSelector(get_registry(), providers, fallback_enabled=False).pair("broken")


def test_an_unknown_request_type_never_falls_back(providers: dict[str, Any]) -> None:
    selector = HandlerSelector(get_registry(), providers, fallback_enabled=True)

    with pytest.raises(
        UnknownRequestTypeError, match="known request types: async_sm_endpoint, http, sm_endpoint"
    ):
        selector.pair("typo")


def test_base_handlers_outside_the_registry_say_how_to_build_them() -> None:
    with pytest.raises(InjectionError, match=r"RegionRequestHandler needs 'image_cache'.*construct"):
        RegionRequestHandler(*(f"<{name}>" for name in range(7)))  # type: ignore[arg-type]
