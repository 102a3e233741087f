"""The extension guide's examples, verbatim (its own import paths), built by the registry."""

from __future__ import annotations

from typing import Any

from aws.osml.model_runner.image_request_handler import ImageRequestHandler
from model_runner.handlers import HandlerContext
from model_runner.registry import HandlerSelector
from model_runner.testing import FakeContext
from osml_extensions import BaseRegionHandler
from osml_extensions.registry import HandlerType, get_registry, register_handler


def test_basic_extension_structure(fakes: FakeContext, context: HandlerContext) -> None:
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

    handler = HandlerSelector(get_registry(), context).pair("my_custom_type").region_handler

    assert isinstance(handler, MyRegionHandler)
    assert handler.region_request_table is fakes.regions
    assert handler.region_status_monitor is fakes.events
    assert handler.job_table is fakes.jobs
    assert handler.context.images is fakes.images
    assert handler.process_region_request("request", "item", "image") == "processed"  # type: ignore[arg-type]
    assert calls == ["request"]


def test_complete_handler_pair_example(fakes: FakeContext, context: HandlerContext) -> None:
    # The guide's "Complete Handler Pair Example" (seed 001), as written.
    from aws.osml.model_runner.image_request_handler import ImageRequestHandler
    from aws.osml.model_runner.region_request_handler import RegionRequestHandler
    from osml_extensions.registry import HandlerType, register_handler

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

    pair: Any = HandlerSelector(get_registry(), context).pair("custom_processing")

    assert isinstance(pair.region_handler, CustomRegionHandler)
    assert isinstance(pair.image_handler, CustomImageHandler)
    assert pair.image_handler.region_request_handler is pair.region_handler
    assert pair.image_handler.region_request_queue is fakes.region_queue
    assert pair.region_handler.endpoint_statistics_table is fakes.schedule


def test_a_reference_extension_may_wrap_a_collaborator_by_assigning_it(context: HandlerContext) -> None:
    class Wrapper:
        pass

    class Wrapping(BaseRegionHandler):
        def __init__(self, config, table, monitor):  # type: ignore[no-untyped-def]
            super().__init__(config, table, monitor)
            self.endpoint_utils = Wrapper()  # type: ignore[assignment]

    register_handler("wrapping", HandlerType.REGION_REQUEST_HANDLER, "wrapping")(Wrapping)
    register_handler("wrapping", HandlerType.IMAGE_REQUEST_HANDLER, "wrapping_image")(ImageRequestHandler)

    handler: Any = HandlerSelector(get_registry(), context).pair("wrapping").region_handler

    assert isinstance(handler.context.models, Wrapper)
    assert handler.context.jobs is context.jobs
