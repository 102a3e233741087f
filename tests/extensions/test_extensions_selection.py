"""Choosing and building the handler pair: the guide's priority, supported endpoints, USE_EXTENSIONS,
fallback, the blocklist and injection errors."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from model_runner.handlers import HandlerContext, ImageRequestHandler, RegionRequestHandler
from model_runner.handlers.sagemaker import SageMakerImageHandler, SageMakerRegionHandler
from model_runner.registry import (
    ExtensionError,
    HandlerSelector,
    InjectionError,
    UnknownRequestTypeError,
    UnservedEndpointError,
    construct,
    select_request_type,
)
from osml_extensions.registry import HandlerType, get_registry, register_handler


def register_pair(
    request_type: str, region: type, image: type = ImageRequestHandler, endpoints: Any = None
) -> None:
    register_handler(request_type, HandlerType.REGION_REQUEST_HANDLER, f"{request_type}_region", endpoints)(
        region
    )
    register_handler(request_type, HandlerType.IMAGE_REQUEST_HANDLER, f"{request_type}_image", endpoints)(
        image
    )


class NeedsGpu(RegionRequestHandler):
    def __init__(self, config: Any, gpu: Any) -> None:
        raise AssertionError("not reached: gpu is not provided")


class Exploding(RegionRequestHandler):
    def __init__(self, config: Any) -> None:
        raise RuntimeError("licence server unreachable")


@pytest.mark.parametrize(
    ("explicit", "configured", "endpoint_type", "chosen"),
    [
        ("explicit", "configured", "SM_ENDPOINT", "explicit"),
        (None, "configured", "SM_ENDPOINT", "configured"),
        (None, None, "SM_ENDPOINT", "sm_endpoint"),
        (None, None, "SM_ENDPOINT_ASYNC", "async_sm_endpoint"),
        (None, None, "HTTP_ENDPOINT", "http"),
        (None, None, None, "http"),
    ],
)
def test_priority_is_explicit_then_request_type_setting_then_the_endpoints_built_in_pair(
    explicit: str | None, configured: str | None, endpoint_type: str | None, chosen: str
) -> None:
    assert (
        select_request_type(explicit=explicit, configured=configured, endpoint_type=endpoint_type) == chosen
    )


def test_one_selector_serves_each_request_type_with_its_own_pair(context: HandlerContext) -> None:
    selector = HandlerSelector(get_registry(), context)

    base, sagemaker = selector.pair("http"), selector.pair("sm_endpoint")

    assert type(base.region_handler) is RegionRequestHandler
    assert isinstance(sagemaker.region_handler, SageMakerRegionHandler)
    assert isinstance(sagemaker.image_handler, SageMakerImageHandler)
    assert sagemaker.image_handler.region_request_handler is sagemaker.region_handler
    assert selector.pair("sm_endpoint") is sagemaker  # built once


def test_built_in_pairs_declare_the_endpoint_types_they_serve(context: HandlerContext) -> None:
    registry = get_registry()

    served = {
        request_type: registry.handler(request_type, HandlerType.REGION_REQUEST_HANDLER).supported_endpoints
        for request_type in ("http", "sm_endpoint", "async_sm_endpoint")
    }

    assert served == {
        "http": ("HTTP_ENDPOINT", "SM_ENDPOINT"),
        "sm_endpoint": ("SM_ENDPOINT",),
        "async_sm_endpoint": ("SM_ENDPOINT_ASYNC",),
    }


def test_a_configured_custom_pair_serves_every_endpoint_type_it_declares(context: HandlerContext) -> None:
    register_pair("my_custom_type", RegionRequestHandler, endpoints=["HTTP_ENDPOINT", "SM_ENDPOINT"])
    selector = HandlerSelector(get_registry(), context)

    for endpoint in ("HTTP_ENDPOINT", "SM_ENDPOINT"):
        assert selector.pair_for("my_custom_type", endpoint).request_type == "my_custom_type"


def test_a_pair_is_refused_for_an_endpoint_type_it_does_not_serve(context: HandlerContext) -> None:
    register_pair("http_only", RegionRequestHandler, endpoints=["HTTP_ENDPOINT"])

    with pytest.raises(UnservedEndpointError) as refused:
        HandlerSelector(get_registry(), context).pair_for("http_only", "SM_ENDPOINT_ASYNC")

    assert refused.value.problems == (
        "imageProcessor.type: SM_ENDPOINT_ASYNC is not served by the 'http_only' handler pair "
        "(it serves HTTP_ENDPOINT)",
    )


def test_with_fallback_an_unserved_endpoint_type_gets_its_built_in_pair(context: HandlerContext) -> None:
    register_pair("http_only", RegionRequestHandler, endpoints=["HTTP_ENDPOINT"])
    selector = HandlerSelector(get_registry(), context, fallback_enabled=True)

    pair = selector.pair_for("http_only", "SM_ENDPOINT")

    assert pair.fell_back and isinstance(pair.region_handler, SageMakerRegionHandler)


def test_use_extensions_false_gives_every_request_the_built_in_pair_of_its_endpoint(
    context: HandlerContext,
) -> None:
    register_pair("my_custom_type", RegionRequestHandler)
    selector = HandlerSelector(get_registry(), context, use_extensions=False)

    assert isinstance(
        selector.pair_for("my_custom_type", "SM_ENDPOINT").region_handler, SageMakerRegionHandler
    )
    assert type(selector.pair_for("my_custom_type", "HTTP_ENDPOINT").region_handler) is RegionRequestHandler


def test_a_missing_required_dependency_names_the_handler_and_parameter(context: HandlerContext) -> None:
    register_pair("gpu", NeedsGpu)

    with pytest.raises(InjectionError, match=r"cannot build .*NeedsGpu: its constructor needs 'gpu'"):
        HandlerSelector(get_registry(), context).pair("gpu")


def test_optional_parameters_keep_their_defaults(context: HandlerContext) -> None:
    class Tuned:
        def __init__(self, config: Any, batch: int = 8) -> None:
            self.config, self.batch = config, batch

    built = construct(Tuned, context)

    assert (built.config, built.batch) == (context.settings, 8)


def test_fallback_on_uses_the_built_in_pair_loudly(
    context: HandlerContext, caplog: pytest.LogCaptureFixture
) -> None:
    register_pair("broken", Exploding)
    fallbacks: list[tuple[str, ExtensionError]] = []
    selector = HandlerSelector(
        get_registry(),
        context,
        fallback_enabled=True,
        on_fallback=lambda request_type, error: fallbacks.append((request_type, error)),
    )

    with caplog.at_level(logging.WARNING):
        pair = selector.pair_for("broken", "HTTP_ENDPOINT")

    assert pair.fell_back
    assert type(pair.region_handler) is RegionRequestHandler
    assert [request_type for request_type, _ in fallbacks] == ["broken"]
    assert "RuntimeError: licence server unreachable" in str(fallbacks[0][1])
    assert "falling back to 'http'" in caplog.text


def test_fallback_off_raises_the_cause(context: HandlerContext) -> None:
    register_pair("broken", Exploding)

    with pytest.raises(InjectionError, match=r"constructing .*Exploding failed: RuntimeError: licence"):
        HandlerSelector(get_registry(), context, fallback_enabled=False).pair_for("broken", "HTTP_ENDPOINT")


def test_an_unknown_request_type_lists_the_known_ones(context: HandlerContext) -> None:
    selector = HandlerSelector(get_registry(), context)

    with pytest.raises(
        UnknownRequestTypeError, match="known request types: async_sm_endpoint, http, sm_endpoint"
    ):
        selector.pair_for("typo", "HTTP_ENDPOINT")


def test_a_blocklisted_handler_is_switched_off(context: HandlerContext) -> None:
    register_pair("my_custom_type", RegionRequestHandler)
    blocked = HandlerSelector(get_registry(), context, blocklist=["my_custom_type_region"])
    falling_back = HandlerSelector(
        get_registry(), context, blocklist=["my_custom_type_region"], fallback_enabled=True
    )

    with pytest.raises(UnknownRequestTypeError, match="switched off by EXTENSION_BLOCKLIST"):
        blocked.pair_for("my_custom_type", "HTTP_ENDPOINT")
    assert falling_back.pair_for("my_custom_type", "HTTP_ENDPOINT").fell_back


def test_base_handlers_take_one_typed_context(context: HandlerContext) -> None:
    handler = RegionRequestHandler(context)

    assert handler.context is context
    assert ImageRequestHandler(context, handler).region_request_handler is handler


def test_reference_style_handlers_outside_the_registry_say_how_to_build_them() -> None:
    from osml_extensions import RegionRequestHandler as ReferenceRegionHandler

    with pytest.raises(InjectionError, match=r"build it through the extension registry"):
        ReferenceRegionHandler(*(f"<{name}>" for name in range(7)))  # type: ignore[arg-type]
