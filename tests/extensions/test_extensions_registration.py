"""Registering handlers and observers: the guide's decorator, one handler per slot, clear errors."""

from __future__ import annotations

import pytest

from model_runner.handlers import ImageRequestHandler, RegionRequestHandler
from model_runner.registry import RegistrationError, UnknownRequestTypeError
from osml_extensions.registry import (
    HandlerType,
    get_registry,
    register_handler,
    register_observer,
    reset_registry,
)

REGION = HandlerType.REGION_REQUEST_HANDLER


def test_the_decorator_registers_every_parameter_of_the_guide() -> None:
    @register_handler(
        request_type="my_custom_type",
        handler_type=REGION,
        name="my_region_handler",
        supported_endpoints=["HTTP_ENDPOINT"],
        description="Custom region handler for special processing",
    )
    class MyRegionHandler(RegionRequestHandler):
        pass

    registration = get_registry().handler("my_custom_type", REGION)
    assert registration.handler_class is MyRegionHandler
    assert registration.name == "my_region_handler"
    assert registration.supported_endpoints == ("HTTP_ENDPOINT",)
    assert registration.description == "Custom region handler for special processing"
    assert registration.source.endswith("MyRegionHandler")


def test_a_taken_slot_is_refused_unless_overridden() -> None:
    register_handler("mine", REGION, "first")(type("First", (RegionRequestHandler,), {}))
    second = type("Second", (RegionRequestHandler,), {})

    with pytest.raises(RegistrationError, match=r"already has a region_request_handler.*override=True"):
        register_handler("mine", REGION, "second")(second)
    register_handler("mine", REGION, "second", override=True)(second)

    assert get_registry().handler("mine", REGION).handler_class is second


def test_a_reused_name_is_refused_unless_overridden() -> None:
    register_handler("one", REGION, "shared_name")(type("A", (RegionRequestHandler,), {}))
    other = type("B", (RegionRequestHandler,), {})

    with pytest.raises(RegistrationError, match="'shared_name' is already used"):
        register_handler("two", REGION, "shared_name")(other)
    register_handler("two", REGION, "shared_name", override=True)(other)

    assert get_registry().request_types() == ["two"]


def test_importing_the_same_registration_twice_is_not_a_conflict() -> None:
    handler = type("Same", (RegionRequestHandler,), {})
    register_handler("twice", REGION, "same")(handler)
    register_handler("twice", REGION, "same")(handler)

    assert get_registry().handler("twice", REGION).handler_class is handler


@pytest.mark.parametrize(
    ("arguments", "handler", "message"),
    [
        ({"handler_type": "region"}, RegionRequestHandler, "handler_type must be HandlerType"),
        (
            {"handler_type": REGION},
            ImageRequestHandler,
            "must be a class deriving from .*RegionRequestHandler",
        ),
        ({"request_type": "My-Type"}, RegionRequestHandler, "request_type must be lower case"),
        ({"name": ""}, RegionRequestHandler, "name must be a non-empty identifier"),
        ({"supported_endpoints": "HTTP_ENDPOINT"}, RegionRequestHandler, r"write \('HTTP_ENDPOINT',\)"),
        ({"supported_endpoints": ["GRPC"]}, RegionRequestHandler, "not imageProcessor types"),
    ],
)
def test_a_bad_registration_says_what_to_fix(
    arguments: dict[str, object], handler: type, message: str
) -> None:
    values: dict[str, object] = {"request_type": "checked", "handler_type": REGION, "name": "checked"}
    values.update(arguments)

    with pytest.raises(RegistrationError, match=message):
        register_handler(**values)(handler)  # type: ignore[arg-type]
    assert get_registry().request_types() == []


def test_an_unknown_request_type_lists_the_known_ones() -> None:
    register_handler("known", REGION, "known_region")(RegionRequestHandler)

    with pytest.raises(UnknownRequestTypeError, match=r"'unknown' \(known request types: known\)"):
        get_registry().handler("unknown", REGION)


def test_observers_need_on_event_and_a_unique_name() -> None:
    @register_observer("counter")
    class Counter:
        def on_event(self, event: object) -> None:
            pass

    with pytest.raises(RegistrationError, match="has no on_event"):
        register_observer("silent")(type("Silent", (), {}))
    with pytest.raises(RegistrationError, match=r"'counter' is already used by .*Counter"):
        register_observer("counter")(type("Other", (), {"on_event": lambda self, event: None}))
    assert [item.name for item in get_registry().observers()] == ["counter"]


def test_reset_registry_empties_the_process_registry() -> None:
    register_handler("gone", REGION, "gone")(RegionRequestHandler)

    fresh = reset_registry()

    assert fresh is get_registry()
    assert fresh.handlers() == []
