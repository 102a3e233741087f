"""The guide's "Basic Extension Structure" example, as written."""

import json
import os

from model_runner.api import ModelInvocationType
from osml_extensions import BaseRegionHandler
from osml_extensions.registry import HandlerType, register_handler

PROCESSED_REGIONS: list[str] = []


class LocalModels:
    """Endpoint utilities that send a named endpoint's tiles to a local HTTP model."""

    def __init__(self, endpoint_utils, routes):
        self.endpoint_utils = endpoint_utils
        self.routes = routes

    def detector(self, processor, parameters):
        local = processor.model_copy(
            update={"name": self.routes[processor.name], "type": ModelInvocationType.HTTP_ENDPOINT}
        )
        return self.endpoint_utils.detector(local, parameters)


@register_handler(
    request_type="local_models",
    handler_type=HandlerType.REGION_REQUEST_HANDLER,
    name="my_region_handler",
    supported_endpoints=["SM_ENDPOINT"],
    description="Custom region handler for special processing",
)
class MyRegionHandler(BaseRegionHandler):
    def __init__(self, config, table, monitor):
        super().__init__(config, table, monitor)
        # Custom initialization
        self.endpoint_utils = LocalModels(
            self.endpoint_utils, json.loads(os.environ["SAMPLE_EXTENSION_ROUTES"])
        )

    def process_region_request(
        self, region_request, region_request_item, raster_dataset, sensor_model=None, metrics=None
    ):
        # Custom processing logic
        PROCESSED_REGIONS.append(region_request.region_id)
        return super().process_region_request(
            region_request, region_request_item, raster_dataset, sensor_model, metrics
        )
