"""The guide's examples, as written (import paths adapted), built by the registry."""

from __future__ import annotations

from typing import Any

from model_runner.handlers import ImageRequestHandler, RegionRequestHandler
from osml_extensions import BaseRegionHandler
from osml_extensions.registry import HandlerType, get_registry, register_handler
from osml_extensions.selection import HandlerSelector


def test_basic_extension_structure(providers: dict[str, Any]) -> None:
    calls = []

    @register_handler(
        request_type="my_custom_type",
        handler_type=HandlerType.REGION_REQUEST_HANDLER,
        name="my_region_handler",
        description="Custom region handler for special processing",
    )
    class MyRegionHandler(BaseRegionHandler):
        def __init__(self, config, table, monitor):  # type: ignore[no-untyped-def]
            super().__init__(config, table, monitor)
            # Custom initialization

        def process_region_request(  # type: ignore[no-untyped-def]
            self, region_request, region_request_item, raster_dataset, sensor_model=None, metrics=None
        ):
            # Custom processing logic
            calls.append(region_request)
            return "processed"

    register_handler("my_custom_type", HandlerType.IMAGE_REQUEST_HANDLER, "my_image")(ImageRequestHandler)

    handler = HandlerSelector(get_registry(), providers).pair("my_custom_type").region_handler

    assert isinstance(handler, MyRegionHandler)
    assert handler.region_request_table == "<region_request_table>"
    assert handler.region_status_monitor == "<region_status_monitor>"
    assert handler.job_table == "<job_table>"
    assert handler.image_cache == "<image_cache>"
    assert handler.process_region_request("request", "item", "image") == "processed"
    assert calls == ["request"]


def test_complete_handler_pair_example(providers: dict[str, Any]) -> None:
    @register_handler(
        request_type="custom_processing",
        handler_type=HandlerType.REGION_REQUEST_HANDLER,
        name="custom_region_handler",
        description="Custom region handler with enhanced processing",
    )
    class CustomRegionHandler(RegionRequestHandler):
        def __init__(  # type: ignore[no-untyped-def]
            self,
            region_request_table,
            job_table,
            region_status_monitor,
            endpoint_statistics_table,
            tiling_strategy,
            endpoint_utils,
            config,
        ):
            super().__init__(
                region_request_table,
                job_table,
                region_status_monitor,
                endpoint_statistics_table,
                tiling_strategy,
                endpoint_utils,
                config,
            )
            # Custom initialization

    @register_handler(
        request_type="custom_processing",
        handler_type=HandlerType.IMAGE_REQUEST_HANDLER,
        name="custom_image_handler",
        description="Custom image handler with enhanced processing",
    )
    class CustomImageHandler(ImageRequestHandler):
        def __init__(  # type: ignore[no-untyped-def]
            self,
            job_table,
            image_status_monitor,
            endpoint_statistics_table,
            tiling_strategy,
            region_request_queue,
            region_request_table,
            endpoint_utils,
            config,
            region_request_handler,
        ):
            super().__init__(
                job_table,
                image_status_monitor,
                endpoint_statistics_table,
                tiling_strategy,
                region_request_queue,
                region_request_table,
                endpoint_utils,
                config,
                region_request_handler,
            )
            # Custom initialization

    pair: Any = HandlerSelector(get_registry(), providers).pair("custom_processing")

    assert isinstance(pair.region_handler, CustomRegionHandler)
    assert isinstance(pair.image_handler, CustomImageHandler)
    assert pair.image_handler.region_request_handler is pair.region_handler
    assert pair.image_handler.region_request_queue == "<region_request_queue>"
