"""Settings an extension declares are validated at start-up and handed to it; the blocklist
switches off named handlers and observers."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from model_runner.errors import ConfigurationError
from model_runner.handlers import HandlerContext, ImageRequestHandler, RegionRequestHandler
from model_runner.registry import HandlerSelector, build_observers, load_extension_settings
from osml_extensions.registry import HandlerType, get_registry, register_handler, register_observer


class GpuSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GPU_EXTENSION_")

    device: str
    batch_size: int = Field(default=8, ge=1)


class GpuRegionHandler(RegionRequestHandler):
    def __init__(self, context: HandlerContext, extension_settings: GpuSettings) -> None:
        super().__init__(context)
        self.gpu = extension_settings


def register_gpu_pair() -> None:
    register_handler("gpu", HandlerType.REGION_REQUEST_HANDLER, "gpu_region", settings=GpuSettings)(
        GpuRegionHandler
    )
    register_handler("gpu", HandlerType.IMAGE_REQUEST_HANDLER, "gpu_image")(ImageRequestHandler)


def test_declared_settings_are_validated_and_handed_to_the_handler(
    context: HandlerContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GPU_EXTENSION_DEVICE", "cuda:1")
    register_gpu_pair()

    loaded = load_extension_settings(get_registry())
    handler: Any = (
        HandlerSelector(get_registry(), context, extension_settings=loaded).pair("gpu").region_handler
    )

    assert (handler.gpu.device, handler.gpu.batch_size) == ("cuda:1", 8)


def test_missing_or_invalid_settings_name_the_extension_and_the_variable(
    context: HandlerContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GPU_EXTENSION_BATCH_SIZE", "0")
    register_gpu_pair()

    with pytest.raises(ConfigurationError) as caught:
        load_extension_settings(get_registry())

    assert caught.value.problems == (
        "extension 'gpu_region': GPU_EXTENSION_DEVICE: required, but not set",
        "extension 'gpu_region': GPU_EXTENSION_BATCH_SIZE: "
        "Input should be greater than or equal to 1 (got '0')",
    )


def test_a_blocklisted_extension_needs_no_settings(context: HandlerContext) -> None:
    register_gpu_pair()

    assert load_extension_settings(get_registry(), blocklist=["gpu_region"]) == {}


def test_a_blocklisted_observer_is_not_built(context: HandlerContext) -> None:
    built: list[str] = []

    @register_observer("audit", description="writes an audit trail")
    class Audit:
        def __init__(self, config: Any) -> None:
            built.append("audit")

        def on_event(self, event: object) -> None:
            pass

    observers = build_observers(
        get_registry(), context, blocklist=["audit", "sns_status", "cloudwatch_metrics"]
    )

    assert built == []
    assert [name for name, _ in observers] == ["structured_logs"]
